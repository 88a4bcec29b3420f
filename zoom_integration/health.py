"""The webhook backlog as a /healthz check: events stored but not processed mean workers are missing."""

from .inbox.selectors import webhook_backlog
from .tuning import WEBHOOK_BACKLOG_UNHEALTHY_AFTER


def webhook_backlog_check():
    count, age = webhook_backlog()
    healthy = age < WEBHOOK_BACKLOG_UNHEALTHY_AFTER.total_seconds()
    return "zoom_webhooks", healthy, {"unprocessed": count, "oldest_unprocessed_seconds": round(age, 1)}
