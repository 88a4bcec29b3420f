"""Celery tasks: each only calls a service, takes JSON arguments and is safe to run twice."""

from celery import shared_task

from . import meetings, registrants, services
from . import attendance_sync
from .constants import DRAIN_FIRST
from .exceptions import ZoomError, ZoomRateLimited, ZoomUnavailable


@shared_task(acks_late=True, ignore_result=True)
def webhook_event_process_task(event_id):
    services.webhook_event_process(event_id=event_id)


@shared_task(acks_late=True, ignore_result=True)
def webhook_events_drain_task(kind=DRAIN_FIRST):
    services.webhook_events_drain(kind=kind)


@shared_task(acks_late=True, ignore_result=True)
def tokens_refresh_expiring_task():
    services.tokens_refresh_expiring()


@shared_task(acks_late=True, ignore_result=True)
def webhook_events_prune_task():
    services.webhook_events_prune()


@shared_task(acks_late=True, ignore_result=True)
def webhook_events_sweep_task():
    services.webhook_events_sweep()
    services.pending_grants_purge()


# Meetings and registrants ----------------------------------------------------------
#
# Each task only calls a service. Zoom being down is retried with backoff; a
# daily rate limit reschedules the task after Zoom's reset time (never sleeping
# in a worker). In the embedded default (tasks in-process) nothing is retried
# in place: the failure is shown with a Retry button instead.

ZOOM_TASK_RETRIES = 5


def _retry_later(task, error):
    if task.request.is_eager:
        return
    if isinstance(error, ZoomRateLimited):
        raise task.retry(exc=error, eta=error.retry_at, max_retries=None)
    if isinstance(error, ZoomUnavailable) and task.request.retries < ZOOM_TASK_RETRIES:
        raise task.retry(exc=error, countdown=min(600, 15 * 2**task.request.retries))


@shared_task(bind=True, acks_late=True, ignore_result=True)
def meeting_create_task(self, meeting_pk):
    try:
        meetings.meeting_create(meeting_pk=meeting_pk)
    except ZoomError as error:
        _retry_later(self, error)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def meeting_update_task(self, meeting_pk):
    try:
        meetings.meeting_update_from_class(meeting_pk=meeting_pk)
    except ZoomError as error:
        meetings.meeting_failure_record(meeting_pk=meeting_pk, error=error)
        _retry_later(self, error)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def meeting_push_class_values_task(self, meeting_pk):
    try:
        meetings.meeting_push_class_values(meeting_pk=meeting_pk)
    except ZoomError as error:
        meetings.meeting_failure_record(meeting_pk=meeting_pk, error=error)
        _retry_later(self, error)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def meeting_delete_task(self, organization_id, zoom_meeting_id):
    try:
        meetings.meeting_delete_on_zoom(organization_id=organization_id, zoom_meeting_id=zoom_meeting_id)
    except ZoomError as error:
        _retry_later(self, error)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def meeting_replace_task(self, meeting_pk):
    try:
        meetings.meeting_replace(meeting_pk=meeting_pk)
    except ZoomError as error:
        meetings.meeting_failure_record(meeting_pk=meeting_pk, error=error)
        _retry_later(self, error)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def registrant_sync_task(self, registration_pk):
    final = self.request.is_eager or self.request.retries >= ZOOM_TASK_RETRIES
    try:
        registrants.registrant_sync(registration_pk=registration_pk, final_attempt=final)
    except ZoomError as error:
        _retry_later(self, error)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def registrant_cancel_task(self, registration_pk):
    try:
        registrants.registrant_cancel(registration_pk=registration_pk)
    except ZoomError as error:
        _retry_later(self, error)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def registrants_sync_task(self, meeting_pk):
    try:
        registrants.registrants_sync(meeting_pk=meeting_pk)
    except ZoomError as error:
        _retry_later(self, error)


# Attendance --------------------------------------------------------------------------


@shared_task(bind=True, acks_late=True, ignore_result=True)
def attendance_reconcile_task(self, meeting_pk, zoom_uuid):
    try:
        attendance_sync.attendance_reconcile(meeting_pk=meeting_pk, zoom_uuid=zoom_uuid)
    except ZoomError as error:
        _retry_later(self, error)
