"""Attendance reads. Each runs a fixed number of queries, whatever the class size."""

import csv
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, TextChoices
from django.utils import timezone

from courses.models import ClassSession, Registration, RegistrationStatus
from orgs.access import get_for_org_or_404

from . import extensions
from .models import AttendanceOverride, AttendanceRecord, OverrideStatus, Participant, PresenceSignal, SignalKind
from .presence import Presence, attended_by_time, intervals_from_json, share_percent


def threshold_percent_for(class_session):
    """The course's threshold, else its organization's.

    Same rule as `Course.effective_attendance_threshold`, read through the
    class's own organization (the course's, by tenancy) so that lists of
    classes with `class_session__organization` loaded cost no extra query.
    """
    return class_session.course.attendance_threshold_percent or class_session.organization.attendance_threshold_percent


class AttendanceStatus(TextChoices):
    UPCOMING = "upcoming", "Upcoming"
    IN_MEETING = "in_meeting", "In the meeting"
    LEFT = "left", "Left the meeting"
    NOT_JOINED_YET = "not_joined_yet", "Not joined yet"
    ATTENDED = "attended", "Attended"
    NOT_ATTENDED = "not_attended", "Not attended"


@dataclass(frozen=True)
class RegistrationAttendance:
    """One registered student's attendance of one class. Times are UTC."""

    registration: Registration
    joined: bool
    first_joined_at: datetime | None
    last_left_at: datetime | None
    in_meeting: bool
    minutes: int
    share_percent: int
    attended_by_time: bool
    override: AttendanceOverride | None
    reconciled: bool
    class_started: bool
    class_ended: bool

    @property
    def attended(self):
        """A trainer's decision wins over the recorded presence."""
        if self.override is not None:
            return self.override.status == OverrideStatus.PRESENT
        return self.attended_by_time

    @property
    def is_final(self):
        """The verdict holds: the class is over, or a trainer decided."""
        return self.override is not None or self.class_ended

    @property
    def status(self):
        """What the student's attendance is now; "Not attended" only once the class has ended."""
        if self.is_final:
            return AttendanceStatus.ATTENDED if self.attended else AttendanceStatus.NOT_ATTENDED
        if self.in_meeting:
            return AttendanceStatus.IN_MEETING
        if not self.class_started:
            return AttendanceStatus.UPCOMING
        return AttendanceStatus.LEFT if self.joined else AttendanceStatus.NOT_JOINED_YET


@dataclass(frozen=True)
class MeetingRun:
    started_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True)
class ClassAttendance:
    class_session: ClassSession
    threshold_percent: int
    rows: list
    unmatched: list
    runs: list

    @property
    def registered_count(self):
        return len(self.rows)

    @property
    def attended_count(self):
        return sum(1 for row in self.rows if row.attended)

    @property
    def joined_count(self):
        return sum(1 for row in self.rows if row.joined)

    @property
    def has_data(self):
        return bool(self.runs or self.unmatched or any(row.joined or row.override for row in self.rows))

    @property
    def assignable(self):
        """The registrations a participant or poll respondent may be assigned to, in the report's order."""
        return [row.registration for row in self.rows]

    @cached_property
    def columns(self):
        """Columns other apps add (extensions.report_columns), read only where shown: the page and the CSV."""
        registrations = [row.registration for row in self.rows]
        return [
            column
            for provider in extensions.report_columns
            for column in provider(class_session=self.class_session, registrations=registrations)
        ]

    @cached_property
    def sections(self):
        """Blocks other apps add below the report on pages (extensions.report_sections)."""
        registrations = [row.registration for row in self.rows]
        return [
            section
            for provider in extensions.report_sections
            for section in provider(class_session=self.class_session, registrations=registrations)
        ]


def class_session_for_attendance(*, organization, class_session_id):
    return get_for_org_or_404(
        ClassSession.objects.select_related("course", "organization"),
        organization=organization,
        pk=class_session_id,
    )


