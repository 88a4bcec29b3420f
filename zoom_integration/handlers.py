"""Which function handles which Zoom webhook event.

A later feature adds a handler with the decorator, in a module imported by
`ZoomIntegrationConfig.ready()`:

    @handlers.register("meeting.ended")
    def meeting_ended(*, context):
        meeting = ZoomMeeting.objects.filter(
            organization=context.organization, zoom_meeting_id=int(context.object["id"])
        ).first()
        if meeting is None:
            raise handlers.EventIgnored("Unknown meeting")
        ...call a service...

`context.connection` is the active connection of the Zoom user the event is
about (its `payload.user_id`, or the object's `host_id` / `meeting_host_id`,
within `payload.account_id`), and `context.organization` its organization.
Events without a handler, or without a connection when the handler needs
one, are stored and marked ignored; so is any event whose handler raises
`EventIgnored`.
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.dateparse import parse_datetime

from . import selectors, services
from .constants import EVENT_APP_DEAUTHORIZED, EVENT_MEETING_DELETED, EVENT_MEETING_UPDATED
from .constants import (
    EVENT_RECORDING_COMPLETED,
    EVENT_RECORDING_DELETED,
    EVENT_RECORDING_RECOVERED,
    EVENT_RECORDING_TRASHED,
    EVENT_SUMMARY_COMPLETED,
)


class EventIgnored(Exception):
    """The event concerns nothing we know (a meeting, an account): store it as ignored."""

    def __init__(self, reason):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class WebhookContext:
    event: object
    payload: dict
    connection: object

    @property
    def organization(self):
        return self.connection.organization if self.connection else None

    @property
    def body(self):
        """Zoom's `payload` object of the envelope."""
        body = self.payload.get("payload")
        return body if isinstance(body, dict) else {}

    @property
    def object(self):
        """Zoom's `payload.object` (the meeting, recording or summary)."""
        found = self.body.get("object")
        return found if isinstance(found, dict) else {}


@dataclass(frozen=True)
class Handler:
    function: object
    needs_connection: bool


_handlers = {}


def register(event_type, *, needs_connection=True):
    """Register `function(*, context)` for `event_type`; one handler per event type."""

    def decorator(function):
        if event_type in _handlers:
            raise ImproperlyConfigured(f"A handler for Zoom event {event_type!r} is already registered.")
        _handlers[event_type] = Handler(function=function, needs_connection=needs_connection)
        return function

    return decorator


def handler_for(event_type):
    return _handlers.get(event_type)


def context_build(*, event, payload):
    body = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
    zoom_object = body.get("object") if isinstance(body.get("object"), dict) else {}
    account_id = body.get("account_id") or zoom_object.get("account_id") or ""
    zoom_user_id = body.get("user_id") or zoom_object.get("host_id") or zoom_object.get("meeting_host_id") or ""
    connection = selectors.connection_for_zoom_user(zoom_account_id=str(account_id), zoom_user_id=str(zoom_user_id))
    return WebhookContext(event=event, payload=payload, connection=connection)


def dispatch(context):
    handler = handler_for(context.event.event_type)
    if handler is None:
        raise EventIgnored(f"CohortStudio does not handle {context.event.event_type or 'untyped'} events.")
    if handler.needs_connection and context.connection is None:
        raise EventIgnored("No organization is connected to the Zoom user or account of this event.")
    handler.function(context=context)


@register(EVENT_APP_DEAUTHORIZED, needs_connection=False)
def app_deauthorized(*, context):
    reported = context.body.get("deauthorization_time")
    connection = services.connection_deauthorize(
        zoom_account_id=str(context.body.get("account_id") or ""),
        zoom_user_id=str(context.body.get("user_id") or ""),
        zoom_reported_at=parse_datetime(reported) if isinstance(reported, str) else None,
        webhook_event=context.event,
    )
    if connection is None:
        raise EventIgnored("No active connection for this Zoom user: nothing left to delete.")


# Meetings ----------------------------------------------------------------------------


