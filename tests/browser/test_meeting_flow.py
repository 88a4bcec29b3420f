"""New virtual class with Create Zoom meeting ticked → meeting on the class page → a student registers
and gets a unique join link and an .ics → Sync now shows every student synced."""

import re

import pytest
from django.core import mail

from courses.models import ClassSession, Registration
from tests.factories import CourseFactory

from .helpers import connect_zoom, create_virtual_class_with_meeting, owner_with_organization, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_meeting_created_on_save_and_students_preregistered(page):
    organization, owner = owner_with_organization()
    course = CourseFactory(organization=organization, title="PMP Exam Prep")
    sign_in(page, owner.email)
    connect_zoom(page)

    create_virtual_class_with_meeting(
        page, course_id=course.pk, title="Week 1: Integration management", starts_at_local="2031-03-04T18:30"
    )
    meeting_id = page.locator("#zoom-meeting-id").inner_text()
    assert re.fullmatch(r"\d{3} \d{4} \d{4}", meeting_id)
    assert page.locator("#zoom-join-url").inner_text().startswith(page.url.split("/courses")[0] + "/zoomsim/j/")
    assert page.locator("#zoom-password").inner_text().strip()
    page.shot("class_with_meeting")

    class_session = ClassSession.objects.get()
    # Two students who were there before pre-registration: Sync now back-fills them.
    for first, email in (("Grace", "grace@students.example.com"), ("Alan", "alan@students.example.com")):
        Registration.objects.create(
            organization=organization,
            class_session=class_session,
            student=owner,
            first_name=first,
            last_name="Example",
            email=email,
        )

    student = page.context.browser.new_context(base_url=page.url.split("/courses")[0]).new_page()
    student.goto(f"/register/{class_session.public_token}/")
    student.fill("#id_first_name", "Ada")
    student.fill("#id_last_name", "Lovelace")
    student.fill("#id_email", "ada@students.example.com")
    student.get_by_role("button", name="Register").click()
    student.wait_for_selector("text=You're registered")
    confirmation = [message for message in mail.outbox if message.to == ["ada@students.example.com"]][-1]
    unique_link = re.search(r"How to join: (\S+)", confirmation.body).group(1)
    assert "/zoomsim/w/" in unique_link and "tk=" in unique_link
    assert "yours alone" in confirmation.body
    filename, ics, _ = confirmation.attachments[0]
    assert filename == "invite.ics" and unique_link in ics.replace("\r\n ", "")

    page.reload()
    assert "2 students waiting for" in page.content()
    page.get_by_role("link", name="Manage Zoom features").click()
    page.get_by_role("button", name="Sync now").click()
    page.wait_for_selector("text=3 of 3 students registered on Zoom")
    assert page.locator("#registrant-results .badge", has_text="Synced").count() == 3
    page.shot("synced")
    assert any(
        message.to == ["grace@students.example.com"] and "/zoomsim/w/" in message.body for message in mail.outbox
    )
