"""A series' virtual classes on ONE recurring Zoom meeting (type 8): one create, one registrant per student.

Each class keeps its own `ZoomMeeting` row, filled with the recurring meeting's ID, link and passcode and the
`occurrence_id` Zoom gave the class's start, so everything per class (the Zoom panel, attendance, summaries,
recordings, moving or cancelling a class) works on that row. A class Zoom has no occurrence for (added to the
series later, or moved before the meeting was made) gets a meeting of its own: Zoom's API cannot add a single
occurrence to a recurring meeting.

Functions that call Zoom are task bodies; a claim is committed first and Zoom is called with no transaction open.
"""

import logging
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from courses.models import ClassSession, ClassStatus, DeliveryMode, Registration, RegistrationStatus

from ..connection import selectors
from ..connection.tokens import connection_client, meeting_client, series_meeting_client
from ..constants import (
    ACCOUNT_TYPE_LICENSED,
    APPROVAL_AUTOMATIC,
    FEATURE_MEETINGS,
    FEATURE_REGISTRANTS,
    MEETING_TOPIC_MAX,
    MEETING_TYPE_RECURRING_FIXED_TIME,
    NO_REGISTRATION,
    RECURRENCE_DAILY,
    RECURRENCE_WEEKLY,
    REGISTRATION_ONCE_FOR_ALL_OCCURRENCES,
)
from ..exceptions import ZoomDailyLimitPlanned, ZoomError, ZoomNeedsReconnect, ZoomNotFound, ZoomRateLimited
from ..models import (
    MeetingStatus,
    RegistrantStatus,
    ZoomMeeting,
    ZoomRegistrant,
    ZoomSeriesMeeting,
    ZoomSeriesRegistrant,
)
from ..payloads import zoom_time
from ..tuning import ZOOM_CALL_CLAIM
from . import meetings, registrants
from .quota import meeting_write_claim

logger = logging.getLogger(__name__)

OWN_MEETING_NOTE = (
    "This class has its own Zoom meeting: Zoom cannot add a single class to the series' recurring meeting, "
    "so its students get a separate link for it."
)


def series_meeting_wanted(*, class_session):
    """True when the class belongs on its series' recurring meeting."""
    series = class_session.series
    return series is not None and series.one_zoom_meeting and class_session.is_virtual


def series_meeting_mark_creating(*, class_session):
    """(class meeting row, series meeting to create or None) in the open transaction; `jobs` queues the create.

    Once the series' recurring meeting exists, a class asking for a meeting is one Zoom has no occurrence for:
    it gets a meeting of its own (the series meeting returned is then None and the row is a normal one).
    """
    series_meeting, _ = ZoomSeriesMeeting.objects.select_for_update().get_or_create(
        class_series=class_session.series, defaults={"organization": class_session.organization}
    )
    meeting, _ = ZoomMeeting.objects.select_for_update().get_or_create(
        class_session=class_session, defaults={"organization": class_session.organization}
    )
    if meeting.is_ready:
        return meeting, None
    if series_meeting.status == MeetingStatus.READY:
        meeting.series_meeting = None
        meeting.status, meeting.error = MeetingStatus.CREATING, ""
        meeting.save(update_fields=["series_meeting", "status", "error", "updated_at"])
        return meeting, None
    meeting.series_meeting = series_meeting
    meeting.status, meeting.error = MeetingStatus.CREATING, ""
    meeting.save(update_fields=["series_meeting", "status", "error", "updated_at"])
    if series_meeting.status != MeetingStatus.CREATING:
        series_meeting.status, series_meeting.error = MeetingStatus.CREATING, ""
        series_meeting.save(update_fields=["status", "error", "updated_at"])
    return meeting, series_meeting


def _series_classes(series):
    return list(
        ClassSession.objects.filter(
            series=series, status=ClassStatus.SCHEDULED, delivery_mode=DeliveryMode.VIRTUAL
        ).select_related("course", "organization", "series")
    )


def zoom_weekday(weekday):
    """Monday 0 … Sunday 6 (Python) as Zoom's weekly_days: Sunday 1 … Saturday 7."""
    return (weekday + 1) % 7 + 1