def registration_for_attendance(*, organization, registration_id):
    return get_for_org_or_404(
        Registration.objects.select_related("class_session__course", "class_session__organization"),
        organization=organization,
        pk=registration_id,
        status=RegistrationStatus.CONFIRMED,
    )


def participant_of_class(*, class_session, participant_id):
    return get_for_org_or_404(
        Participant.objects.filter(class_session=class_session),
        organization=class_session.organization,
        pk=participant_id,
    )


def registration_of_class(*, class_session, registration_id):
    """A confirmed registration of this class; any other id answers 404."""
    return get_for_org_or_404(
        Registration.objects.filter(class_session=class_session, status=RegistrationStatus.CONFIRMED),
        organization=class_session.organization,
        pk=registration_id,
    )


def _overrides_in_force(queryset):
    """The latest override of each registration, unless it hands back to automatic."""
    latest = {}
    for override in queryset.select_related("set_by").order_by("set_at", "id"):
        latest[override.registration_id] = override
    return {pk: override for pk, override in latest.items() if override.status != OverrideStatus.AUTOMATIC}


class _RecordPresence(NamedTuple):
    intervals: list
    open_since: object
    reconciled: bool
    seconds_present: int = 0


def _verdict(*, record, override, class_session, threshold, now):
    """(attended, joined) of one registration, as its `_row` says, without parsing a closed presence's intervals:
    a record's `seconds_present` is the seconds of its closed intervals (services derive both together)."""
    if record is not None and record.open_since is not None:
        row = _row(
            registration=None,
            record=record,
            override=override,
            class_session=class_session,
            threshold=threshold,
            now=now,
        )
        return row.attended, row.joined
    seconds = record.seconds_present if record is not None else 0
    joined = record is not None and bool(record.intervals)
    if override is not None:
        return override.status == OverrideStatus.PRESENT, joined
    return (
        attended_by_time(
            seconds=seconds, scheduled_minutes=class_session.duration_minutes, threshold_percent=threshold
        ),
        joined,
    )


def _row(*, registration, record, override, class_session, threshold, now):
    if record is None:
        presence, reconciled = Presence(), False
    else:
        presence = Presence(intervals=intervals_from_json(record.intervals), open_since=record.open_since)
        reconciled = record.reconciled
    # A presence not closed yet (no leave, no meeting end) counts up to now, but not past the
    # scheduled end: a meeting end that never arrived must not grow someone's minutes forever.
    seconds = presence.seconds_until(min(now, class_session.ends_at))
    return RegistrationAttendance(
        registration=registration,
        joined=presence.joined,
        first_joined_at=presence.first_joined_at,
        last_left_at=presence.last_left_at,
        in_meeting=presence.open_since is not None,
        minutes=seconds // 60,
        share_percent=share_percent(seconds=seconds, scheduled_minutes=class_session.duration_minutes),
        attended_by_time=attended_by_time(
            seconds=seconds, scheduled_minutes=class_session.duration_minutes, threshold_percent=threshold
        ),
        override=override,
        reconciled=reconciled,
        class_started=now >= class_session.starts_at,
        class_ended=now >= class_session.ends_at,
    )


_ROSTER_ORDER = ("last_name", "first_name", "email", "pk")


