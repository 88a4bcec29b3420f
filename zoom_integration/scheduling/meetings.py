"""Zoom meetings of virtual classes: create, keep in step with the class, take Zoom's changes, delete.

The functions that call Zoom are task bodies (`jobs` queues them, `tasks` runs them), except
`meeting_start_url`, which answers the owner's Start meeting click; views only request the work and
show its state, so a slow or failing Zoom never loses what the trainer typed.
Zoom is called with no transaction open: a claim is committed first, the answer written after.
"""

import logging
import secrets
import string
from datetime import UTC

from django.db import transaction
from django.utils import timezone

from cohortstudio.observability import zoom_meeting_id_var
from courses.services import class_session_update
from orgs.models import Organization

from ..connection import selectors
from ..connection.tokens import connection_client, meeting_client
from ..constants import (
    ACCOUNT_TYPE_LICENSED,
    APPROVAL_MANUAL,
    FEATURE_MEETINGS,
    FEATURE_REGISTRANTS,
    FEATURE_WEBINARS,
    KIND_MEETING,
    KIND_WEBINAR,
    MEETING_TOPIC_MAX,
    MEETING_TYPE_SCHEDULED,
    NO_REGISTRATION,
    WEBINAR_TYPE_SCHEDULED,
)
from ..exceptions import (
    ZoomDailyLimitPlanned,
    ZoomError,
    ZoomMissingScope,
    ZoomNeedsReconnect,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRejected,
)
from ..models import MeetingStatus, ZoomConnection, ZoomMeeting, ZoomMeetingDefaults
from ..payloads import zoom_time
from ..tuning import MEETING_PASSWORD_LENGTH, ZOOM_CALL_CLAIM
from . import host_plans
from .quota import meeting_write_claim

logger = logging.getLogger(__name__)

SCHEDULE_FIELDS = ("topic", "start_time", "duration", "timezone")


def meeting_log_ids(*, meeting_pk=None, registration_pk=None, organization_id=None, zoom_meeting_id=None):
    """(organization id, Zoom meeting id) of whatever a task was called with, for its log line; "-" if unknown."""
    meeting = None
    if meeting_pk is not None:
        meeting = ZoomMeeting.objects.filter(pk=meeting_pk).first()
    elif registration_pk is not None:
        meeting = ZoomMeeting.objects.filter(class_session__registrations__pk=registration_pk).first()
    if meeting is not None:
        organization_id, zoom_meeting_id = meeting.organization_id, meeting.zoom_meeting_id
    return str(organization_id or "-"), str(zoom_meeting_id or "-")


def meeting_defaults_get(*, organization):
    defaults, _ = ZoomMeetingDefaults.objects.get_or_create(organization=organization)
    return defaults


def meeting_defaults_update(*, organization, waiting_room, join_before_host, auto_recording_cloud):
    defaults = meeting_defaults_get(organization=organization)
    defaults.waiting_room = waiting_room
    defaults.join_before_host = join_before_host
    defaults.auto_recording_cloud = auto_recording_cloud
    defaults.save()
    return defaults


def _topic(class_session):
    return f"{class_session.course.title}: {class_session.title}"[:MEETING_TOPIC_MAX]


def _zoom_start_time(class_session):
    """UTC with `Z` (RFC 3339, as Zoom's schema wants); Zoom shows it in the meeting's `timezone`."""
    return class_session.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _new_password():
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(MEETING_PASSWORD_LENGTH))


def _class_values(class_session):
    return {
        "topic": _topic(class_session),
        "start_time": class_session.starts_at,
        "duration": class_session.duration_minutes,
        "timezone": class_session.timezone,
    }


def meeting_body(*, class_session, defaults, registration, kind=KIND_MEETING):
    """The POST /users/me/meetings body for a class (API-FACTS 3.1), or /users/me/webinars' (API-FACTS 9)."""
    if kind == KIND_WEBINAR:
        return webinar_body(class_session=class_session, defaults=defaults, registration=registration)
    return {
        "topic": _topic(class_session),
        "type": MEETING_TYPE_SCHEDULED,
        "start_time": _zoom_start_time(class_session),
        "duration": class_session.duration_minutes,
        "timezone": class_session.timezone,
        "password": _new_password(),
        "agenda": (class_session.course.description or "")[:2000],
        "settings": {
            # Manual approval on Zoom's side: a leaked registration link admits nobody,
            # while every registrant CohortStudio pushes is sent with auto_approve.
            "approval_type": APPROVAL_MANUAL if registration else NO_REGISTRATION,
            "registrants_confirmation_email": False,
            "registrants_email_notification": False,
            "waiting_room": defaults.waiting_room,
            "join_before_host": defaults.join_before_host and not defaults.waiting_room,
            "auto_recording": "cloud" if defaults.auto_recording_cloud else "none",
            "mute_upon_entry": True,
        },
    }


