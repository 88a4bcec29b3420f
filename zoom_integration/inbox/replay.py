"""Reprocessing stored webhook events (`manage.py zoom_replay_webhooks`).

Every verified delivery is kept as a `WebhookEvent`; replaying runs its
handler again, in the order the events arrived. Handlers are idempotent
(attendance signals, for one, are stored once), so a replay changes nothing
that is already right; the attendance of the classes the events concern is
then derived again from all their stored signals, so a replay also repairs
attendance computed by an older version of the code.
"""

import json
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Q

from attendance.services import attendance_rebuild
from courses.models import ClassSession

from ..constants import (
    EVENT_APP_DEAUTHORIZED,
    EVENT_MEETING_ENDED,
    EVENT_MEETING_STARTED,
    EVENT_PARTICIPANT_JOINED,
    EVENT_PARTICIPANT_LEFT,
    EVENT_WEBINAR_ENDED,
    EVENT_WEBINAR_PARTICIPANT_JOINED,
    EVENT_WEBINAR_PARTICIPANT_LEFT,
    EVENT_WEBINAR_STARTED,
)
from ..models import WebhookEvent, WebhookState, ZoomMeeting
from . import drain

ATTENDANCE_EVENTS = frozenset(
    {
        EVENT_MEETING_STARTED,
        EVENT_MEETING_ENDED,
        EVENT_PARTICIPANT_JOINED,
        EVENT_PARTICIPANT_LEFT,
        EVENT_WEBINAR_STARTED,
        EVENT_WEBINAR_ENDED,
        EVENT_WEBINAR_PARTICIPANT_JOINED,
        EVENT_WEBINAR_PARTICIPANT_LEFT,
    }
)
# Replaying a deauthorization would delete the tokens of a connection made since.
NEVER_REPLAYED = frozenset({EVENT_APP_DEAUTHORIZED})


@dataclass
class ReplayResult:
    dry_run: bool
    replayed_by_type: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    skipped: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    classes: list = field(default_factory=list)

    @property
    def replayed(self):
        return sum(self.replayed_by_type.values())


def webhook_events_replay(*, event_ids=None, since=None, until=None, organization=None, dry_run=False):
    """Run the handlers of the selected stored events again, then rebuild the attendance they concern.

    Events are selected by id, by arrival time (`since` inclusive, `until`
    exclusive) and by organization (known once an event was processed); no
    filter selects every stored event. With `dry_run`, only reports what would
    be done.
    """
    events = WebhookEvent.objects.order_by("received_at", "pk")
    if event_ids is not None:
        events = events.filter(pk__in=event_ids)
    if since is not None:
        events = events.filter(received_at__gte=since)
    if until is not None:
        events = events.filter(received_at__lt=until)
    if organization is not None:
        events = events.filter(organization=organization)

    result = ReplayResult(dry_run=dry_run)
    replayed = []
    for event_id, event_type in events.values_list("pk", "event_type"):
        if event_type in NEVER_REPLAYED:
            result.skipped.append((event_id, event_type))
            continue
        result.replayed_by_type[event_type] += 1
        replayed.append(event_id)
        if dry_run:
            continue
        WebhookEvent.objects.filter(pk=event_id).update(
            state=WebhookState.RECEIVED, claimed_until=None, processed_at=None, error=""
        )
        event = drain.webhook_event_process(event_id=event_id)
        result.outcomes[event.state] += 1
        if event.state == WebhookState.FAILED:
            result.failures.append((event.pk, event.event_type, event.error))

    result.classes = _classes_of(event_ids=replayed)
    if not dry_run:
        for class_session in result.classes:
            attendance_rebuild(class_session=class_session)
    return result


def _classes_of(*, event_ids):
    """The classes whose meetings the attendance events among these name, within each event's organization."""
    named = {
        (organization_id, _meeting_id_of(raw_body))
        for organization_id, raw_body in WebhookEvent.objects.filter(
            pk__in=event_ids, event_type__in=ATTENDANCE_EVENTS, organization__isnull=False
        ).values_list("organization_id", "raw_body")
    }
    meetings = Q(pk__in=[])
    for organization_id, zoom_meeting_id in named:
        if zoom_meeting_id is not None:
            meetings |= Q(organization_id=organization_id, zoom_meeting_id=zoom_meeting_id)
    class_ids = ZoomMeeting.objects.filter(meetings).values_list("class_session_id", flat=True)
    return list(ClassSession.objects.filter(pk__in=class_ids).select_related("course", "organization").order_by("pk"))


def _meeting_id_of(raw_body):
    try:
        zoom_object = json.loads(raw_body)["payload"]["object"]
        return int(zoom_object["id"])
    except (ValueError, KeyError, TypeError):
        return None
