"""Templated email: every message has a subject, a plain-text and an HTML part."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def email_send(*, template, to, context, attachments=(), reply_to=None):
    """Render `templates/emails/<template>_{subject,body}.{txt,html}` and send it.

    `attachments` holds (filename, content, mimetype) triples.
    """
    context = {"site_url": settings.SITE_URL, "support_email": settings.SUPPORT_EMAIL, **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    text_body = render_to_string(f"emails/{template}_body.txt", context)
    html_body = render_to_string(f"emails/{template}_body.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to] if isinstance(to, str) else list(to),
        reply_to=[reply_to] if reply_to else None,
    )
    message.attach_alternative(html_body, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send()
    return message
