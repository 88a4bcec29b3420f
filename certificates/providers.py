"""What certificates adds to evidence's hooks and to pages owned by `courses` (registered in `apps.py`)."""

import logging

from django.urls import reverse

from courses.extensions import PortalSection

from . import selectors, services

logger = logging.getLogger(__name__)


def certificate_on_course_completed(*, enrolment, progress):
    """evidence's course-completed hook: the student's certificate (issuing is idempotent).

    evidence calls it for each completed student in turn after its commit: one failure is logged and must not keep
    the others from theirs; the next recomputation tries again.
    """
    if progress.status != services.COMPLETED:
        return
    try:
        services.certificate_issue(enrolment=enrolment, progress=progress)
    except Exception:
        logger.exception("certificate for enrolment %s not issued", enrolment.pk)


def certificate_summaries(*, enrolments):
    """evidence's pages and audit file: each enrolment's current certificate as (number, status)."""
    return {
        enrolment_id: (certificate.number, certificate.get_status_display())
        for enrolment_id, certificate in selectors.certificates_current_for_enrolments(enrolments=enrolments).items()
    }


def certificates_course_links(*, request, course):
    return [("Certificates", reverse("certificates:course_certificates", args=[course.pk]))]


def certificate_portal_sections(*, request, enrolments):
    """Under each of the student's own courses: the certificate, once issued."""
    own = [enrolment for enrolment in enrolments if enrolment.student_id == request.user.pk]
    return {
        enrolment_id: [
            PortalSection(
                template="certificates/portal_section.html",
                context={
                    "certificate": certificate,
                    "verification_url": selectors.certificate_verification_url(certificate=certificate),
                },
            )
        ]
        for enrolment_id, certificate in selectors.certificates_current_for_enrolments(enrolments=own).items()
    }
