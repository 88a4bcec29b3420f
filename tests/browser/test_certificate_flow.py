"""A certificate click by click: a student completes a course and is emailed the certificate, opens its verification
page as anyone would, downloads it in the portal; the trainer revokes it with a reason and the page says so."""

from datetime import date
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from courses.models import Enrolment
from evidence.extensions import CourseProgress, course_completed_hooks
from tests.browser.helpers import owner_with_organization, sign_in, sign_in_student
from tests.factories import ClassSessionFactory, CourseFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_issue_verify_download_and_revoke(page, site, browser):
    organization, owner = owner_with_organization()
    owner.first_name, owner.last_name = "Grace", "Hopper"
    owner.save()
    course = CourseFactory(organization=organization, title="PMP Exam Prep", certification="PMP")
    ClassSessionFactory(course=course)
    student = UserFactory(email="ada@example.com", password=None)
    EmailAddress.objects.create(user=student, email=student.email, primary=True, verified=True)
    enrolment = Enrolment.objects.create(
        organization=organization,
        course=course,
        student=student,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
    )
    progress = CourseProgress(
        enrolment_id=enrolment.pk,
        status="completed",
        reason="attended 8 of 8 classes",
        classes_total=8,
        classes_attended=8,
        minutes=1200,
        credits=Decimal("24"),
        credit_label="contact hours",
        first_class_on=date(2026, 3, 3),
        last_class_on=date(2026, 4, 21),
    )
    for hook in course_completed_hooks:  # what evidence does once the last class is reconciled
        hook(enrolment=enrolment, progress=progress)

    [email] = [message for message in mail.outbox if message.to == ["ada@example.com"]]
    assert email.attachments[0][2] == "application/pdf"
    verification_url = next(word for word in email.body.split() if "/certificates/verify/" in word)

    anyone = browser.new_context(base_url=site, viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    anyone.goto(verification_url)
    assert "The signature holds" in anyone.inner_text("#signature")
    assert "Valid" in anyone.inner_text("#status")
    assert "Ada Lovelace" in anyone.inner_text("body") and "24 contact hours" in anyone.inner_text("body")

    student_page = browser.new_context(base_url=site).new_page()
    sign_in_student(student_page, "ada@example.com")
    with student_page.expect_download() as download:
        student_page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename.startswith("certificate-CS-")

    sign_in(page, owner.email)
    page.goto(f"/courses/{course.pk}/")
    page.get_by_role("link", name="Certificates").click()
    page.shot("certificates")
    page.get_by_role("link", name="Revoke").click()
    page.fill("#id_reason", "Attendance of week 3 was misrecorded")
    page.get_by_role("button", name="Revoke certificate").click()
    assert "is revoked" in page.inner_text("body")
    assert "Revoked" in page.inner_text("table")

    anyone.reload()
    assert "Revoked" in anyone.inner_text("#status")
    assert "Attendance of week 3 was misrecorded" in anyone.inner_text("#status")