def series_meeting_body(*, series, first_class, defaults, registration):
    """The POST /users/me/meetings body of a series' recurring meeting (API-FACTS 3.1, type 8)."""
    zone = ZoneInfo(series.timezone)
    if series.frequency == "daily":
        recurrence = {"type": RECURRENCE_DAILY, "repeat_interval": series.interval}
    else:
        days = series.weekday_numbers or (series.first_date.weekday(),)
        recurrence = {
            "type": RECURRENCE_WEEKLY,
            "repeat_interval": series.interval,
            "weekly_days": ",".join(str(zoom_weekday(day)) for day in sorted(days)),
        }
    if series.count:
        recurrence["end_times"] = series.count
    else:
        last_moment = datetime.combine(series.until, time(23, 59), tzinfo=zone).astimezone(UTC)
        recurrence["end_date_time"] = last_moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = meetings.meeting_body(class_session=first_class, defaults=defaults, registration=registration)
    body.update(
        {
            "type": MEETING_TYPE_RECURRING_FIXED_TIME,
            # The first class's start (UTC, as Zoom's schema takes it) in the series' zone: Zoom keeps that
            # local time for every occurrence, across daylight-saving changes.
            "start_time": first_class.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timezone": series.timezone,
            "recurrence": recurrence,
        }
    )
    # "Week {n}: Risk" names the series as "Week 1–8: Risk": one topic for every class's run.
    span = f"1–{series.class_sessions.count()}"
    body["topic"] = f"{first_class.course.title}: {series.title_pattern.replace('{n}', span).strip(' :')}"[
        :MEETING_TOPIC_MAX
    ]
    body["settings"].update(
        {
            "approval_type": APPROVAL_AUTOMATIC if registration else NO_REGISTRATION,
            "registration_type": REGISTRATION_ONCE_FOR_ALL_OCCURRENCES,
        }
    )
    return body


def _series_claim(series_meeting_pk):
    """(series meeting, connection, body, registration) once this run holds the create claim, else None.

    The recurring meeting is made on the host of the series' first class, and remembers it.
    """
    now = timezone.now()
    series_meeting = (
        ZoomSeriesMeeting.objects.select_related("organization", "class_series").filter(pk=series_meeting_pk).first()
    )
    if series_meeting is None or series_meeting.is_ready:
        return None
    series_meeting.connection_id = None  # not made yet: the host is the first class's now
    connection = selectors.connection_for_series_meeting(series_meeting=series_meeting)
    if not selectors.connection_has_feature(connection=connection, feature=FEATURE_MEETINGS):
        raise ZoomNeedsReconnect(connection=connection)
    registration = connection.account_type == ACCOUNT_TYPE_LICENSED and selectors.connection_has_feature(
        connection=connection, feature=FEATURE_REGISTRANTS
    )
    defaults = meetings.meeting_defaults_get(organization=series_meeting.organization)
    with transaction.atomic():
        series_meeting = (
            ZoomSeriesMeeting.objects.select_for_update()
            .select_related("class_series", "organization")
            .filter(pk=series_meeting_pk)
            .first()
        )
        if series_meeting is None or series_meeting.is_ready:
            return None
        if series_meeting.create_claimed_until is not None and series_meeting.create_claimed_until > now:
            return None
        classes = _series_classes(series_meeting.class_series)
        if not classes:
            return None
        # Every virtual class of the series shares the meeting, also those whose hook has not run yet.
        for class_session in classes:
            meeting, _ = ZoomMeeting.objects.get_or_create(
                class_session=class_session,
                defaults={"organization": series_meeting.organization, "series_meeting": series_meeting},
            )
            if not meeting.is_ready and meeting.series_meeting_id is None:
                ZoomMeeting.objects.filter(pk=meeting.pk).update(series_meeting=series_meeting)
        series_meeting.create_claimed_until = now + ZOOM_CALL_CLAIM
        series_meeting.connection = connection
        series_meeting.save(update_fields=["create_claimed_until", "connection", "updated_at"])
    classes.sort(key=lambda class_session: class_session.starts_at)
    body = series_meeting_body(
        series=series_meeting.class_series, first_class=classes[0], defaults=defaults, registration=registration
    )
    return series_meeting, connection, body, registration