def webinar_body(*, class_session, defaults, registration):
    """The POST /users/me/webinars body: a scheduled webinar (type 5, the one batch registration takes).

    Attendees join muted and unseen by one another, so the meeting's waiting room and join-before-host
    settings have no webinar counterpart; recording follows the organization's default.
    """
    return {
        "topic": _topic(class_session),
        "type": WEBINAR_TYPE_SCHEDULED,
        "start_time": _zoom_start_time(class_session),
        "duration": class_session.duration_minutes,
        "timezone": class_session.timezone,
        "password": _new_password(),
        "agenda": (class_session.course.description or "")[:2000],
        "settings": {
            "approval_type": APPROVAL_MANUAL if registration else NO_REGISTRATION,
            "registrants_confirmation_email": False,
            "registrants_email_notification": False,
            "auto_recording": "cloud" if defaults.auto_recording_cloud else "none",
            "practice_session": False,
        },
    }


def meeting_mark_creating(*, class_session, kind=KIND_MEETING):
    """The class's meeting row, now "creating" unless it is ready (`jobs.meeting_request` queues the create)."""
    meeting, _ = ZoomMeeting.objects.select_for_update().get_or_create(
        class_session=class_session, defaults={"organization": class_session.organization, "kind": kind}
    )
    if meeting.is_ready:
        return meeting
    meeting.status = MeetingStatus.CREATING
    meeting.kind = kind
    meeting.error = ""
    meeting.retry_at = None
    meeting.save(update_fields=["status", "kind", "error", "retry_at", "updated_at"])
    return meeting


def meeting_failure_record(*, meeting_pk, error):
    """Keep a failed update visible on the class page (the meeting itself stays as it was)."""
    if isinstance(error, ZoomNotFound):
        meeting = ZoomMeeting.objects.filter(pk=meeting_pk).first()
        if meeting is not None:
            meeting_mark_deleted_on_zoom(meeting=meeting)
        return
    ZoomMeeting.objects.filter(pk=meeting_pk).update(
        error=error.user_message,
        retry_at=error.retry_at if isinstance(error, ZoomRateLimited) else None,
        updated_at=timezone.now(),
    )


def meeting_create(*, meeting_pk):
    """Create the Zoom meeting (task body). Safe to run twice: a ready meeting is left alone.

    A run claims the meeting in a short transaction, asks Zoom with none open, then writes the
    answer. A second run while the claim holds leaves the meeting to the first; when a worker died
    during Zoom's answer, the claim lapses after ZOOM_CALL_CLAIM and a later run asks again (at
    worst leaving an unused meeting on the Zoom account, never a class without one).
    """
    try:
        claimed = _create_claim(meeting_pk)
        if claimed is None:
            return ZoomMeeting.objects.filter(pk=meeting_pk).first()
        meeting, connection, body, registration = claimed
        meeting_write_claim(connection=connection)
        try:
            created = connection_client(connection=connection).meeting_create(body=body, kind=meeting.kind)
        except ZoomRejected as error:
            if meeting.is_webinar and host_plans.webinar_refusal_record(organization=meeting.organization, error=error):
                raise ZoomRejected(error.code, host_plans.WEBINAR_PLAN_MISSING_MESSAGE) from error
            raise
    except ZoomDailyLimitPlanned as error:
        # Not asked of Zoom: the meeting waits for the host's new day (the task runs again then).
        ZoomMeeting.objects.filter(pk=meeting_pk).update(
            status=MeetingStatus.CREATING,
            error="",
            create_after=error.retry_at,
            create_claimed_until=None,
            updated_at=timezone.now(),
        )
        raise
    except ZoomError as error:
        ZoomMeeting.objects.filter(pk=meeting_pk).update(
            status=MeetingStatus.FAILED,
            error=error.user_message,
            retry_at=error.retry_at if isinstance(error, ZoomRateLimited) else None,
            create_claimed_until=None,
            updated_at=timezone.now(),
        )
        raise
    with transaction.atomic():
        meeting = ZoomMeeting.objects.select_for_update().select_related("organization").get(pk=meeting_pk)
        _meeting_fill(meeting, created)
        meeting.registration_enabled = registration
        meeting.status = MeetingStatus.READY
        meeting.error = ""
        meeting.retry_at = None
        meeting.create_after = None
        meeting.create_claimed_until = None
        meeting.save()
    token = zoom_meeting_id_var.set(str(meeting.zoom_meeting_id))
    logger.info("zoom meeting created for class %s", meeting.class_session_id)
    zoom_meeting_id_var.reset(token)
    return meeting


