"""Webhook handlers that turn Zoom's meeting and participant events into attendance (see attendance_bridge).

Imported by `ZoomIntegrationConfig.ready()`. Each handler costs a few
queries: the meeting, the registrant when Zoom names one, and the attendance
refresh of that one participant (of the meeting's run, for meeting.ended).
"""

import logging

from attendance.models import SignalKind

from .. import jobs
from ..attendance_bridge import sync as attendance_sync
from ..connection import selectors
from ..constants import (
    EVENT_MEETING_ENDED,
    EVENT_MEETING_STARTED,
    EVENT_PARTICIPANT_JOINED,
    EVENT_PARTICIPANT_LEFT,
    FEATURE_ATTENDANCE,
    FEATURE_POLL_RESULTS,
)
from ..inbox.dispatch import EventIgnored, register
from .lookup import meeting_for_event

logger = logging.getLogger(__name__)


def _participant_event(context, kind):
    meeting = meeting_for_event(context)
    try:
        attendance_sync.presence_from_participant_event(
            meeting=meeting, zoom_object=context.object, kind=kind, event_time=context.event.event_ts
        )
    except attendance_sync.PresenceUnusable as error:
        raise EventIgnored(str(error)) from None


def _meeting_event(context, kind):
    meeting = meeting_for_event(context)
    try:
        attendance_sync.presence_from_meeting_event(
            meeting=meeting, zoom_object=context.object, kind=kind, event_time=context.event.event_ts
        )
    except attendance_sync.PresenceUnusable as error:
        raise EventIgnored(str(error)) from None
    return meeting


@register(EVENT_PARTICIPANT_JOINED)
def participant_joined(*, context):
    _participant_event(context, SignalKind.JOIN)


@register(EVENT_PARTICIPANT_LEFT)
def participant_left(*, context):
    _participant_event(context, SignalKind.LEAVE)


@register(EVENT_MEETING_STARTED)
def meeting_started(*, context):
    _meeting_event(context, SignalKind.SESSION_START)


@register(EVENT_MEETING_ENDED)
def meeting_ended(*, context):
    """The run's presence is closed; Zoom's participant report and poll answers are read a little later."""
    meeting = _meeting_event(context, SignalKind.SESSION_END)
    zoom_uuid = str(context.object["uuid"])
    for feature, follow_up, work in (
        (FEATURE_ATTENDANCE, jobs.attendance_reconcile, "attendance reconciliation"),
        (FEATURE_POLL_RESULTS, jobs.poll_results_fetch, "poll results"),
    ):
        if selectors.connection_has_feature(connection=context.connection, feature=feature):
            follow_up(meeting=meeting, zoom_uuid=zoom_uuid)
        else:
            logger.info(
                "zoom %s not queued meeting=%s: the connection lacks scopes %s",
                work,
                meeting.zoom_meeting_id,
                " ".join(feature.missing(context.connection.scopes)),
            )
