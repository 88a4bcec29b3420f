"""From attendance to certificate: evidence's recomputation completes a student and its hook issues the certificate."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from attendance import services as attendance
from attendance.models import OverrideStatus
from certificates import selectors, services
from certificates.models import Certificate
from courses.models import Enrolment, Registration
from evidence import services as evidence
from evidence.extensions import certificates_of
from evidence.selectors import enrolment_progress
from tests.factories import ClassSessionFactory, CourseFactory, UserFactory


def _cohort(organization):
    course = CourseFactory(organization=organization, title="CPA review", certification="CPA")
    start = timezone.now().replace(microsecond=0) - timedelta(days=30)
    classes = [
        ClassSessionFactory(course=course, starts_at=start + timedelta(weeks=n), duration_minutes=100) for n in range(3)
    ]
    enrolments = {}
    for name in ("ada", "alan"):
        email = f"{name}@example.com"
        enrolment = Enrolment.objects.create(
            organization=organization,
            course=course,
            student=UserFactory(email=email, password=None),
            first_name=name.title(),
            last_name="Example",
            email=email,
            confirmed_at=start,
        )
        for class_session in classes:
            Registration.objects.create(
                organization=organization,
                class_session=class_session,
                student=enrolment.student,
                enrolment=enrolment,
                first_name=name.title(),
                email=email,
            )
        enrolments[name] = enrolment
    return course, classes, enrolments


def _present(class_session, email):
    for kind, at in (("join", class_session.starts_at), ("leave", class_session.ends_at)):
        attendance.presence_signal_record(
            class_session=class_session,
            source="test",
            external_id=f"{class_session.pk}-{email}-{kind}",
            session_key="run-1",
            kind=kind,
            occurred_at=at,
            participant_key=email,
            email=email,
        )


@pytest.mark.django_db
def test_a_student_who_completes_is_issued_and_emailed_a_certificate_once(
    organization, django_capture_on_commit_callbacks
):
    course, classes, enrolments = _cohort(organization)
    evidence.completion_rules_update(organization=organization, course=course, credit_preset="cpe50")
    for class_session in classes:
        _present(class_session, "ada@example.com")

    for _ in range(2):  # the 15-minute recomputation announces completed students again: one certificate
        with django_capture_on_commit_callbacks(execute=True):
            evidence.course_outcomes_refresh(course=course)

    [certificate] = Certificate.objects.all()
    assert certificate.enrolment == enrolments["ada"]
    facts = certificate.facts
    assert (facts["student"], facts["certification"], facts["hours"]) == ("Ada Example", "CPA", "5.00")
    assert (facts["credits"], facts["credit_label"]) == ("6", "CPE credits")
    assert facts["first_class_on"] == classes[0].local_starts_at.date().isoformat()
    assert facts["last_class_on"] == classes[-1].local_starts_at.date().isoformat()

    [message] = [message for message in mail.outbox if message.to == ["ada@example.com"]]
    assert message.attachments[0][2] == "application/pdf" and certificate.number in message.body

    assert certificates_of(list(enrolments.values())) == {enrolments["ada"].pk: (certificate.number, "Valid")}


@pytest.mark.django_db
def test_a_reissue_after_an_attendance_correction_signs_the_standing_as_it_is_now(organization, owner):
    course, classes, enrolments = _cohort(organization)
    evidence.completion_rules_update(organization=organization, course=course, credit_preset="cpe50", missed_allowed=1)
    for class_session in classes:
        _present(class_session, "ada@example.com")
    ada = enrolments["ada"]
    certificate = services.certificate_issue(enrolment=ada, progress=enrolment_progress(enrolment=ada))
    registration = Registration.objects.get(enrolment=ada, class_session=classes[2])
    attendance.attendance_override_set(
        registration=registration, status=OverrideStatus.ABSENT, reason="Left after ten minutes", by=owner
    )

    reissued = services.certificate_reissue(
        certificate=certificate,
        by=owner,
        reason="Week 3 attendance corrected",
        progress=selectors.certificate_reissue_progress(certificate=certificate),
    )
    assert (certificate.facts["credits"], reissued.facts["credits"]) == ("6", "4")
    assert reissued.replaces == certificate and reissued.reissue_reason == "Week 3 attendance corrected"
