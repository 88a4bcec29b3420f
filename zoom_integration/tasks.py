"""Celery tasks: each only calls a service, takes JSON arguments and is safe to run twice.

Zoom being unavailable is retried by Celery with exponential backoff and jitter; a rate limit
reschedules the task for Zoom's reset time (never sleeping in a worker). A task that gives up
says why in one log line. In the embedded default (tasks in-process) nothing is retried in
place: the failure is shown with a Retry button instead. `jobs` queues these tasks.
"""

import inspect
import logging

from celery import Task, shared_task
from kombu.exceptions import OperationalError

from .attendance_bridge import sync as attendance_sync
from .connection import services, tokens
from .constants import KIND_MEETING
from .content import poll_results
from .exceptions import ZoomError, ZoomRateLimited, ZoomUnavailable
from .inbox import drain
from .scheduling import host_plans, meetings, registrants, replace, series
from .tuning import DRAIN_FIRST, ZOOM_TASK_BACKOFF_MAX_SECONDS, ZOOM_TASK_BACKOFF_SECONDS, ZOOM_TASK_RETRIES

logger = logging.getLogger(__name__)

# Task arguments that tell which organization and Zoom meeting a give-up line is about.
LOG_ID_ARGUMENTS = ("meeting_pk", "registration_pk", "organization_id", "zoom_meeting_id")


class ZoomTask(Task):
    """A task calling Zoom: Celery retries ZoomUnavailable; rate limits wait for Zoom's reset; giving up is logged."""

    autoretry_for = (ZoomUnavailable,)
    max_retries = ZOOM_TASK_RETRIES
    retry_backoff = ZOOM_TASK_BACKOFF_SECONDS
    retry_backoff_max = ZOOM_TASK_BACKOFF_MAX_SECONDS
    retry_jitter = True
    acks_late = True
    ignore_result = True

    def retry(self, *args, exc=None, **kwargs):
        if self.request.is_eager and exc is not None:
            # In-process tasks are not retried in place: the page shows the failure and a Retry button.
            raise exc
        return super().retry(*args, exc=exc, **kwargs)

    def rate_limited(self, error):
        """Run again when Zoom's limit resets (a daily limit: after midnight UTC), however often that takes."""
        raise self.retry(exc=error, eta=error.retry_at, max_retries=None)

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        reason = exc.user_message if isinstance(exc, ZoomError) else repr(exc)
        called_with = inspect.signature(self.run).bind_partial(*args, **kwargs).arguments
        organization_id, zoom_meeting_id = meetings.meeting_log_ids(
            **{name: called_with[name] for name in LOG_ID_ARGUMENTS if name in called_with}
        )
        logger.warning(
            "task %s gave up after %d retries org=%s zoom_meeting=%s args=%s kwargs=%s: %s: %s",
            self.name,
            self.request.retries,
            organization_id,
            zoom_meeting_id,
            list(args),
            kwargs,
            type(exc).__name__,
            reason,
        )


def zoom_task(function):
    return shared_task(bind=True, base=ZoomTask, name=f"{__name__}.{function.__name__}")(function)


# Webhook inbox ----------------------------------------------------------------------------


def webhook_drain_publish(*, kind, countdown=None):
    """Queue a drain task now (or after `countdown` seconds); the sweeper queues one if the broker is down."""
    try:
        webhook_events_drain_task.apply_async(kwargs={"kind": kind}, countdown=countdown, retry=False)
    except OperationalError:
        logger.warning("zoom webhook drain (%s) not queued (broker unavailable); the sweeper will queue one", kind)


@shared_task(acks_late=True, ignore_result=True)
def webhook_event_process_task(event_id):
    drain.webhook_event_process(event_id=event_id)


@shared_task(acks_late=True, ignore_result=True)
def webhook_events_drain_task(kind=DRAIN_FIRST):
    drain.webhook_events_drain(kind=kind, publish_drain=webhook_drain_publish)


@shared_task(acks_late=True, ignore_result=True)
def webhook_events_sweep_task():
    drain.webhook_events_sweep(publish_drain=webhook_drain_publish)
    services.pending_grants_purge()


@shared_task(acks_late=True, ignore_result=True)
def webhook_events_prune_task():
    drain.webhook_events_prune()