def _create_claim(meeting_pk):
    """(meeting, connection, body, registration) once this run holds the meeting's create claim, else None.

    The meeting is made on its class's host (`connection_for_class`) and remembers it.
    """
    now = timezone.now()
    meeting = ZoomMeeting.objects.select_related("organization", "class_session").filter(pk=meeting_pk).first()
    if meeting is None or meeting.is_ready or meeting.series_meeting_id is not None:
        return None  # a class of a recurring meeting is made with its series (scheduling.series)
    connection = selectors.connection_for_class(class_session=meeting.class_session)
    if not selectors.connection_has_feature(connection=connection, feature=FEATURE_MEETINGS):
        raise ZoomNeedsReconnect(connection=connection)
    if meeting.is_webinar and not selectors.connection_has_feature(connection=connection, feature=FEATURE_WEBINARS):
        raise ZoomMissingScope(FEATURE_WEBINARS.missing(connection.scopes))
    registration = connection.account_type == ACCOUNT_TYPE_LICENSED and selectors.connection_has_feature(
        connection=connection, feature=FEATURE_REGISTRANTS
    )
    defaults = meeting_defaults_get(organization=meeting.organization)
    with transaction.atomic():
        meeting = (
            ZoomMeeting.objects.select_for_update()
            .select_related("class_session__course", "organization")
            .filter(pk=meeting_pk)
            .first()
        )
        if meeting is None or meeting.is_ready:
            return None
        if meeting.create_claimed_until is not None and meeting.create_claimed_until > now:
            return None
        meeting.create_claimed_until = now + ZOOM_CALL_CLAIM
        meeting.connection = connection
        meeting.save(update_fields=["create_claimed_until", "connection", "updated_at"])
    body = meeting_body(
        class_session=meeting.class_session, defaults=defaults, registration=registration, kind=meeting.kind
    )
    return meeting, connection, body, registration


def _meeting_fill(meeting, data):
    meeting.zoom_meeting_id = int(data["id"])
    meeting.zoom_uuid = data.get("uuid", "")
    meeting.host_id = data.get("host_id", "")
    meeting.meeting_type = int(data.get("type") or MEETING_TYPE_SCHEDULED)
    meeting.join_url = data.get("join_url", "")
    meeting.registration_url = data.get("registration_url", "")
    meeting.password = data.get("password", "")
    meeting.topic = data.get("topic", "")
    meeting.start_time = zoom_time(data.get("start_time"))
    meeting.duration = data.get("duration")
    meeting.timezone = data.get("timezone", "")
    meeting.zoom_changes = {}


def meeting_update_from_class(*, meeting_pk):
    """Push the class's title, time, duration and zone to Zoom, sending only what differs on Zoom now."""
    meeting = ZoomMeeting.objects.select_related("class_session__course", "organization").filter(pk=meeting_pk).first()
    if meeting is None or not meeting.is_ready:
        return None
    if meeting.is_occurrence:
        return occurrence_update_from_class(meeting=meeting)
    connection = selectors.connection_for_meeting(meeting=meeting)
    client = connection_client(connection=connection)
    try:
        live = client.meeting_get(meeting_id=meeting.zoom_meeting_id, kind=meeting.kind)
    except ZoomNotFound:
        meeting_mark_deleted_on_zoom(meeting=meeting)
        return meeting
    changes = _differences(live, meeting.class_session)
    if changes:
        body = {}
        for field in changes:
            body[field] = changes[field]["class"]
        if "start_time" in body or "timezone" in body:
            body["start_time"] = _zoom_start_time(meeting.class_session)
            body["timezone"] = meeting.class_session.timezone
        meeting_write_claim(connection=connection, message=UPDATE_WAITS_MESSAGE)
        client.meeting_update(meeting_id=meeting.zoom_meeting_id, body=body, kind=meeting.kind)
    values = _class_values(meeting.class_session)
    ZoomMeeting.objects.filter(pk=meeting.pk).update(
        topic=values["topic"],
        start_time=values["start_time"],
        duration=values["duration"],
        timezone=values["timezone"],
        zoom_changes={},
        error="",
        updated_at=timezone.now(),
    )
    return meeting