def _waiting_rows(series_meeting):
    return ZoomMeeting.objects.filter(series_meeting=series_meeting).exclude(status=MeetingStatus.READY)


def series_meeting_create(*, series_meeting_pk):
    """Create the series' recurring meeting and give each class its occurrence (task body); safe to run twice.

    Then every confirmed student of the series is registered once; classes without an occurrence get their own
    meeting, and occurrences without a class (a class cancelled meanwhile) are deleted on Zoom.
    """
    try:
        claimed = _series_claim(series_meeting_pk)
        if claimed is None:
            return ZoomSeriesMeeting.objects.filter(pk=series_meeting_pk).first()
        series_meeting, connection, body, registration = claimed
        meeting_write_claim(connection=connection)
        client = connection_client(connection=connection)
        created = client.meeting_create(body=body)
    except ZoomDailyLimitPlanned as error:
        now = timezone.now()
        ZoomSeriesMeeting.objects.filter(pk=series_meeting_pk).update(
            status=MeetingStatus.CREATING,
            error="",
            create_after=error.retry_at,
            create_claimed_until=None,
            updated_at=now,
        )
        ZoomMeeting.objects.filter(series_meeting_id=series_meeting_pk).exclude(status=MeetingStatus.READY).update(
            status=MeetingStatus.CREATING, error="", create_after=error.retry_at, updated_at=now
        )
        raise
    except ZoomError as error:
        now = timezone.now()
        retry_at = error.retry_at if isinstance(error, ZoomRateLimited) else None
        ZoomSeriesMeeting.objects.filter(pk=series_meeting_pk).update(
            status=MeetingStatus.FAILED, error=error.user_message, retry_at=retry_at, create_claimed_until=None
        )
        ZoomMeeting.objects.filter(series_meeting_id=series_meeting_pk).exclude(status=MeetingStatus.READY).update(
            status=MeetingStatus.FAILED, error=error.user_message, retry_at=retry_at, updated_at=now
        )
        raise
    own_meetings, spare_occurrences = _occurrences_assign(series_meeting_pk, created, registration)
    for occurrence_id in spare_occurrences:
        try:
            client.meeting_delete(meeting_id=created["id"], occurrence_id=occurrence_id)
        except ZoomNotFound:
            logger.info("zoom occurrence already gone")
    for meeting_pk in own_meetings:
        meetings.meeting_create(meeting_pk=meeting_pk)
    if registration:
        series_registrants_sync(series_meeting_pk=series_meeting_pk)
    return ZoomSeriesMeeting.objects.get(pk=series_meeting_pk)


def _occurrences_assign(series_meeting_pk, created, registration):
    """Write Zoom's answer: each class row gets the occurrence starting when it starts; returns what is left over."""
    by_start = {}
    for occurrence in created.get("occurrences") or []:
        if occurrence.get("status", "available") == "deleted":
            continue
        start = zoom_time(occurrence.get("start_time"))
        if start is not None:
            by_start[start] = occurrence
    own_meetings = []
    with transaction.atomic():
        series_meeting = ZoomSeriesMeeting.objects.select_for_update().get(pk=series_meeting_pk)
        series_meeting.zoom_meeting_id = int(created["id"])
        series_meeting.status = MeetingStatus.READY
        series_meeting.error = ""
        series_meeting.retry_at = series_meeting.create_after = series_meeting.create_claimed_until = None
        series_meeting.save()
        rows = list(
            ZoomMeeting.objects.select_for_update()
            .filter(series_meeting=series_meeting)
            .exclude(status=MeetingStatus.READY)
            .select_related("class_session")
        )
        for meeting in rows:
            occurrence = by_start.pop(meeting.class_session.starts_at, None)
            if occurrence is None:
                meeting.series_meeting = None
                meeting.status, meeting.error = MeetingStatus.CREATING, OWN_MEETING_NOTE
                meeting.save(update_fields=["series_meeting", "status", "error", "updated_at"])
                own_meetings.append(meeting.pk)
                continue
            meetings._meeting_fill(meeting, created)
            meeting.connection_id = series_meeting.connection_id
            meeting.occurrence_id = str(occurrence["occurrence_id"])
            meeting.start_time = zoom_time(occurrence["start_time"])
            meeting.duration = occurrence.get("duration") or meeting.class_session.duration_minutes
            meeting.topic = meeting.topic or created.get("topic", "")
            meeting.registration_enabled = registration
            meeting.status = MeetingStatus.READY
            meeting.error = ""
            meeting.retry_at = meeting.create_after = meeting.create_claimed_until = None
            meeting.save()
    logger.info("zoom recurring meeting created for series %s: %d classes", series_meeting.class_series_id, len(rows))
    return own_meetings, [str(occurrence["occurrence_id"]) for occurrence in by_start.values()]


