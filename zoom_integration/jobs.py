"""Asking for work that a Celery task does: the state change, then the task queued once it commits.

The one place that queues tasks. Views, course hooks, webhook handlers and the admin call these;
feature modules never import `tasks`, so a task's body never depends on who queued it.
"""

import logging
import time

from django.core.cache import cache
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from . import tasks
from .constants import KIND_MEETING
from .inbox import drain, store
from .models import MeetingStatus
from .scheduling import meetings, registrants, series
from .tuning import (
    ATTENDANCE_RECONCILE_DELAY,
    BROKER_RETRY_PAUSE_SECONDS,
    DRAIN_FIRST,
    POLL_RESULTS_DELAY,
    WEBHOOK_DRAIN_KNOWN_PENDING_SECONDS,
    WEBHOOK_DRAIN_PENDING_KEY,
    WEBHOOK_DRAIN_PENDING_TTL_SECONDS,
)

logger = logging.getLogger(__name__)


def _after_commit(task, *args):
    transaction.on_commit(lambda: task.delay(*args))


# Meetings -----------------------------------------------------------------------------------


def meeting_request(*, class_session, kind=KIND_MEETING):
    """Ask for a Zoom meeting (or webinar) for a class; a task makes it, and the class shows it as pending meanwhile.

    A webinar is always the class's own: a series' shared recurring meeting stays a meeting.
    """
    with transaction.atomic():
        if kind == KIND_MEETING and series.series_meeting_wanted(class_session=class_session):
            meeting, series_meeting = series.series_meeting_mark_creating(class_session=class_session)
            if series_meeting is not None:
                _after_commit(tasks.series_meeting_create_task, series_meeting.pk)
                return meeting
        else:
            meeting = meetings.meeting_mark_creating(class_session=class_session, kind=kind)
        if meeting.status == MeetingStatus.CREATING:
            _after_commit(tasks.meeting_create_task, meeting.pk)
    return meeting


def meeting_update(*, meeting):
    """The class's schedule changed: Zoom follows, in a task."""
    _after_commit(tasks.meeting_update_task, meeting.pk)


def meeting_push_class_values(*, meeting):
    """The trainer keeps the class's values over Zoom's changes: Zoom is set back, in a task."""
    _after_commit(tasks.meeting_push_class_values_task, meeting.pk)


def meeting_delete(*, meeting):
    """Delete a meeting on Zoom, by its host, once the class's change commits (the class row may be gone by then)."""
    _after_commit(
        tasks.meeting_delete_task,
        meeting.organization_id,
        meeting.zoom_meeting_id,
        meeting.kind,
        meeting.connection_id,
    )


def host_plan_check(*, organization):
    """Read whether the connected host holds Zoom's Webinar add-on, in a task once the change commits."""
    _after_commit(tasks.host_plan_check_task, organization.pk)


def occurrence_delete(*, meeting):
    """Delete one class's occurrence of its recurring meeting once the class's change commits."""
    _after_commit(
        tasks.occurrence_delete_task,
        meeting.organization_id,
        meeting.zoom_meeting_id,
        meeting.occurrence_id,
        meeting.connection_id,
    )


def meeting_replace(*, meeting):
    """New meeting ID: a fresh meeting replaces this one, in a task."""
    meetings.meeting_mark_replacing(meeting=meeting)
    _after_commit(tasks.meeting_replace_task, meeting.pk)
    return meeting


# Registrants --------------------------------------------------------------------------------


def registrant_sync(*, registration):
    """A registration was confirmed: pre-register it on the class's meeting, in a task."""
    registrant = registrants.registrant_mark_syncing(registration=registration)
    if registrant is not None:
        _after_commit(tasks.registrant_sync_task, registration.pk)
    return registrant


def registrant_cancel(*, registration):
    _after_commit(tasks.registrant_cancel_task, registration.pk)


def registrants_sync(*, meeting):
    """Sync now, unless one is already running (then the running one covers it); True when started."""
    with transaction.atomic():
        started = registrants.registrants_sync_start(meeting=meeting)
        if started:
            _after_commit(tasks.registrants_sync_task, meeting.pk)
    return started