@shared_task(acks_late=True, ignore_result=True)
def tokens_refresh_expiring_task():
    tokens.tokens_refresh_expiring()


# Meetings and registrants -------------------------------------------------------------------


@zoom_task
def meeting_create_task(self, meeting_pk):
    try:
        series.class_meeting_create(meeting_pk=meeting_pk)
    except ZoomRateLimited as error:
        self.rate_limited(error)


@zoom_task
def series_meeting_create_task(self, series_meeting_pk):
    try:
        series.series_meeting_create(series_meeting_pk=series_meeting_pk)
    except ZoomRateLimited as error:
        self.rate_limited(error)


@shared_task(acks_late=True, ignore_result=True)
def meetings_create_due_task():
    """Meetings that waited for Zoom's daily limit (their tasks are queued for then too; this catches lost ones)."""
    series.meetings_create_due()


@zoom_task
def occurrence_delete_task(self, organization_id, zoom_meeting_id, occurrence_id, connection_id=None):
    try:
        meetings.occurrence_delete_on_zoom(
            organization_id=organization_id,
            zoom_meeting_id=zoom_meeting_id,
            occurrence_id=occurrence_id,
            connection_id=connection_id,
        )
    except ZoomRateLimited as error:
        self.rate_limited(error)


@zoom_task
def meeting_update_task(self, meeting_pk):
    try:
        meetings.meeting_update_from_class(meeting_pk=meeting_pk)
    except ZoomError as error:
        meetings.meeting_failure_record(meeting_pk=meeting_pk, error=error)
        if isinstance(error, ZoomRateLimited):
            self.rate_limited(error)
        raise


@zoom_task
def meeting_push_class_values_task(self, meeting_pk):
    try:
        meetings.meeting_push_class_values(meeting_pk=meeting_pk)
    except ZoomError as error:
        meetings.meeting_failure_record(meeting_pk=meeting_pk, error=error)
        if isinstance(error, ZoomRateLimited):
            self.rate_limited(error)
        raise


@zoom_task
def meeting_delete_task(self, organization_id, zoom_meeting_id, kind=KIND_MEETING, connection_id=None):
    try:
        meetings.meeting_delete_on_zoom(
            organization_id=organization_id, zoom_meeting_id=zoom_meeting_id, kind=kind, connection_id=connection_id
        )
    except ZoomRateLimited as error:
        self.rate_limited(error)


@zoom_task
def host_plan_check_task(self, organization_id):
    host_plans.host_plan_check(organization_id=organization_id)


@zoom_task
def meeting_replace_task(self, meeting_pk):
    try:
        replace.meeting_replace(meeting_pk=meeting_pk)
    except ZoomError as error:
        meetings.meeting_failure_record(meeting_pk=meeting_pk, error=error)
        if isinstance(error, ZoomRateLimited):
            self.rate_limited(error)
        raise


@zoom_task
def registrant_sync_task(self, registration_pk):
    final = self.request.is_eager or self.request.retries >= self.max_retries
    try:
        series.registration_sync(registration_pk=registration_pk, final_attempt=final)
    except ZoomRateLimited as error:
        self.rate_limited(error)


@zoom_task
def registrant_cancel_task(self, registration_pk):
    try:
        series.registration_cancel(registration_pk=registration_pk)
    except ZoomRateLimited as error:
        self.rate_limited(error)


@zoom_task
def registrants_sync_task(self, meeting_pk):
    try:
        registrants.registrants_sync(meeting_pk=meeting_pk)
    except ZoomRateLimited as error:
        self.rate_limited(error)


# Attendance -----------------------------------------------------------------------------------


@zoom_task
def attendance_reconcile_task(self, meeting_pk, zoom_uuid):
    try:
        attendance_sync.attendance_reconcile(meeting_pk=meeting_pk, zoom_uuid=zoom_uuid)
    except ZoomRateLimited as error:
        self.rate_limited(error)


@zoom_task
def poll_results_fetch_task(self, meeting_pk, zoom_uuid):
    try:
        poll_results.poll_results_fetch(meeting_pk=meeting_pk, zoom_uuid=zoom_uuid)
    except ZoomRateLimited as error:
        self.rate_limited(error)
