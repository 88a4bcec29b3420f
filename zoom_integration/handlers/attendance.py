"""Webhook handlers that turn Zoom's meeting and participant events into attendance (see attendance_bridge).

Imported by `ZoomIntegrationConfig.ready()`. A drain hands the participant
events of a claimed batch to `participant_events` together: each class
meeting is looked up once, and the events of all the batch's classes are
applied in one transaction
(`attendance_sync.presence_from_participant_events_of_classes`), so a batch
costs a dozen queries whatever its size and however many classes it spans. Alone (a replay, a
retry) an event costs a few more than its share: the meeting, the
registrant, the refresh of that one participant (of the meeting's run, for
meeting.ended).
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
    EVENT_WEBINAR_ENDED,
    EVENT_WEBINAR_PARTICIPANT_JOINED,
    EVENT_WEBINAR_PARTICIPANT_LEFT,
    EVENT_WEBINAR_STARTED,
    FEATURE_ATTENDANCE,
    FEATURE_POLL_RESULTS,
)
from ..inbox.dispatch import EventIgnored, register, register_batch
from .lookup import meeting_for_event, meetings_for_events

logger = logging.getLogger(__name__)

# A webinar's participant events have the meeting's shape (API-FACTS 10.5): one path for both kinds.
PARTICIPANT_EVENT_KINDS = {
    EVENT_PARTICIPANT_JOINED: SignalKind.JOIN,
    EVENT_PARTICIPANT_LEFT: SignalKind.LEAVE,
    EVENT_WEBINAR_PARTICIPANT_JOINED: SignalKind.JOIN,
    EVENT_WEBINAR_PARTICIPANT_LEFT: SignalKind.LEAVE,
}


@register_batch(*PARTICIPANT_EVENT_KINDS)
def participant_events(*, contexts):
    """Apply a batch's participant events, all their classes together; one outcome per context, in order.

    The batch's meetings are read in one query and the registrants Zoom names in another, then every class's
    signals are recorded in one transaction, whatever the number of classes (each class apart should that
    fail; an event of a class that still fails is then handled alone by the drain).
    """
    outcomes = [None] * len(contexts)
    by_meeting = {}
    for index, meeting in enumerate(meetings_for_events(contexts)):
        if isinstance(meeting, EventIgnored):
            outcomes[index] = meeting
        else:
            by_meeting.setdefault(meeting.pk, (meeting, []))[1].append(index)
    registrations = attendance_sync.registrations_of_events(
        meetings=[meeting for meeting, _ in by_meeting.values()],
        zoom_objects=[contexts[index].object for _, indexes in by_meeting.values() for index in indexes],
    )
    batches = [
        (
            meeting,
            [
                (
                    contexts[index].object,
                    PARTICIPANT_EVENT_KINDS[contexts[index].event.event_type],
                    contexts[index].event.event_ts,
                )
                for index in indexes
            ],
        )
        for meeting, indexes in by_meeting.values()
    ]
    results = attendance_sync.presence_from_participant_events_of_classes(batches=batches, registrations=registrations)
    for (_, indexes), class_results in zip(by_meeting.values(), results, strict=True):
        for index, result in zip(indexes, class_results, strict=True):
            unusable = isinstance(result, attendance_sync.PresenceUnusable)
            outcomes[index] = EventIgnored(str(result)) if unusable else result
    return outcomes


def _participant_event(context, kind):
    meeting = meeting_for_event(context)
    outcome = attendance_sync.presence_from_participant_events(
        meeting=meeting, events=[(context.object, kind, context.event.event_ts)]
    )[0]
    if outcome is not None:
        raise EventIgnored(str(outcome))


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
@register(EVENT_WEBINAR_PARTICIPANT_JOINED)
def participant_joined(*, context):
    _participant_event(context, SignalKind.JOIN)


@register(EVENT_PARTICIPANT_LEFT)
@register(EVENT_WEBINAR_PARTICIPANT_LEFT)
def participant_left(*, context):
    _participant_event(context, SignalKind.LEAVE)


@register(EVENT_MEETING_STARTED)
@register(EVENT_WEBINAR_STARTED)
def meeting_started(*, context):
    _meeting_event(context, SignalKind.SESSION_START)


@register(EVENT_MEETING_ENDED)
@register(EVENT_WEBINAR_ENDED)
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
