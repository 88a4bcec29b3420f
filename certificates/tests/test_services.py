import json

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from kombu.utils import json as kombu_json

from certificates import selectors, services
from certificates.emails import CERTIFICATE_ISSUED_EMAIL, certificate_issued_email_render
from certificates.models import Certificate, CertificateStatus
from evidence.extensions import course_completed_hooks
from mailing.tasks import emails_send_task

from .conftest import progress_of


@pytest.mark.django_db
def test_issuing_signs_the_facts_of_the_course_and_the_student(enrolment, progress, trainer_member):
    certificate = services.certificate_issue(enrolment=enrolment, progress=progress)

    facts = certificate.facts
    assert certificate.number.startswith(f"CS-{certificate.issued_at.year}-") and len(certificate.number) == 14
    assert facts["number"] == certificate.number and facts["verification_code"] == certificate.verification_code
    assert facts["organization"] == "Acme Training" and facts["student"] == "Ada Lovelace"
    assert facts["course"] == enrolment.course.title and facts["certification"] == "PMP"
    assert (facts["first_class_on"], facts["last_class_on"]) == ("2026-03-03", "2026-04-21")
    assert (facts["hours"], facts["credits"], facts["credit_label"]) == ("12.50", "14.5", "CPE credits")
    assert facts["trainers"] == ["Grace Hopper"], "named members only: the trainer without a name is left out"
    assert facts["issued_at"] == certificate.issued_at.isoformat()
    assert certificate.status == CertificateStatus.VALID
    assert selectors.certificate_verification(certificate=certificate).signature_holds
    assert len(certificate.verification_code) >= 22


@pytest.mark.django_db
def test_issuing_is_idempotent(enrolment, progress):
    first = services.certificate_issue(enrolment=enrolment, progress=progress)
    again = services.certificate_issue(enrolment=enrolment, progress=progress_of(enrolment, minutes=999))
    assert again.pk == first.pk and again.facts == first.facts
    assert Certificate.objects.count() == 1


@pytest.mark.django_db
def test_numbers_count_up_within_the_year(enrolment, other_student_enrolment, progress):
    first = services.certificate_issue(enrolment=enrolment, progress=progress)
    second = services.certificate_issue(
        enrolment=other_student_enrolment, progress=progress_of(other_student_enrolment)
    )
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


@pytest.mark.django_db
def test_a_student_who_has_not_completed_gets_no_certificate(enrolment):
    with pytest.raises(ValidationError, match="missed 3 of 8"):
        services.certificate_issue(
            enrolment=enrolment, progress=progress_of(enrolment, status="not_completed", reason="missed 3 of 8 classes")
        )
    assert not Certificate.objects.exists()


