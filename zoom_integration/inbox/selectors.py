"""Reads of the webhook inbox: what waits for a worker, and how long."""

from django.db.models import Count, Min, Q
from django.utils import timezone

from ..models import WebhookEvent, WebhookState
from ..tuning import WEBHOOK_SWEEP_AFTER


def webhook_events_overdue_exist(*, now=None):
    """Whether a stored event waits that no drain took in time, or whose retry time has come."""
    now = now or timezone.now()
    return (
        WebhookEvent.objects.filter(state=WebhookState.RECEIVED)
        .filter(Q(claimed_until__isnull=True, received_at__lt=now - WEBHOOK_SWEEP_AFTER) | Q(claimed_until__lt=now))
        .exists()
    )


def webhook_events_waiting_filter(*, now):
    """Stored events not processed and not claimed by a worker (or whose retry time has come)."""
    return Q(state=WebhookState.RECEIVED) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def webhook_backlog():
    """(number of stored events not processed yet, age in seconds of the oldest), for /healthz."""
    row = WebhookEvent.objects.filter(state=WebhookState.RECEIVED).aggregate(
        count=Count("pk"), oldest=Min("received_at")
    )
    age = (timezone.now() - row["oldest"]).total_seconds() if row["oldest"] else 0.0
    return row["count"], age
