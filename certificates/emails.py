"""The student's certificate email, rendered by the mail worker: the PDF is made there, not in the request."""

from django.conf import settings
from django.urls import reverse

from mailing.services import email_render

from .models import Certificate
from .selectors import certificate_pdf, certificate_verification_url

# The batch renderer's name (registered in apps.py): one message, rendered from the certificate's id.
CERTIFICATE_ISSUED_EMAIL = "certificates.issued"


def certificate_issued_email_render(*, certificate_id):
    certificate = (
        Certificate.objects.select_related("enrolment__course", "organization").filter(pk=certificate_id).first()
    )
    if certificate is None or not certificate.is_valid:
        return []  # revoked or reissued before the worker got to it: the student gets the one that stands
    context = {
        "certificate": certificate,
        "facts": certificate.facts,
        "enrolment": certificate.enrolment,
        "course": certificate.enrolment.course,
        "organization": certificate.organization,
        "reissued": certificate.replaces_id is not None,
        "verification_url": certificate_verification_url(certificate=certificate),
        "portal_url": settings.SITE_URL + reverse("portal:home"),
    }
    attachment = (f"certificate-{certificate.number}.pdf", certificate_pdf(certificate=certificate), "application/pdf")
    return [
        email_render(
            template="certificate_issued", to=certificate.enrolment.email, context=context, attachments=[attachment]
        )
    ]