UPDATE_WAITS_MESSAGE = "This change reaches Zoom after 00:00 UTC (Zoom's daily limit)."


def occurrence_update_from_class(*, meeting):
    """A class of a series moved: PATCH its occurrence of the recurring meeting (start time and duration only).

    The topic and zone belong to the whole recurring meeting, so they are not changed for one class.
    """
    class_session = meeting.class_session
    body = {}
    if meeting.start_time != class_session.starts_at:
        body["start_time"] = _zoom_start_time(class_session)
    if meeting.duration != class_session.duration_minutes:
        body["duration"] = class_session.duration_minutes
    if body:
        connection = selectors.connection_for_meeting(meeting=meeting)
        meeting_write_claim(connection=connection, message=UPDATE_WAITS_MESSAGE)
        connection_client(connection=connection).meeting_update(
            meeting_id=meeting.zoom_meeting_id, occurrence_id=meeting.occurrence_id, body=body
        )
    ZoomMeeting.objects.filter(pk=meeting.pk).update(
        start_time=class_session.starts_at,
        duration=class_session.duration_minutes,
        error="",
        retry_at=None,
        updated_at=timezone.now(),
    )
    return meeting


def _differences(zoom_object, class_session):
    """{field: {"zoom": value, "class": value}} for the schedule fields Zoom has differently."""
    wanted = _class_values(class_session)
    found = {}
    for field in SCHEDULE_FIELDS:
        if field not in zoom_object:
            continue
        value = zoom_object[field]
        if field == "start_time":
            value = zoom_time(value) if isinstance(value, str) else value
        if value != wanted[field]:
            zoom_value = value.isoformat() if hasattr(value, "isoformat") else value
            class_value = wanted[field].isoformat() if hasattr(wanted[field], "isoformat") else wanted[field]
            found[field] = {"zoom": zoom_value, "class": class_value}
    return found


def meeting_record_zoom_changes(*, meeting, zoom_object):
    """A meeting changed on Zoom's side (meeting.updated): keep the difference for the trainer to settle."""
    reported = _differences(zoom_object, meeting.class_session)
    if "password" in zoom_object and zoom_object["password"] != meeting.password:
        reported["password"] = {"zoom": zoom_object["password"], "class": meeting.password}
    # An event names only the fields it changed; earlier differences stay until settled.
    changes = {field: value for field, value in meeting.zoom_changes.items() if field not in zoom_object}
    changes.update(reported)
    meeting.zoom_changes = changes
    meeting.save(update_fields=["zoom_changes", "updated_at"])
    return changes


def meeting_take_zoom_values(*, meeting):
    """The trainer keeps what was changed on Zoom: the class (and stored password) follow Zoom."""
    changes = dict(meeting.zoom_changes)
    class_values = {}
    if "topic" in changes:
        prefix = f"{meeting.class_session.course.title}: "
        topic = changes["topic"]["zoom"]
        class_values["title"] = topic[len(prefix) :] if topic.startswith(prefix) else topic
    if "start_time" in changes:
        class_values["starts_at"] = zoom_time(changes["start_time"]["zoom"])
    if "duration" in changes:
        class_values["duration_minutes"] = int(changes["duration"]["zoom"])
    if "timezone" in changes:
        class_values["timezone"] = changes["timezone"]["zoom"]
    if class_values:
        class_session_update(class_session=meeting.class_session, options={"from_zoom": True}, **class_values)
    if "password" in changes:
        meeting.password = changes["password"]["zoom"]
    meeting.zoom_changes = {}
    meeting.save(update_fields=["password", "zoom_changes", "updated_at"])
    return meeting