def attendance_for_class(*, class_session):
    """Every confirmed registration's attendance, the unmatched participants and the meeting runs.

    Expects `class_session` loaded with its course and organization.
    """
    organization = class_session.organization
    now = timezone.now()
    threshold = threshold_percent_for(class_session)
    registrations = list(
        Registration.objects.filter(
            organization=organization, class_session=class_session, status=RegistrationStatus.CONFIRMED
        ).order_by(*_ROSTER_ORDER)
    )
    # Only what a row reads of each record: at 500 students, whole records cost more to load than the page renders.
    records = {
        registration_id: _RecordPresence(intervals, open_since, reconciled)
        for registration_id, intervals, open_since, reconciled in AttendanceRecord.objects.filter(
            organization=organization, class_session=class_session
        ).values_list("registration_id", "intervals", "open_since", "reconciled")
    }
    overrides = _overrides_in_force(
        AttendanceOverride.objects.filter(organization=organization, class_session=class_session)
    )
    rows = [
        _row(
            registration=registration,
            record=records.get(registration.pk),
            override=overrides.get(registration.pk),
            class_session=class_session,
            threshold=threshold,
            now=now,
        )
        for registration in registrations
    ]
    unmatched = list(
        Participant.objects.filter(
            organization=organization, class_session=class_session, registration__isnull=True
        ).order_by("first_joined_at", "display_name", "id")
    )
    return ClassAttendance(
        class_session=class_session,
        threshold_percent=threshold,
        rows=rows,
        unmatched=unmatched,
        runs=_meeting_runs(organization=organization, class_session=class_session),
    )


@dataclass(frozen=True)
class ClassAttendanceSummary:
    """The counts of a class's attendance report, without its rows (the class page's panel)."""

    threshold_percent: int
    registered_count: int
    attended_count: int
    joined_count: int
    unmatched_count: int


def attendance_summary_for_class(*, class_session):
    """`attendance_for_class`'s counts, from ids and presence alone: no registration is loaded, so a class of 500
    costs about what a class of 5 does. Expects `class_session` loaded with its course and organization."""
    organization = class_session.organization
    now = timezone.now()
    threshold = threshold_percent_for(class_session)
    records = {
        registration_id: _RecordPresence(intervals, open_since, reconciled, seconds_present)
        for registration_id, intervals, open_since, reconciled, seconds_present in AttendanceRecord.objects.filter(
            organization=organization, class_session=class_session
        ).values_list("registration_id", "intervals", "open_since", "reconciled", "seconds_present")
    }
    overrides = _overrides_in_force(
        AttendanceOverride.objects.filter(organization=organization, class_session=class_session)
    )
    registered = attended = joined = 0
    for registration_id in Registration.objects.filter(
        organization=organization, class_session=class_session, status=RegistrationStatus.CONFIRMED
    ).values_list("pk", flat=True):
        row_attended, row_joined = _verdict(
            record=records.get(registration_id),
            override=overrides.get(registration_id),
            class_session=class_session,
            threshold=threshold,
            now=now,
        )
        registered, attended, joined = registered + 1, attended + row_attended, joined + row_joined
    unmatched = Participant.objects.filter(
        organization=organization, class_session=class_session, registration__isnull=True
    ).count()
    return ClassAttendanceSummary(
        threshold_percent=threshold,
        registered_count=registered,
        attended_count=attended,
        joined_count=joined,
        unmatched_count=unmatched,
    )


def _meeting_runs(*, organization, class_session):
    runs = {}
    for source, session_key, kind, occurred_at in (
        PresenceSignal.objects.filter(
            organization=organization,
            class_session=class_session,
            kind__in=[SignalKind.SESSION_START, SignalKind.SESSION_END],
        )
        .order_by("occurred_at", "id")
        .values_list("source", "session_key", "kind", "occurred_at")
    ):
        started_at, ended_at = runs.get((source, session_key), (None, None))
        if kind == SignalKind.SESSION_START:
            started_at = started_at or occurred_at
        else:
            ended_at = occurred_at
        runs[(source, session_key)] = (started_at, ended_at)
    return sorted(
        (MeetingRun(started_at=started, ended_at=ended) for started, ended in runs.values()),
        key=lambda run: run.started_at or run.ended_at,
    )


CSV_HEADER = [
    "Type",
    "Last name",
    "First name",
    "Email",
    "Joined",
    "First join",
    "Last leave",
    "Minutes attended",
    "Share of scheduled time (%)",
    "Attended",
    "Manual override",
    "Override reason",
    "Override by",
    "Override at",
]


