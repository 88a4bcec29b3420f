"""The audit file of a course for an accrediting body: per student and class, every presence interval with what the
class pages show (minutes, share, verdict), polls answered, credits, overrides and certificates."""

from attendance.models import AttendanceRecord
from attendance.presence import intervals_from_json
from attendance.selectors import attendance_for_class

from .extensions import certificates_of
from .selectors import course_progress

AUDIT_HEADER = [
    "Course",
    "Certification",
    "Last name",
    "First name",
    "Email",
    "Course outcome",
    "Outcome reason",
    "Class number",
    "Class",
    "Class start",
    "Scheduled minutes",
    "Joined",
    "Left",
    "Minutes attended (class)",
    "Share of scheduled time (%)",
    "Attended",
    "Made up in another cohort",
    "Attendance polls answered",
    "Attendance polls asked",
    "Credits",
    "Credit",
    "Manual override",
    "Override reason",
    "Override by",
    "Override at",
    "Certificate number",
    "Certificate status",
]


def _local(value, zone):
    return value.astimezone(zone).isoformat(timespec="seconds") if value else ""


def _cell(value):
    value = str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def course_audit_rows(*, course):
    """Header, then one row per presence interval (or one per class with none), in the class's zone with offset."""
    classes, progress = course_progress(course=course)
    attendance = {}  # (enrolment id, class id) -> the class page's row
    for class_session in classes:
        for row in attendance_for_class(class_session=class_session).rows:
            attendance[(row.registration.enrolment_id, class_session.pk)] = row
    records = {
        record.registration_id: record
        for record in AttendanceRecord.objects.filter(
            registration_id__in=[row.registration.pk for row in attendance.values()]
        )
    }
    certificates = certificates_of([enrolment for enrolment, _ in progress])
    yield AUDIT_HEADER
    for enrolment, item in progress:
        number, certificate_status = certificates.get(enrolment.pk, ("", ""))
        for number_in_course, evidence in enumerate(item.per_class, start=1):
            if not evidence.registered:
                continue
            class_session = evidence.class_session
            zone = class_session.zone
            registration_row = attendance.get((enrolment.pk, class_session.pk))
            record = records.get(registration_row.registration.pk) if registration_row else None
            intervals = list(intervals_from_json(record.intervals)) if record else []
            if record and record.open_since:
                intervals.append((record.open_since, None))
            override = registration_row.override if registration_row else None
            common = [
                course.title,
                course.certification,
                enrolment.last_name,
                enrolment.first_name,
                enrolment.email,
                item.status.replace("_", " "),
                item.reason,
                class_session.series_number or number_in_course,
                class_session.title,
                _local(class_session.starts_at, zone),
                class_session.duration_minutes,
            ]
            tail = [
                registration_row.minutes if registration_row else 0,
                registration_row.share_percent if registration_row else 0,
                "yes" if evidence.attended else "no",
                "yes" if evidence.made_up else "no",
                evidence.polls_answered,
                evidence.polls_asked,
                evidence.credits,
                item.credit_label,
                override.get_status_display() if override else "",
                override.reason if override else "",
                override.set_by.email if override and override.set_by else "",
                _local(override.set_at, zone) if override else "",
                number,
                certificate_status,
            ]
            for joined, left in intervals or [(None, None)]:
                yield [_cell(value) for value in [*common, _local(joined, zone), _local(left, zone), *tail]]
