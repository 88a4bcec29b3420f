"""Celery tasks: each only calls a service, takes JSON arguments and is safe to run twice."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def webhook_event_process_task(event_id):
    services.webhook_event_process(event_id=event_id)


@shared_task(acks_late=True, ignore_result=True)
def tokens_refresh_expiring_task():
    services.tokens_refresh_expiring()


@shared_task(acks_late=True, ignore_result=True)
def webhook_events_sweep_task():
    services.webhook_events_sweep()
    services.pending_grants_purge()
