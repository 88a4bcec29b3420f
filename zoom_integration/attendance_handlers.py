"""Webhook handlers that turn Zoom's meeting and participant events into attendance (see attendance_sync.py).

Imported by `ZoomIntegrationConfig.ready()`. Each handler costs a few
queries: the meeting, the registrant when Zoom names one, and the attendance
refresh of that one participant (of the meeting's run, for meeting.ended).
"""

import logging

from django.db import transaction
from kombu.exceptions import OperationalError

from attendance.models import SignalKind

from . import attendance_sync, handlers, selectors, tasks
from .constants import (
    ATTENDANCE_RECONCILE_DELAY,
    EVENT_MEETING_ENDED,
    EVENT_MEETING_STARTED,
    EVENT_PARTICIPANT_JOINED,
    EVENT_PARTICIPANT_LEFT,
    FEATURE_ATTENDANCE,
)

logger = logging.getLogger(__name__)


def _participant_event(context, kind):
    meeting = handlers.meeting_for_event(context)
    try:
        attendance_sync.presence_from_participant_event(
            meeting=meeting, zoom_object=context.object, kind=kind, event_time=context.event.event_ts
        )
    except attendance_sync.PresenceUnusable as error:
        raise handlers.EventIgnored(str(error)) from None


def _meeting_event(context, kind):
    meeting = handlers.meeting_for_event(context)
    try:
        attendance_sync.presence_from_meeting_event(
            meeting=meeting, zoom_object=context.object, kind=kind, event_time=context.event.event_ts
        )
    except attendance_sync.PresenceUnusable as error:
        raise handlers.EventIgnored(str(error)) from None
    return meeting


@handlers.register(EVENT_PARTICIPANT_JOINED)
def participant_joined(*, context):
    _participant_event(context, SignalKind.JOIN)


@handlers.register(EVENT_PARTICIPANT_LEFT)
def participant_left(*, context):
    _participant_event(context, SignalKind.LEAVE)


@handlers.register(EVENT_MEETING_STARTED)
def meeting_started(*, context):
    _meeting_event(context, SignalKind.SESSION_START)


@handlers.register(EVENT_MEETING_ENDED)
def meeting_ended(*, context):
    meeting = _meeting_event(context, SignalKind.SESSION_END)
    if not selectors.connection_has_feature(connection=context.connection, feature=FEATURE_ATTENDANCE):
        logger.info(
            "zoom attendance reconciliation not queued meeting=%s: the connection lacks scopes %s",
            meeting.zoom_meeting_id,
            " ".join(FEATURE_ATTENDANCE.missing(context.connection.scopes)),
        )
        return
    zoom_uuid = str(context.object["uuid"])
    transaction.on_commit(lambda: _reconcile_enqueue(meeting, zoom_uuid))


def _reconcile_enqueue(meeting, zoom_uuid):
    try:
        tasks.attendance_reconcile_task.apply_async(
            args=[meeting.pk, zoom_uuid], countdown=ATTENDANCE_RECONCILE_DELAY.total_seconds()
        )
    except OperationalError:
        # The attendance from the webhooks stands; replaying this meeting.ended queues it again.
        logger.warning("zoom attendance reconciliation not queued meeting=%s: broker unavailable", meeting.zoom_meeting_id)