def _local(value, zone):
    """ISO 8601 with the offset, so a spreadsheet or script reads the instant without knowing the zone."""
    return timezone.localtime(value, zone).isoformat(timespec="seconds") if value else ""


def _cell(value):
    """Keep spreadsheet programs from running a participant's display name as a formula."""
    value = str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def attendance_csv_rows(*, class_session):
    """The attendance section as CSV rows (header first), times in the class's time zone."""
    attendance = attendance_for_class(class_session=class_session)
    zone = class_session.zone
    columns = attendance.columns
    yield CSV_HEADER + [column.header for column in columns]
    for row in attendance.rows:
        registration, override = row.registration, row.override
        yield [
            _cell(value)
            for value in (
                "Registered",
                registration.last_name,
                registration.first_name,
                registration.email,
                "yes" if row.joined else "no",
                _local(row.first_joined_at, zone),
                _local(row.last_left_at, zone),
                row.minutes,
                row.share_percent,
                ("yes" if row.attended else "no") if row.is_final else row.status.label,
                override.get_status_display() if override else "",
                override.reason if override else "",
                (override.set_by.email if override.set_by else "") if override else "",
                _local(override.set_at, zone) if override else "",
                *(column.cells.get(registration.pk, "") for column in columns),
            )
        ]
    for participant in attendance.unmatched:
        yield [
            _cell(value)
            for value in (
                "Unmatched participant",
                "",
                participant.display_name,
                participant.email,
                "yes" if participant.first_joined_at else "no",
                _local(participant.first_joined_at, zone),
                _local(participant.last_left_at, zone),
                participant.minutes_present,
                share_percent(seconds=participant.seconds_present, scheduled_minutes=class_session.duration_minutes),
                "",
                "",
                "",
                "",
                "",
                *("" for _ in columns),
            )
        ]


class _Echo:
    def write(self, value):
        return value


def attendance_csv_lines(*, class_session):
    """Encoded CSV lines, ready to stream."""
    writer = csv.writer(_Echo())
    return (writer.writerow(row) for row in attendance_csv_rows(class_session=class_session))


def attendance_has_data(*, class_session):
    return (
        PresenceSignal.objects.filter(class_session=class_session).exists()
        or AttendanceOverride.objects.filter(class_session=class_session).exists()
    )


