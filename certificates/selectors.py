from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.urls import reverse

from evidence.extensions import CourseProgress
from evidence.selectors import enrolment_progress
from orgs.access import get_for_org_or_404

from . import pdf, signing
from .models import Certificate, CertificateStatus


@dataclass(frozen=True)
class Verification:
    """What the public page says about a certificate."""

    certificate: Certificate
    facts: dict  # the stored facts, dates parsed where they parse
    signature_holds: bool
    key_known: bool  # False once the signing key was removed from CERTIFICATE_SIGNING_KEYS: nothing can be checked


def certificate_get(*, organization, certificate_id):
    return get_for_org_or_404(
        Certificate.objects.select_related("enrolment__course"), organization=organization, pk=certificate_id
    )


def certificates_of_course(*, organization, course):
    """Every certificate of the course, superseded ones included, grouped by student, newest first."""
    return list(
        Certificate.objects.filter(organization=organization, enrolment__course=course)
        .select_related("enrolment", "revoked_by", "reissued_by", "replaces")
        .order_by("enrolment__last_name", "enrolment__first_name", "enrolment_id", "-issued_at")
    )


def certificate_of_student_get(*, student, certificate_id):
    """The student's own valid certificate; anyone else's (or a revoked or superseded one) is a 404."""
    return get_object_or_404(
        Certificate.objects.select_related("enrolment"),
        pk=certificate_id,
        enrolment__student=student,
        status=CertificateStatus.VALID,
    )


def certificates_current_for_enrolments(*, enrolments):
    """{enrolment id: its current certificate (valid or revoked)} for those that have one."""
    certificates = Certificate.objects.filter(enrolment__in=[enrolment.pk for enrolment in enrolments]).exclude(
        status=CertificateStatus.SUPERSEDED
    )
    return {certificate.enrolment_id: certificate for certificate in certificates}


def certificate_by_code(*, code):
    return get_object_or_404(Certificate.objects.select_related("replaced_by"), verification_code=code)


def certificate_verification_url(*, certificate):
    return settings.SITE_URL + reverse("certificates:verify", args=[certificate.verification_code])


def certificate_verification(*, certificate):
    """Whether the stored facts still carry their signature, recomputed from the facts as stored now.

    The number and code columns must also be the signed ones, so no other row can borrow these facts.
    """
    facts = certificate.facts if isinstance(certificate.facts, dict) else {}
    holds = (
        signing.facts_verify(facts=facts, signature=certificate.signature, key_id=certificate.signing_key_id)
        and facts.get("number") == certificate.number
        and facts.get("verification_code") == certificate.verification_code
    )
    return Verification(
        certificate=certificate,
        facts=_facts_for_display(facts),
        signature_holds=holds,
        key_known=certificate.signing_key_id in signing.public_keys(),
    )


def certificate_counts_by_key():
    """{signing key id: number of certificates it signed}, for checking a rotation before removing a key."""
    return dict(
        Certificate.objects.order_by()
        .values("signing_key_id")
        .annotate(count=Count("pk"))
        .values_list("signing_key_id", "count")
    )


def certificate_pdf(*, certificate):
    return pdf.certificate_pdf_render(
        facts=certificate.facts, verification_url=certificate_verification_url(certificate=certificate)
    )


def certificate_reissue_progress(*, certificate):
    """What a reissue signs: the student's standing now (after a trainer corrected attendance, say), or, for an
    enrolment evidence no longer follows (cancelled since), what the certificate itself states."""
    return enrolment_progress(enrolment=certificate.enrolment) or certificate_progress_of(certificate=certificate)


def certificate_progress_of(*, certificate):
    """The progress a certificate was issued from, as its facts state it: what a reissue signs again."""
    facts = certificate.facts
    return CourseProgress(
        enrolment_id=certificate.enrolment_id,
        status="completed",
        reason=f"as certified by {certificate.number}",
        classes_total=0,
        classes_attended=0,
        minutes=round(Decimal(facts["hours"]) * 60),
        credits=Decimal(facts["credits"]),
        credit_label=facts["credit_label"],
        first_class_on=date.fromisoformat(facts["first_class_on"]) if facts["first_class_on"] else None,
        last_class_on=date.fromisoformat(facts["last_class_on"]) if facts["last_class_on"] else None,
    )


def _facts_for_display(facts):
    """Dates and numbers parsed for the page; a value that no longer parses (a tampered row) is shown as stored."""
    shown = dict(facts)
    for key, parse in (
        ("first_class_on", date.fromisoformat),
        ("last_class_on", date.fromisoformat),
        ("issued_at", datetime.fromisoformat),
        ("hours", Decimal),
        ("credits", Decimal),
    ):
        try:
            shown[key] = parse(facts[key]) if facts.get(key) else None
        except (TypeError, ValueError, InvalidOperation):
            pass
    return shown
