"""Issuing, revoking and reissuing certificates: each one transaction; the student's email leaves after commit."""

import logging
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from courses.models import ClassSession, ClassStatus, Enrolment
from mailing.queue import email_batch_queue
from orgs.selectors import members_of_organization

from . import signing
from .emails import CERTIFICATE_ISSUED_EMAIL
from .models import Certificate, CertificateNumberCounter, CertificateStatus, verification_code_new

FACTS_VERSION = 1
COMPLETED = "completed"  # evidence.extensions.CourseProgress.status of a student who met the course's rule

logger = logging.getLogger(__name__)


def certificate_issue(*, enrolment, progress):
    """The enrolment's current certificate, issued now from `progress` if it has none.

    Idempotent: a second call (a recomputation calling the hook again) returns the certificate already issued.
    A revoked certificate stays current, so issuing again never undoes a trainer's revocation; only a reissue does.
    """
    _check_progress(enrolment=enrolment, progress=progress)
    with transaction.atomic():
        # Two issuers of one enrolment wait for each other here instead of racing to the unique constraint.
        Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        current = Certificate.objects.filter(enrolment=enrolment).exclude(status=CertificateStatus.SUPERSEDED).first()
        if current is not None:
            return current
        return _certificate_create(enrolment=enrolment, progress=progress)


def certificate_revoke(*, certificate, by, reason):
    reason = _required_reason(reason)
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if not certificate.is_valid:
            raise ValidationError(f"Certificate {certificate.number} is {certificate.get_status_display().lower()}.")
        certificate.status = CertificateStatus.REVOKED
        certificate.revoked_at = timezone.now()
        certificate.revoked_by = by
        certificate.revoked_reason = reason
        certificate.full_clean()
        certificate.save(update_fields=["status", "revoked_at", "revoked_by", "revoked_reason"])
    logger.info("certificate %s revoked by user %s", certificate.number, by.pk)
    return certificate


def certificate_reissue(*, certificate, by, reason, progress):
    """A new certificate for the same enrolment, signed now; the given one is superseded and stays on record."""
    reason = _required_reason(reason)
    with transaction.atomic():
        previous = Certificate.objects.select_for_update().select_related("enrolment").get(pk=certificate.pk)
        if previous.is_superseded:
            raise ValidationError(f"Certificate {previous.number} was already reissued.")
        _check_progress(enrolment=previous.enrolment, progress=progress)
        previous.status = CertificateStatus.SUPERSEDED
        previous.superseded_at = timezone.now()
        previous.save(update_fields=["status", "superseded_at"])
        return _certificate_create(
            enrolment=previous.enrolment, progress=progress, replaces=previous, by=by, reason=reason
        )


def _required_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why: the reason is kept with the certificate."})
    return reason


def _check_progress(*, enrolment, progress):
    if progress.enrolment_id != enrolment.pk:
        raise ValueError(f"progress of enrolment {progress.enrolment_id} given for enrolment {enrolment.pk}")
    if progress.status != COMPLETED:
        raise ValidationError(f"{enrolment.full_name} has not completed the course: {progress.reason}")


def _certificate_create(*, enrolment, progress, replaces=None, by=None, reason=""):
    enrolment = Enrolment.objects.select_related("course__organization").get(pk=enrolment.pk)
    issued_at = timezone.now().replace(microsecond=0)
    number = _number_next(year=issued_at.year)
    verification_code = verification_code_new()
    facts = _facts(
        enrolment=enrolment,
        progress=progress,
        number=number,
        verification_code=verification_code,
        issued_at=issued_at,
    )
    signed = signing.facts_sign(facts)
    certificate = Certificate(
        organization=enrolment.organization,
        enrolment=enrolment,
        number=number,
        verification_code=verification_code,
        facts=facts,
        signature=signed.signature,
        signing_key_id=signed.key_id,
        issued_at=issued_at,
        replaces=replaces,
        reissued_by=by if replaces else None,
        reissue_reason=reason if replaces else "",
    )
    certificate.full_clean()
    certificate.save()
    email_batch_queue(CERTIFICATE_ISSUED_EMAIL, certificate_id=certificate.pk)
    logger.info(
        "certificate %s issued for enrolment %s with key %s%s",
        number,
        enrolment.pk,
        signed.key_id,
        f", replacing {replaces.number}" if replaces else "",
    )
    return certificate


def _number_next(*, year):
    CertificateNumberCounter.objects.get_or_create(year=year)
    counter = CertificateNumberCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"CS-{year}-{counter.last_number:06d}"


def _facts(*, enrolment, progress, number, verification_code, issued_at):
    """What the certificate states, as JSON-native values only (strings, lists), so every stored copy signs alike."""
    course = enrolment.course
    first_class_on, last_class_on = progress.first_class_on, progress.last_class_on
    if first_class_on is None or last_class_on is None:
        first_class_on, last_class_on = _class_dates(course=course)
    return {
        "version": FACTS_VERSION,
        "number": number,
        "verification_code": verification_code,
        "issued_at": issued_at.isoformat(),
        "organization": course.organization.name,
        "student": enrolment.full_name,
        "course": course.title,
        "certification": course.certification,
        "first_class_on": first_class_on.isoformat() if first_class_on else "",
        "last_class_on": last_class_on.isoformat() if last_class_on else "",
        "hours": str((Decimal(progress.minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
        "credits": str(progress.credits),
        "credit_label": progress.credit_label,
        "trainers": _trainer_names(organization=course.organization),
    }


def _class_dates(*, course):
    """The first and last held class of the course, as dates in each class's own zone."""
    classes = list(
        ClassSession.objects.filter(course=course, status=ClassStatus.SCHEDULED).order_by("starts_at")[:1]
    ) + list(ClassSession.objects.filter(course=course, status=ClassStatus.SCHEDULED).order_by("-starts_at")[:1])
    if not classes:
        return None, None
    return classes[0].local_starts_at.date(), classes[-1].local_starts_at.date()


def _trainer_names(*, organization):
    """The organization's owners then trainers who gave a name; emails never go on a certificate."""
    return [
        membership.user.get_full_name()
        for membership in members_of_organization(organization=organization)
        if membership.user.get_full_name()
    ]