def meeting_for_event(context):
    """The class meeting an event is about (payload.object.id, a string or a number), else EventIgnored."""
    from .models import ZoomMeeting

    try:
        zoom_meeting_id = int(context.object.get("id"))
    except (TypeError, ValueError):
        raise EventIgnored("The event names no meeting id.") from None
    meeting = (
        ZoomMeeting.objects.select_related("class_session__course", "organization")
        .filter(organization=context.organization, zoom_meeting_id=zoom_meeting_id)
        .first()
    )
    if meeting is None:
        raise EventIgnored("The meeting is not one of this organization's classes.")
    return meeting


@register(EVENT_MEETING_DELETED)
def meeting_deleted(*, context):
    from . import meetings

    meetings.meeting_mark_deleted_on_zoom(meeting=meeting_for_event(context))


@register(EVENT_MEETING_UPDATED)
def meeting_updated(*, context):
    from . import meetings

    meeting = meeting_for_event(context)
    if meeting.is_ready:
        meetings.meeting_record_zoom_changes(meeting=meeting, zoom_object=context.object)


# AI summaries and cloud recordings --------------------------------------------------


def _class_meeting(context, zoom_meeting_id):
    from .models import ZoomMeeting

    try:
        zoom_meeting_id = int(zoom_meeting_id)
    except (TypeError, ValueError):
        raise EventIgnored("The event names no meeting id.") from None
    meeting = ZoomMeeting.objects.filter(organization=context.organization, zoom_meeting_id=zoom_meeting_id).first()
    if meeting is None:
        raise EventIgnored("The meeting is not one of this organization's classes.")
    return meeting


@register(EVENT_SUMMARY_COMPLETED)
def meeting_summary_completed(*, context):
    """Fetch the summary the event announces (by its instance uuid) and keep our copy."""
    from . import summaries
    from .exceptions import ZoomError, ZoomRateLimited, ZoomUnavailable

    meeting = _class_meeting(context, context.object.get("meeting_id"))
    meeting_uuid = str(context.object.get("meeting_uuid") or "")
    if not meeting_uuid:
        raise EventIgnored("The event names no meeting instance.")
    try:
        summaries.summary_fetch(meeting=meeting, meeting_id_or_uuid=meeting_uuid)
    except (ZoomUnavailable, ZoomRateLimited):
        raise
    except ZoomError as error:
        raise EventIgnored(summaries.summary_error_message(error)) from None


@register(EVENT_RECORDING_COMPLETED)
def recording_completed(*, context):
    """The event lists every file of the instance: keep their references (never its download token)."""
    from . import recordings

    meeting = _class_meeting(context, context.object.get("id"))
    recordings.recordings_store(meeting=meeting, recording=context.object)


def _removed_files(context):
    meeting = _class_meeting(context, context.object.get("id"))
    meeting_uuid = str(context.object.get("uuid") or "")
    if not meeting_uuid:
        raise EventIgnored("The event names no meeting instance.")
    file_ids = [str(item["id"]) for item in context.object.get("recording_files") or [] if item.get("id")]
    return meeting, meeting_uuid, file_ids


@register(EVENT_RECORDING_DELETED)
def recording_deleted(*, context):
    from . import recordings

    meeting, meeting_uuid, file_ids = _removed_files(context)
    recordings.recordings_mark_deleted(meeting=meeting, meeting_uuid=meeting_uuid, file_ids=file_ids)


@register(EVENT_RECORDING_TRASHED)
def recording_trashed(*, context):
    from . import recordings

    meeting, meeting_uuid, file_ids = _removed_files(context)
    recordings.recordings_mark_deleted(meeting=meeting, meeting_uuid=meeting_uuid, file_ids=file_ids)


@register(EVENT_RECORDING_RECOVERED)
def recording_recovered(*, context):
    from . import recordings

    meeting, meeting_uuid, file_ids = _removed_files(context)
    recordings.recordings_mark_recovered(meeting=meeting, meeting_uuid=meeting_uuid, file_ids=file_ids)