def attendance_for_student(*, registrations):
    """Attendance of the given registrations, for classes with any attendance data.

    `registrations` come with `class_session__course` and
    `class_session__organization` loaded. Returns {registration_id:
    RegistrationAttendance}; registrations of classes without any data are left out.
    """
    if not registrations:
        return {}
    ids = [registration.pk for registration in registrations]
    records = {record.registration_id: record for record in AttendanceRecord.objects.filter(registration_id__in=ids)}
    overrides = _overrides_in_force(AttendanceOverride.objects.filter(registration_id__in=ids))
    tracked = set(
        ClassSession.objects.filter(pk__in={registration.class_session_id for registration in registrations})
        .filter(Exists(PresenceSignal.objects.filter(class_session=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    found = {}
    for registration in registrations:
        class_session = registration.class_session
        record, override = records.get(registration.pk), overrides.get(registration.pk)
        if record is None and override is None and class_session.pk not in tracked:
            continue
        found[registration.pk] = _row(
            registration=registration,
            record=record,
            override=override,
            class_session=class_session,
            threshold=threshold_percent_for(class_session),
            now=now,
        )
    return found


# A long roster renders this many students at a time (as the class and Zoom rosters do);
# counts and the CSV cover the whole class.
ATTENDANCE_PAGE_SIZE = 50


def attendance_rows_page(*, attendance, number):
    """One page of the report's rows (no query: the report holds them all)."""
    return Paginator(attendance.rows, ATTENDANCE_PAGE_SIZE).get_page(number)


@dataclass(frozen=True)
class ClassAttendancePage:
    """The attendance report as a page shows it: the whole class's counts, one page of its rows.

    Reads as `ClassAttendance` does in the report's template (`attendance/section.html`), but `rows` are the
    page's alone (`page` holds them, for the pagination links): at 500 students only the 50 shown are loaded.
    """

    class_session: ClassSession
    threshold_percent: int
    registered_count: int
    attended_count: int
    joined_count: int
    has_data: bool
    page: object
    unmatched: list
    runs: list

    @property
    def rows(self):
        return list(self.page.object_list)

    def _provided(self, providers):
        """What other apps add for the students this page shows (report columns, sections)."""
        registrations = [row.registration for row in self.page.object_list]
        return [
            item
            for provider in providers
            for item in provider(class_session=self.class_session, registrations=registrations)
        ]

    @cached_property
    def columns(self):
        return self._provided(extensions.report_columns)

    @cached_property
    def sections(self):
        return self._provided(extensions.report_sections)

    @cached_property
    def assignable(self):
        """Every confirmed registration, for the "assign to" choices: one query, only when a page shows them."""
        return list(
            Registration.objects.filter(
                organization=self.class_session.organization,
                class_session=self.class_session,
                status=RegistrationStatus.CONFIRMED,
            )
            .order_by(*_ROSTER_ORDER)
            .only("pk", "first_name", "last_name", "email", "class_session_id", "organization_id")
        )


def attendance_page_for_class(*, class_session, number):
    """`attendance_for_class` as a page shows it: the counts of the whole class, the rows of page `number` only
    (ATTENDANCE_PAGE_SIZE a page, the report's order), so a class of 500 loads the 50 students shown.

    Expects `class_session` loaded with its course and organization. A fixed number of queries.
    """
    organization = class_session.organization
    now = timezone.now()
    threshold = threshold_percent_for(class_session)
    records = {
        registration_id: _RecordPresence(intervals, open_since, reconciled, seconds_present)
        for registration_id, intervals, open_since, reconciled, seconds_present in AttendanceRecord.objects.filter(
            organization=organization, class_session=class_session
        ).values_list("registration_id", "intervals", "open_since", "reconciled", "seconds_present")
    }
    overrides = _overrides_in_force(
        AttendanceOverride.objects.filter(organization=organization, class_session=class_session)
    )
    registration_ids = list(
        Registration.objects.filter(
            organization=organization, class_session=class_session, status=RegistrationStatus.CONFIRMED
        )
        .order_by(*_ROSTER_ORDER)
        .values_list("pk", flat=True)
    )

    def row_of(registration_id, registration):
        return _row(
            registration=registration,
            record=records.get(registration_id),
            override=overrides.get(registration_id),
            class_session=class_session,
            threshold=threshold,
            now=now,
        )

    attended = joined = 0
    for registration_id in registration_ids:
        row_attended, row_joined = _verdict(
            record=records.get(registration_id),
            override=overrides.get(registration_id),
            class_session=class_session,
            threshold=threshold,
            now=now,
        )
        attended, joined = attended + row_attended, joined + row_joined
    page = Paginator(registration_ids, ATTENDANCE_PAGE_SIZE).get_page(number)
    shown = Registration.objects.in_bulk(list(page.object_list))
    page.object_list = [row_of(registration_id, shown[registration_id]) for registration_id in page.object_list]
    unmatched = list(
        Participant.objects.filter(
            organization=organization, class_session=class_session, registration__isnull=True
        ).order_by("first_joined_at", "display_name", "id")
    )
    runs = _meeting_runs(organization=organization, class_session=class_session)
    overridden = any(registration_id in overrides for registration_id in registration_ids)
    return ClassAttendancePage(
        class_session=class_session,
        threshold_percent=threshold,
        registered_count=len(registration_ids),
        attended_count=attended,
        joined_count=joined,
        has_data=bool(runs or unmatched or joined or overridden),
        page=page,
        unmatched=unmatched,
        runs=runs,
    )