# Registrants: one per student of the series ----------------------------------------------------


def _series_registrant_claim(series_registrant_pk):
    """registrants.ADD / APPROVE / LIMIT_REACHED, or None when it is registered or another writer holds it."""
    now = timezone.now()
    with transaction.atomic():
        row = ZoomSeriesRegistrant.objects.select_for_update().get(pk=series_registrant_pk)
        if row.status == RegistrantStatus.SYNCED and row.join_url:
            return None
        if row.claimed_until is not None and row.claimed_until > now:
            return None
        if row.registrant_id:
            action = registrants.APPROVE
        elif registrants._claim_add_call(row, now.date()):
            action = registrants.ADD
        else:
            row.status, row.error = RegistrantStatus.FAILED, registrants.DAILY_LIMIT_MESSAGE
            row.save(update_fields=["status", "error", "add_calls_day", "add_calls", "updated_at"])
            return registrants.LIMIT_REACHED
        row.claimed_until = now + ZOOM_CALL_CLAIM
        row.save(update_fields=["claimed_until", "add_calls_day", "add_calls", "updated_at"])
    return action


def _series_registrant_register(client, series_meeting, series_registrant, person):
    """Register the student once on the recurring meeting (one call at most); True when they have a link."""
    action = _series_registrant_claim(series_registrant.pk)
    if action is None or action == registrants.LIMIT_REACHED:
        series_registrant.refresh_from_db()
        return series_registrant.status == RegistrantStatus.SYNCED
    try:
        if action == registrants.APPROVE:
            client.registrants_status_update(
                meeting_id=series_meeting.zoom_meeting_id,
                action="approve",
                registrants=[{"id": series_registrant.registrant_id}],
            )
        else:
            # Batch registration is for scheduled meetings only (Zoom code 303): one call per student.
            added = client.registrant_add(
                meeting_id=series_meeting.zoom_meeting_id, body={**person, "auto_approve": True}
            )
            series_registrant.registrant_id = added["registrant_id"]
            series_registrant.join_url = added.get("join_url", "")
    except ZoomError as error:
        ZoomSeriesRegistrant.objects.filter(pk=series_registrant.pk).update(
            status=RegistrantStatus.FAILED, error=error.user_message, claimed_until=None, updated_at=timezone.now()
        )
        raise
    series_registrant.status, series_registrant.error = RegistrantStatus.SYNCED, ""
    series_registrant.claimed_until = None
    series_registrant.save(
        update_fields=["registrant_id", "join_url", "status", "error", "claimed_until", "updated_at"]
    )
    return True


def _copy_to_classes(series_registrant):
    """Every class registration of the student in the series gets the one registrant and link."""
    now = timezone.now()
    rows = list(
        ZoomRegistrant.objects.filter(
            meeting__series_meeting_id=series_registrant.series_meeting_id,
            registration__email__iexact=series_registrant.email,
            registration__status=RegistrationStatus.CONFIRMED,
        )
    )
    for row in rows:
        row.series_registrant = series_registrant
        row.registrant_id, row.join_url = series_registrant.registrant_id, series_registrant.join_url
        row.status, row.error, row.synced_at, row.claimed_until = RegistrantStatus.SYNCED, "", now, None
        if series_registrant.link_emailed_at:
            row.link_emailed_at = row.confirmation_sent_at = series_registrant.link_emailed_at
    ZoomRegistrant.objects.bulk_update(
        rows,
        [
            "series_registrant",
            "registrant_id",
            "join_url",
            "status",
            "error",
            "synced_at",
            "claimed_until",
            "link_emailed_at",
            "confirmation_sent_at",
        ],
    )
    return rows


