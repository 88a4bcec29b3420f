"""The audit file of a course for an accrediting body: per student and class, every presence interval with what the
class pages show (minutes, share, verdict), polls answered, credits, overrides and certificates."""

import io
import zoneinfo
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from attendance.models import AttendanceRecord
from attendance.presence import intervals_from_json
from attendance.selectors import attendance_for_class
from cohortstudio.pdf_fonts import pdf_fonts_register

from .extensions import certificates_of
from .selectors import completion_rules_for, course_progress

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


def course_audit_pdf(*, course, generated_by=""):
    """A summary of the audit file for an accrediting body: the rules, each student's standing and certificate,
    and each class's attendance; the CSV holds every interval behind it."""
    regular, bold = pdf_fonts_register()
    classes, progress = course_progress(course=course)
    rules = completion_rules_for(course=course)
    certificates = certificates_of([enrolment for enrolment, _ in progress])
    zone = zoneinfo.ZoneInfo(course.organization.timezone)
    now = timezone.now().astimezone(zone)
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = bold if style.name.startswith(("Heading", "Title")) else regular
    small = ParagraphStyle("small", parent=styles["Normal"], fontSize=8, leading=10)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), title=f"Audit summary: {course.title}", author=course.organization.name
    )
    scheme = rules.scheme
    story = [
        Paragraph(f"Audit summary: {escape(course.title)}", styles["Title"]),
        Paragraph(
            escape(
                f"{course.organization.name} · {course.certification or 'no certification named'} · "
                f"generated {now:%Y-%m-%d %H:%M} ({zone.key}){' by ' + generated_by if generated_by else ''}"
            ),
            styles["Normal"],
        ),
        Spacer(1, 4 * mm),
        Paragraph(
            escape(
                f"Rules: attended at {course.effective_attendance_threshold}% of a class's scheduled time or by a "
                f"trainer's mark; {rules.missed_allowed} class(es) may be missed; "
                f"{'make-up in another cohort counts; ' if rules.makeup_counts else ''}"
                f"{f'{rules.min_polls_percent}% of attendance polls to answer; ' if rules.min_polls_percent else ''}"
                f"credits: {scheme.label if scheme.enabled else 'none'}"
                f"{f' ({scheme.unit_minutes} minutes each)' if scheme.enabled else ''}."
            ),
            styles["Normal"],
        ),
        Spacer(1, 4 * mm),
        Paragraph("Students", styles["Heading2"]),
    ]
    rows = [["Student", "Email", "Standing", "Classes", "Minutes", "Credits", "Polls", "Certificate"]]
    for enrolment, item in progress:
        number, status = certificates.get(enrolment.pk, ("", ""))
        rows.append(
            [
                Paragraph(escape(enrolment.full_name), small),
                Paragraph(escape(enrolment.email), small),
                Paragraph(escape(f"{item.status.replace('_', ' ')}: {item.reason}"), small),
                f"{item.classes_attended} / {item.classes_total}",
                str(item.minutes),
                f"{item.credits.normalize() if item.credits else 0} {item.credit_label}".strip(),
                f"{item.polls_answered} / {item.polls_total}" if item.polls_total else "—",
                Paragraph(escape(f"{number} {status}".strip() or "—"), small),
            ]
        )
    story.append(_table(rows, regular, bold, [45, 60, 70, 18, 18, 28, 16, 35]))
    story += [Spacer(1, 4 * mm), Paragraph("Classes", styles["Heading2"])]
    class_rows = [["#", "Class", "Start", "Scheduled minutes", "Attended"]]
    for number, class_session in enumerate(classes, start=1):
        attended = sum(
            1 for _, item in progress for e in item.per_class if e.class_session.pk == class_session.pk and e.attended
        )
        class_rows.append(
            [
                str(class_session.series_number or number),
                Paragraph(escape(class_session.title), small),
                f"{class_session.starts_at.astimezone(class_session.zone):%Y-%m-%d %H:%M} ({class_session.timezone})",
                str(class_session.duration_minutes),
                f"{attended} / {len(progress)}",
            ]
        )
    story.append(_table(class_rows, regular, bold, [10, 110, 60, 30, 25]))
    document.build(story)
    return buffer.getvalue()


def _table(rows, regular, bold, widths_mm):
    table = Table(rows, colWidths=[width * mm for width in widths_mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), bold, 8),
                ("FONT", (0, 1), (-1, -1), regular, 8),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table
