import base64
import secrets

import pytest
from django.core import mail

from certificates import services
from certificates.models import Certificate, CertificateStatus
from tests.factories import UserFactory

from .conftest import progress_of


@pytest.fixture
def certificate(enrolment, progress):
    return services.certificate_issue(enrolment=enrolment, progress=progress)


def _verify(client, certificate):
    return client.get(f"/certificates/verify/{certificate.verification_code}/")


@pytest.mark.django_db
def test_an_anonymous_visitor_sees_the_signed_facts_and_that_the_signature_holds(client, certificate):
    response = _verify(client, certificate)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The signature holds" in page and "does not hold" not in page and "Valid:" in page
    for fact in ("Ada Lovelace", "Acme Training", "PMP", "Grace Hopper", "12.50", "14.5 CPE credits", "March 3, 2026"):
        assert fact in page, fact
    assert certificate.number in page
    assert "ada@example.com" not in page, "nothing beyond the certificate: not the student's email"
    assert "noindex" in response["X-Robots-Tag"]


@pytest.mark.django_db
def test_a_wrong_code_is_a_404(client, certificate):
    assert client.get("/certificates/verify/not-a-code/").status_code == 404
    assert client.get(f"/certificates/verify/{certificate.verification_code[:-1]}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fact",
    [
        "number",
        "verification_code",
        "issued_at",
        "organization",
        "student",
        "course",
        "certification",
        "first_class_on",
        "last_class_on",
        "hours",
        "credits",
        "credit_label",
        "trainers",
        "version",
    ],
)
def test_changing_any_signed_fact_in_the_database_makes_the_signature_not_hold(client, certificate, fact):
    facts = dict(certificate.facts)
    assert fact in facts
    facts[fact] = ["Someone Else"] if isinstance(facts[fact], list) else f"{facts[fact]}0"
    Certificate.objects.filter(pk=certificate.pk).update(facts=facts)

    page = _verify(client, certificate).content.decode()
    assert "The signature does not hold" in page and "The signature holds" not in page


@pytest.mark.django_db
def test_a_removed_or_added_fact_or_a_changed_number_column_breaks_the_signature(client, certificate):
    facts = dict(certificate.facts)
    del facts["trainers"]
    Certificate.objects.filter(pk=certificate.pk).update(facts=facts)
    assert "does not hold" in _verify(client, certificate).content.decode()

    Certificate.objects.filter(pk=certificate.pk).update(facts={**certificate.facts, "honours": "yes"})
    assert "does not hold" in _verify(client, certificate).content.decode()

    Certificate.objects.filter(pk=certificate.pk).update(facts=certificate.facts, number="CS-2026-999999")
    assert "does not hold" in _verify(client, certificate).content.decode()


@pytest.mark.django_db
def test_a_revoked_certificate_says_revoked_with_its_date_and_reason(client, certificate, owner):
    services.certificate_revoke(certificate=certificate, by=owner, reason="Attendance was misrecorded")
    page = _verify(client, certificate).content.decode()
    assert "Revoked" in page and "Attendance was misrecorded" in page and "Valid:" not in page
    assert owner.email not in page, "who revoked it stays with the trainers"


@pytest.mark.django_db
def test_a_superseded_certificate_says_so(client, certificate, owner, progress):
    services.certificate_reissue(certificate=certificate, by=owner, reason="Name corrected", progress=progress)
    page = _verify(client, certificate).content.decode()
    assert "Superseded" in page and "The signature holds" in page


@pytest.mark.django_db
def test_after_a_key_rotation_old_certificates_still_verify(client, certificate, settings, other_student_enrolment):
    new_key = base64.b64encode(secrets.token_bytes(32)).decode()
    settings.CERTIFICATE_SIGNING_KEYS = [new_key, *settings.CERTIFICATE_SIGNING_KEYS]
    newer = services.certificate_issue(enrolment=other_student_enrolment, progress=progress_of(other_student_enrolment))

    assert newer.signing_key_id != certificate.signing_key_id
    for signed in (certificate, newer):
        assert "The signature holds" in _verify(client, signed).content.decode()


@pytest.mark.django_db
def test_a_certificate_whose_key_was_removed_says_its_signature_cannot_be_checked(client, certificate, settings):
    settings.CERTIFICATE_SIGNING_KEYS = [base64.b64encode(secrets.token_bytes(32)).decode()]
    page = _verify(client, certificate).content.decode()
    assert "cannot be checked" in page and certificate.signing_key_id in page and "The signature holds" not in page