def _email_link_once(series_registrant, rows):
    """ONE "Your join link" email for the series (about the student's next class), never one per class."""
    if series_registrant.link_emailed_at or not series_registrant.join_url or not rows:
        return
    with transaction.atomic():
        claimed = ZoomSeriesRegistrant.objects.filter(pk=series_registrant.pk, link_emailed_at__isnull=True).update(
            link_emailed_at=timezone.now()
        )
    if not claimed:
        return
    first = min(rows, key=lambda row: row.registration.class_session.starts_at)
    first.link_emailed_at = None
    first.confirmation_sent_at = None
    registrants.registrants_email_links(registrants=[first])
    ZoomRegistrant.objects.filter(pk__in=[row.pk for row in rows]).update(
        link_emailed_at=timezone.now(), confirmation_sent_at=timezone.now()
    )


def series_registrant_sync(*, registrant):
    """One class registration of a series student (task body): the student's one registrant, then their link."""
    meeting = registrant.meeting
    series_meeting = meeting.series_meeting
    registration = registrant.registration
    series_registrant, _ = ZoomSeriesRegistrant.objects.get_or_create(
        series_meeting=series_meeting,
        email=registration.email.lower(),
        defaults={"organization": meeting.organization},
    )
    client = meeting_client(meeting=meeting)
    if not _series_registrant_register(client, series_meeting, series_registrant, registrants._person(registration)):
        return registrant
    rows = _copy_to_classes(series_registrant)
    for row in rows:
        row.registration = (
            registration if row.registration_id == registration.pk else Registration.objects.get(pk=row.registration_id)
        )
    _email_link_once(series_registrant, rows)
    return registrant


def registration_sync(*, registration_pk, final_attempt=False):
    """A confirmed registration on Zoom (task body): the series student's one registrant, or the class's own."""
    registrant = (
        ZoomRegistrant.objects.select_related("meeting__series_meeting", "meeting__organization", "registration")
        .filter(registration_id=registration_pk)
        .first()
    )
    if registrant is not None and registrant.meeting.series_meeting_id and registrant.meeting.is_occurrence:
        if not registrant.registration.is_confirmed:
            return registrant
        return series_registrant_sync(registrant=registrant)
    return registrants.registrant_sync(registration_pk=registration_pk, final_attempt=final_attempt)


def registration_cancel(*, registration_pk):
    """A cancelled registration (task body): a series student's one registrant goes with their last class."""
    registrant = (
        ZoomRegistrant.objects.select_related("series_registrant__series_meeting__organization", "registration")
        .filter(registration_id=registration_pk)
        .first()
    )
    if registrant is not None and registrant.series_registrant_id and not registrant.registration.is_confirmed:
        return series_registrant_cancel(registrant=registrant)
    return registrants.registrant_cancel(registration_pk=registration_pk)


def series_registrants_sync(*, series_meeting_pk):
    """After the recurring meeting is made: each confirmed student of its classes registered once (task body)."""
    series_meeting = ZoomSeriesMeeting.objects.select_related("organization").get(pk=series_meeting_pk)
    class_meetings = {
        meeting.class_session_id: meeting
        for meeting in ZoomMeeting.objects.filter(series_meeting=series_meeting, status=MeetingStatus.READY)
    }
    confirmed = list(
        Registration.objects.filter(
            class_session_id__in=class_meetings, status=RegistrationStatus.CONFIRMED
        ).select_related("class_session__course", "class_session__organization")
    )
    if not confirmed:
        return 0
    ZoomRegistrant.objects.bulk_create(
        [
            ZoomRegistrant(
                organization=series_meeting.organization,
                meeting=class_meetings[registration.class_session_id],
                registration=registration,
            )
            for registration in confirmed
        ],
        ignore_conflicts=True,
    )
    by_email = {}
    for registration in confirmed:
        by_email.setdefault(registration.email.lower(), []).append(registration)
    client = series_meeting_client(series_meeting=series_meeting)
    registered = 0
    for email, group in by_email.items():
        series_registrant, _ = ZoomSeriesRegistrant.objects.get_or_create(
            series_meeting=series_meeting, email=email, defaults={"organization": series_meeting.organization}
        )
        if not _series_registrant_register(client, series_meeting, series_registrant, registrants._person(group[0])):
            continue
        by_pk = {registration.pk: registration for registration in group}
        rows = _copy_to_classes(series_registrant)
        for row in rows:
            row.registration = by_pk.get(row.registration_id) or Registration.objects.get(pk=row.registration_id)
        _email_link_once(series_registrant, rows)
        registered += 1
    return registered