def meeting_push_class_values(*, meeting_pk):
    """The trainer keeps the class's values: Zoom is set back to them (task body)."""
    meeting = ZoomMeeting.objects.select_related("class_session__course", "organization").get(pk=meeting_pk)
    body = {}
    if "password" in meeting.zoom_changes:
        body["password"] = meeting.password
    connection = selectors.connection_for_meeting(meeting=meeting)
    client = connection_client(connection=connection)
    if body:
        meeting_write_claim(connection=connection, message=UPDATE_WAITS_MESSAGE)
        client.meeting_update(meeting_id=meeting.zoom_meeting_id, body=body, kind=meeting.kind)
    return meeting_update_from_class(meeting_pk=meeting.pk)


def _deleting_connection(organization, connection_id):
    """The host a meeting was made with; the organization's connection for meetings from before hosts were kept."""
    if connection_id is not None:
        connection = ZoomConnection.objects.filter(pk=connection_id, organization=organization).first()
        if connection is not None:
            return connection
    return selectors.connection_of(organization=organization)


def occurrence_delete_on_zoom(*, organization_id, zoom_meeting_id, occurrence_id, connection_id=None):
    """Delete one class's occurrence of a recurring meeting (task body); the other classes keep the meeting."""
    organization = Organization.objects.get(pk=organization_id)
    try:
        connection_client(connection=_deleting_connection(organization, connection_id)).meeting_delete(
            meeting_id=zoom_meeting_id, occurrence_id=occurrence_id
        )
    except ZoomNotFound:
        logger.info("zoom occurrence was already gone when deleting")
    ZoomMeeting.objects.filter(
        organization=organization, zoom_meeting_id=zoom_meeting_id, occurrence_id=occurrence_id
    ).update(status=MeetingStatus.DELETED_ON_ZOOM, error="", updated_at=timezone.now())


def meeting_mark_deleted_on_zoom(*, meeting):
    meeting.status = MeetingStatus.DELETED_ON_ZOOM
    meeting.error = "This meeting no longer exists on Zoom."
    meeting.save(update_fields=["status", "error", "updated_at"])
    return meeting


def meeting_delete_on_zoom(*, organization_id, zoom_meeting_id, kind=KIND_MEETING, connection_id=None):
    """Delete a meeting (or webinar) on Zoom by its host (task body); one that is already gone counts as deleted."""
    organization = Organization.objects.get(pk=organization_id)
    try:
        connection_client(connection=_deleting_connection(organization, connection_id)).meeting_delete(
            meeting_id=zoom_meeting_id, kind=kind
        )
    except ZoomNotFound:
        logger.info("zoom meeting was already gone when deleting")
    ZoomMeeting.objects.filter(organization=organization, zoom_meeting_id=zoom_meeting_id).update(
        status=MeetingStatus.DELETED_ON_ZOOM, error="", updated_at=timezone.now()
    )


def meeting_mark_replacing(*, meeting):
    """New meeting ID asked for: the meeting shows as being created (`jobs.meeting_replace` queues the work)."""
    meeting.status = MeetingStatus.CREATING
    meeting.error = ""
    meeting.save(update_fields=["status", "error", "updated_at"])
    return meeting


def meeting_start_url(*, meeting):
    """A fresh host start URL (never stored: it signs in as the connected Zoom user)."""
    data = meeting_client(meeting=meeting).meeting_get(meeting_id=meeting.zoom_meeting_id, kind=meeting.kind)
    return data["start_url"]


def meeting_kind_converted(*, meeting, kind):
    """Zoom converted the class's meeting to a webinar or back: its later calls use that kind's endpoints.

    The Zoom ID, join link and registrants stay as Zoom keeps them; only the endpoint family changes.
    """
    if meeting.kind == kind:
        return meeting
    meeting.kind = kind
    meeting.meeting_type = WEBINAR_TYPE_SCHEDULED if kind == KIND_WEBINAR else MEETING_TYPE_SCHEDULED
    meeting.save(update_fields=["kind", "meeting_type", "updated_at"])
    logger.info("zoom meeting of class %s is now a %s on Zoom", meeting.class_session_id, kind)
    return meeting