@pytest.mark.django_db
def test_the_database_allows_one_current_certificate_per_enrolment(enrolment, progress):
    certificate = services.certificate_issue(enrolment=enrolment, progress=progress)
    duplicate = Certificate(
        organization=certificate.organization,
        enrolment=enrolment,
        number="CS-2026-999999",
        facts={},
        signature="x",
        signing_key_id="x",
        issued_at=certificate.issued_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.django_db
def test_revoking_keeps_who_when_and_why(enrolment, progress, owner):
    certificate = services.certificate_issue(enrolment=enrolment, progress=progress)
    with pytest.raises(ValidationError):
        services.certificate_revoke(certificate=certificate, by=owner, reason="  ")

    services.certificate_revoke(certificate=certificate, by=owner, reason="Attendance records were wrong")
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED and certificate.revoked_by == owner
    assert certificate.revoked_reason == "Attendance records were wrong" and certificate.revoked_at
    with pytest.raises(ValidationError, match="revoked"):
        services.certificate_revoke(certificate=certificate, by=owner, reason="again")


@pytest.mark.django_db
def test_issuing_again_never_undoes_a_revocation(enrolment, progress, owner):
    certificate = services.certificate_issue(enrolment=enrolment, progress=progress)
    services.certificate_revoke(certificate=certificate, by=owner, reason="Wrong student")
    again = services.certificate_issue(enrolment=enrolment, progress=progress)
    assert again.pk == certificate.pk and again.status == CertificateStatus.REVOKED


@pytest.mark.django_db
def test_reissue_supersedes_the_previous_which_stays_on_record(enrolment, progress, owner):
    previous = services.certificate_issue(enrolment=enrolment, progress=progress)
    enrolment.last_name = "King"
    enrolment.save()

    reissued = services.certificate_reissue(
        certificate=previous,
        by=owner,
        reason="Name corrected",
        progress=selectors.certificate_progress_of(certificate=previous),
    )

    previous.refresh_from_db()
    assert previous.status == CertificateStatus.SUPERSEDED and previous.superseded_at
    assert selectors.certificate_verification(certificate=previous).signature_holds, "its facts are untouched"
    assert (
        reissued.replaces == previous and reissued.reissued_by == owner and reissued.reissue_reason == "Name corrected"
    )
    assert reissued.number != previous.number and reissued.verification_code != previous.verification_code
    assert reissued.facts["student"] == "Ada King"
    for fact in ("hours", "credits", "credit_label", "first_class_on", "last_class_on"):
        assert reissued.facts[fact] == previous.facts[fact]
    assert services.certificate_issue(enrolment=enrolment, progress=progress).pk == reissued.pk
    with pytest.raises(ValidationError, match="already reissued"):
        services.certificate_reissue(certificate=previous, by=owner, reason="x", progress=progress)


@pytest.mark.django_db
def test_a_revoked_certificate_can_be_reissued_and_keeps_its_revocation(enrolment, progress, owner):
    previous = services.certificate_issue(enrolment=enrolment, progress=progress)
    services.certificate_revoke(certificate=previous, by=owner, reason="Wrong hours")
    services.certificate_reissue(certificate=previous, by=owner, reason="Hours corrected", progress=progress)
    previous.refresh_from_db()
    assert previous.status == CertificateStatus.SUPERSEDED and previous.revoked_reason == "Wrong hours"


@pytest.mark.django_db
def test_the_course_completed_hook_issues_for_completed_progress_only(enrolment, other_student_enrolment):
    [hook] = [hook for hook in course_completed_hooks if hook.__module__.startswith("certificates")]
    hook(enrolment=other_student_enrolment, progress=progress_of(other_student_enrolment, status="in_progress"))
    hook(enrolment=enrolment, progress=progress_of(enrolment))
    hook(enrolment=enrolment, progress=progress_of(enrolment))
    assert list(Certificate.objects.values_list("enrolment_id", flat=True)) == [enrolment.pk]


@pytest.mark.django_db
def test_issuing_emails_the_student_the_pdf_and_the_verification_link_after_commit(
    enrolment, progress, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        certificate = services.certificate_issue(enrolment=enrolment, progress=progress)
        assert mail.outbox == [], "nothing leaves before the commit"
    assert len(callbacks) == 1

    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.subject == f"Your certificate: {enrolment.course.title}"
    url = selectors.certificate_verification_url(certificate=certificate)
    assert url in message.body and url in message.alternatives[0][0]
    assert certificate.number in message.body
    [(filename, content, mimetype)] = message.attachments
    assert filename == f"certificate-{certificate.number}.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")


@pytest.mark.django_db
def test_the_email_task_carries_only_the_id_and_a_retry_carries_the_pdf_through_the_brokers_json(
    enrolment, progress, django_capture_on_commit_callbacks, monkeypatch
):
    calls = []
    monkeypatch.setattr(emails_send_task, "delay", lambda **kwargs: calls.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        certificate = services.certificate_issue(enrolment=enrolment, progress=progress)
    assert calls == [{"batch": {"name": CERTIFICATE_ISSUED_EMAIL, "kwargs": {"certificate_id": certificate.pk}}}]
    assert json.loads(json.dumps(calls[0])) == calls[0]

    messages = certificate_issued_email_render(certificate_id=certificate.pk)
    assert kombu_json.loads(kombu_json.dumps({"messages": messages})) == {"messages": messages}


@pytest.mark.django_db
def test_a_certificate_revoked_before_its_email_left_is_not_emailed(enrolment, progress, owner):
    certificate = services.certificate_issue(enrolment=enrolment, progress=progress)
    services.certificate_revoke(certificate=certificate, by=owner, reason="Issued by mistake")
    assert certificate_issued_email_render(certificate_id=certificate.pk) == []


@pytest.mark.django_db
def test_a_reissue_emails_the_new_certificate(enrolment, progress, owner, django_capture_on_commit_callbacks):
    previous = services.certificate_issue(enrolment=enrolment, progress=progress)
    with django_capture_on_commit_callbacks(execute=True):
        reissued = services.certificate_reissue(certificate=previous, by=owner, reason="Typo", progress=progress)
    [message] = mail.outbox
    assert message.subject.startswith("Your reissued certificate") and reissued.number in message.body


@pytest.mark.django_db
def test_a_failing_issue_in_the_hook_is_logged_and_does_not_stop_the_next_student(
    enrolment, other_student_enrolment, caplog
):
    [hook] = [hook for hook in course_completed_hooks if hook.__module__.startswith("certificates")]
    hook(enrolment=enrolment, progress=progress_of(other_student_enrolment))  # mismatched: refused
    hook(enrolment=other_student_enrolment, progress=progress_of(other_student_enrolment))
    assert f"certificate for enrolment {enrolment.pk} not issued" in caplog.text
    assert list(Certificate.objects.values_list("enrolment_id", flat=True)) == [other_student_enrolment.pk]


@pytest.mark.django_db
def test_a_course_holding_certificates_is_not_deleted_and_says_why(trainer_client, enrolment, progress):
    services.certificate_issue(enrolment=enrolment, progress=progress)
    course = enrolment.course
    course.class_sessions.all().delete()

    response = trainer_client.post(f"/courses/{course.pk}/delete/")

    assert response.status_code == 302
    assert course.__class__.objects.filter(pk=course.pk).exists()
    page = trainer_client.get(response.url).content.decode()
    assert "certificates, which are kept as evidence" in page
