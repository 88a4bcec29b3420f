"""Email leaves from a Celery task, never from a request, and a batch shares one mail connection.

Here: render and deliver. `mailing.queue` queues (it alone imports the task). A request renders the one message it
causes (a confirmation, an invitation, a sign-in code) and queues it once its transaction commits; an email to many
(every student of a rescheduled class) is queued as a *batch* named by the app that owns it, which the worker
renders. Messages travel as JSON-safe dicts.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

# name -> callable(**kwargs) returning messages; apps register theirs in AppConfig.ready().
batch_renderers = {}


class EmailDeliveryFailed(Exception):
    """The mail server refused or could not be reached; `remaining` were not sent."""

    def __init__(self, remaining, cause):
        super().__init__(f"{len(remaining)} emails not sent: {type(cause).__name__}: {cause}")
        self.remaining = remaining
        self.cause = cause


def email_render(*, template, to, context, attachments=(), reply_to=None):
    """Render `templates/emails/<template>_{subject,body}.{txt,html}` into a message.

    `attachments` holds (filename, content, mimetype) triples with text content.
    """
    context = {"site_url": settings.SITE_URL, "support_email": settings.SUPPORT_EMAIL, **context}
    return {
        "subject": " ".join(render_to_string(f"emails/{template}_subject.txt", context).split()),
        "body": render_to_string(f"emails/{template}_body.txt", context),
        "html": render_to_string(f"emails/{template}_body.html", context),
        "to": [to] if isinstance(to, str) else list(to),
        "reply_to": [reply_to] if reply_to else [],
        "attachments": [list(attachment) for attachment in attachments],
    }


def email_message_of(message):
    """The message dict of a Django EmailMessage someone else rendered (allauth's)."""
    html = next((content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), "")
    return {
        "subject": message.subject,
        "body": message.body,
        "html": html,
        "to": list(message.to),
        "reply_to": list(message.reply_to),
        "attachments": [list(attachment) for attachment in message.attachments],
    }


def _django_message(message, connection):
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=message["to"],
        reply_to=message["reply_to"] or None,
        connection=connection,
    )
    if message["html"]:
        email.attach_alternative(message["html"], "text/html")
    for filename, content, mimetype in message["attachments"]:
        email.attach(filename, content, mimetype)
    return email


def emails_deliver(messages):
    """Send the messages over one mail connection; raises EmailDeliveryFailed with those not sent."""
    sent = 0
    try:
        with get_connection() as connection:
            for message in messages:
                _django_message(message, connection).send()
                sent += 1
    except Exception as error:  # any backend's failure: SMTPException, OSError, ...
        raise EmailDeliveryFailed(messages[sent:], error) from error
    return sent


def email_batch_register(name, renderer):
    batch_renderers[name] = renderer


def email_batch_render(*, name, kwargs):
    return batch_renderers[name](**kwargs)
