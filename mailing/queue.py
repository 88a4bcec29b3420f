"""Queue email for the mail task once the current transaction (if any) commits."""

import logging

from django.db import transaction
from kombu.exceptions import OperationalError

from .services import batch_renderers, email_batch_render, email_render, emails_deliver
from .tasks import emails_send_task
from .tuning import MAIL_BATCH

logger = logging.getLogger(__name__)


def emails_queue(messages):
    """Queue the messages for the mail task once the current transaction (if any) commits."""
    messages = list(messages)
    for start in range(0, len(messages), MAIL_BATCH):
        chunk = messages[start : start + MAIL_BATCH]
        transaction.on_commit(lambda chunk=chunk: _enqueue(messages=chunk))


def email_queue(*, template, to, context, attachments=(), reply_to=None):
    emails_queue([email_render(template=template, to=to, context=context, attachments=attachments, reply_to=reply_to)])


def email_batch_queue(name, **kwargs):
    """Queue an email to many that the worker renders with the batch renderer registered as `name`."""
    if name not in batch_renderers:
        raise LookupError(f"no email batch renderer named {name!r}")
    transaction.on_commit(lambda: _enqueue(batch={"name": name, "kwargs": kwargs}))


def _enqueue(**task_kwargs):
    try:
        emails_send_task.delay(**task_kwargs)
    except OperationalError:
        # The broker is down. An email not sent is lost to the student, so this once it goes from here.
        logger.warning("broker unreachable: sending email from this process")
        messages = task_kwargs.get("messages") or email_batch_render(**task_kwargs["batch"])
        emails_deliver(messages)
