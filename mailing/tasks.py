from celery import shared_task

from . import services
from .tuning import MAIL_RETRIES, MAIL_RETRY_BACKOFF, MAIL_RETRY_BACKOFF_MAX


@shared_task(bind=True, acks_late=True, max_retries=MAIL_RETRIES)
def emails_send_task(self, messages=None, batch=None):
    """Send queued messages (or render a named batch first) over one mail connection.

    A failure retries only the messages not yet sent, so nobody gets the same email twice.
    """
    if batch is not None:
        messages = services.email_batch_render(**batch)
    try:
        return services.emails_deliver(messages)
    except services.EmailDeliveryFailed as failure:
        countdown = min(MAIL_RETRY_BACKOFF * 2**self.request.retries, MAIL_RETRY_BACKOFF_MAX)
        raise self.retry(kwargs={"messages": failure.remaining}, countdown=countdown, exc=failure.cause) from failure