# Attendance ---------------------------------------------------------------------------------


def attendance_reconcile(*, meeting, zoom_uuid):
    """After a meeting ends, read Zoom's participant report a little later (it lags behind the meeting)."""

    def enqueue():
        try:
            tasks.attendance_reconcile_task.apply_async(
                args=[meeting.pk, zoom_uuid], countdown=ATTENDANCE_RECONCILE_DELAY.total_seconds()
            )
        except OperationalError:
            # The attendance from the webhooks stands; replaying this meeting.ended queues it again.
            logger.warning(
                "zoom attendance reconciliation not queued meeting=%s: broker unavailable", meeting.zoom_meeting_id
            )

    transaction.on_commit(enqueue)


def poll_results_fetch(*, meeting, zoom_uuid):
    """After a meeting ends, fetch its run's poll answers a little later (Zoom files them after the end)."""

    def enqueue():
        try:
            tasks.poll_results_fetch_task.apply_async(
                args=[meeting.pk, zoom_uuid], countdown=POLL_RESULTS_DELAY.total_seconds()
            )
        except OperationalError:
            # Replaying this meeting.ended queues it again.
            logger.warning("zoom poll results not queued meeting=%s: broker unavailable", meeting.zoom_meeting_id)

    transaction.on_commit(enqueue)


# Webhooks -----------------------------------------------------------------------------------
#
# How a stored event reaches a worker. The web process stores it and makes sure a drain task is on
# its way: under a burst most requests neither publish to the broker nor ask Redis, because this
# process already knows a drain is pending. Drains process events themselves, in claimed batches.

# After the broker refused a publish, webhook answers stop trying it for a while: Zoom
# wants an answer within 3 seconds, and the sweeper runs whatever was stored meanwhile.
_broker_unavailable_until = 0.0
# Until then this process knows a drain is pending and does not ask Redis again.
_drain_known_pending_until = 0.0


def webhook_event_accept(*, raw_body, payload):
    """Store a verified delivery (once per distinct body) and see that a worker processes it; (id, new)."""
    event_id, new = store.webhook_event_store(raw_body=raw_body, payload=payload)
    if new:
        transaction.on_commit(lambda: webhook_event_enqueue(event_id))
    return event_id, new


def webhook_events_reprocess(*, event_ids):
    """Put events back to "received" and queue them (admin action)."""
    drain.webhook_events_reset(event_ids=event_ids)
    for event_id in event_ids:
        transaction.on_commit(lambda event_id=event_id: webhook_event_enqueue(event_id))


def webhook_event_enqueue(event_id):
    """After a webhook is stored: run it (tasks in-process) or make sure a drain task is on its way."""
    if tasks.webhook_event_process_task.app.conf.task_always_eager:
        try:
            tasks.webhook_event_process_task.apply_async(args=[event_id], retry=False)
        except OperationalError:
            logger.warning("zoom webhook event %s not queued (broker unavailable); the sweeper will run it", event_id)
        return
    global _broker_unavailable_until, _drain_known_pending_until
    now = time.monotonic()
    if now < _broker_unavailable_until or now < _drain_known_pending_until:
        return
    try:
        if cache.add(WEBHOOK_DRAIN_PENDING_KEY, 1, timeout=WEBHOOK_DRAIN_PENDING_TTL_SECONDS):
            tasks.webhook_events_drain_task.apply_async(kwargs={"kind": DRAIN_FIRST}, retry=False)
        _drain_known_pending_until = now + WEBHOOK_DRAIN_KNOWN_PENDING_SECONDS
    except (OperationalError, RedisError):
        _broker_unavailable_until = now + BROKER_RETRY_PAUSE_SECONDS
        drain.cache_delete_quietly(WEBHOOK_DRAIN_PENDING_KEY)
        logger.warning(
            "zoom webhook event %s stored but not queued (broker unavailable); the sweeper will run it", event_id
        )