def series_registrant_cancel(*, registrant):
    """A class registration of a series student was cancelled: Zoom's registrant goes once no class is left."""
    series_registrant = registrant.series_registrant
    if series_registrant is None:
        return registrant
    still = Registration.objects.filter(
        email__iexact=series_registrant.email,
        status=RegistrationStatus.CONFIRMED,
        class_session__zoom_meeting__series_meeting_id=series_registrant.series_meeting_id,
        class_session__starts_at__gt=timezone.now(),
    ).exists()
    if not still and series_registrant.registrant_id and series_registrant.status != RegistrantStatus.CANCELLED:
        series_meeting = series_registrant.series_meeting
        try:
            series_meeting_client(series_meeting=series_meeting).registrants_status_update(
                meeting_id=series_meeting.zoom_meeting_id,
                action="cancel",
                registrants=[{"id": series_registrant.registrant_id}],
            )
        except ZoomNotFound:
            logger.info("series registrant or meeting already gone on Zoom")
        ZoomSeriesRegistrant.objects.filter(pk=series_registrant.pk).update(
            status=RegistrantStatus.CANCELLED, link_emailed_at=None, updated_at=timezone.now()
        )
    ZoomRegistrant.objects.filter(pk=registrant.pk).update(
        status=RegistrantStatus.CANCELLED, link_emailed_at=None, updated_at=timezone.now()
    )
    return registrant


# Meetings of one class: made, then its students registered in batches --------------------------


def class_meeting_create(*, meeting_pk):
    """Create a class's own meeting (task body), then register its confirmed students in batches of 30.

    Students enrolled before the meeting existed (a series added to a course with enrolments) are registered
    here together, so Zoom gets ⌈students/30⌉ batch calls rather than one call per student.
    """
    meeting = meetings.meeting_create(meeting_pk=meeting_pk)
    if meeting is None or not meeting.is_ready or not meeting.registration_enabled:
        return meeting
    waiting = Registration.objects.filter(
        class_session_id=meeting.class_session_id, status=RegistrationStatus.CONFIRMED
    ).exclude(zoom_registrant__status=RegistrantStatus.SYNCED)
    if waiting.exists():
        registrants.registrants_sync(meeting_pk=meeting.pk)
    return meeting


def meetings_create_due():
    """Create the meetings whose wait for Zoom's daily limit is over, while today's count allows (beat task body)."""
    now = timezone.now()
    due_series = ZoomSeriesMeeting.objects.filter(status=MeetingStatus.CREATING, create_after__lte=now)
    due_classes = ZoomMeeting.objects.filter(
        status=MeetingStatus.CREATING, create_after__lte=now, series_meeting__isnull=True
    )
    created = 0
    work = [(series_meeting_create, "series_meeting_pk", pk) for pk in due_series.values_list("pk", flat=True)]
    work += [(class_meeting_create, "meeting_pk", pk) for pk in due_classes.values_list("pk", flat=True)]
    for create, argument, pk in work:
        try:
            create(**{argument: pk})
        except ZoomDailyLimitPlanned:
            continue  # that host's day is full again: it waits for the next one, Zoom not asked
        except ZoomError as error:
            logger.info("zoom meeting after the daily limit not created: %s", type(error).__name__)
            continue
        created += 1
    return created