@pytest.mark.django_db
def test_the_course_page_links_to_its_certificates_which_list_each_with_its_actions(owner_client, certificate):
    course = certificate.enrolment.course
    course_page = owner_client.get(f"/courses/{course.pk}/").content.decode()
    assert f'href="/certificates/courses/{course.pk}/"' in course_page

    page = owner_client.get(f"/certificates/courses/{course.pk}/").content.decode()
    assert certificate.number in page and "Ada Lovelace" in page and "Valid" in page
    for action in ("pdf", "revoke", "reissue"):
        assert f"/certificates/{certificate.pk}/{action}/" in page

    response = owner_client.get(f"/certificates/{certificate.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_revoking_asks_for_confirmation_and_a_reason(owner_client, owner, certificate):
    confirm = owner_client.get(f"/certificates/{certificate.pk}/revoke/")
    assert confirm.status_code == 200 and b"Revoke certificate" in confirm.content
    certificate.refresh_from_db()
    assert certificate.is_valid, "opening the page changes nothing"

    refused = owner_client.post(f"/certificates/{certificate.pk}/revoke/", {"reason": ""})
    assert refused.status_code == 200
    certificate.refresh_from_db()
    assert certificate.is_valid

    done = owner_client.post(f"/certificates/{certificate.pk}/revoke/", {"reason": "Duplicate enrolment"})
    assert done.status_code == 302
    certificate.refresh_from_db()
    assert certificate.is_revoked and certificate.revoked_by == owner


@pytest.mark.django_db
def test_a_trainer_reissues_with_a_reason_and_the_student_gets_the_new_one(
    trainer_client, trainer, certificate, enrolment, django_capture_on_commit_callbacks
):
    assert b"Reissue certificate" in trainer_client.get(f"/certificates/{certificate.pk}/reissue/").content
    assert trainer_client.post(f"/certificates/{certificate.pk}/reissue/", {"reason": " "}).status_code == 200
    mail.outbox.clear()
    enrolment.first_name = "Augusta Ada"
    enrolment.status = "cancelled"  # evidence no longer follows it: the reissue signs the certificate's own hours
    enrolment.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = trainer_client.post(f"/certificates/{certificate.pk}/reissue/", {"reason": "First name corrected"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    reissued = certificate.replaced_by
    assert certificate.status == CertificateStatus.SUPERSEDED and reissued.reissued_by == trainer
    assert reissued.facts["student"] == "Augusta Ada Lovelace" and reissued.facts["hours"] == certificate.facts["hours"]
    [message] = mail.outbox
    assert reissued.number in message.body


@pytest.mark.django_db
def test_a_reissue_of_a_student_who_no_longer_meets_the_rule_is_refused_with_the_reason(owner_client, certificate):
    response = owner_client.post(f"/certificates/{certificate.pk}/reissue/", {"reason": "Hours corrected"})
    assert response.status_code == 200
    assert "has not completed the course" in response.content.decode()
    certificate.refresh_from_db()
    assert certificate.is_valid


@pytest.mark.django_db
def test_the_student_downloads_their_own_certificate_from_the_portal_and_no_one_elses(client, certificate, enrolment):
    client.force_login(enrolment.student)
    portal = client.get("/portal/").content.decode()
    assert certificate.number in portal and f"/portal/certificates/{certificate.pk}/pdf/" in portal

    response = client.get(f"/portal/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert certificate.number in response["Content-Disposition"]

    client.force_login(UserFactory(password=None))
    assert client.get(f"/portal/certificates/{certificate.pk}/pdf/").status_code == 404
    assert certificate.number not in client.get("/portal/").content.decode()


@pytest.mark.django_db
def test_a_revoked_certificate_is_no_longer_downloadable_in_the_portal(client, certificate, enrolment, owner):
    services.certificate_revoke(certificate=certificate, by=owner, reason="Issued by mistake")
    client.force_login(enrolment.student)
    assert client.get(f"/portal/certificates/{certificate.pk}/pdf/").status_code == 404
    assert "Revoked" in client.get("/portal/").content.decode()


@pytest.mark.django_db
def test_the_portal_download_asks_an_anonymous_visitor_to_sign_in(client, certificate):
    response = client.get(f"/portal/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 302 and "/portal/login/" in response["Location"]


@pytest.mark.django_db
def test_the_admin_lists_certificates_without_the_signature(client, certificate):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get("/admin/certificates/certificate/").content.decode()
    assert certificate.number in listing
    detail = client.get(f"/admin/certificates/certificate/{certificate.pk}/change/").content.decode()
    assert certificate.number in detail and certificate.signature not in detail


@pytest.mark.django_db
def test_the_verification_page_dates_are_the_organizations_days(client, enrolment, progress, monkeypatch, owner):
    from datetime import UTC, datetime

    from django.utils import timezone

    organization = enrolment.organization
    organization.timezone = "Asia/Tokyo"
    organization.save()
    late_in_utc = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # already December 1 in Tokyo
    monkeypatch.setattr(timezone, "now", lambda: late_in_utc)
    certificate = services.certificate_issue(enrolment=enrolment, progress=progress)
    services.certificate_revoke(certificate=certificate, by=owner, reason="Exam retake pending")
    page = _verify(client, certificate).content.decode()
    assert "Revoked</strong> on December 1, 2026" in page and "December 1, 2026" in page.split("Issued")[1]
