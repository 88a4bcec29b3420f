"""A trainer publishes one-to-one availability; a student books a time on the public page and gets their own Zoom
meeting (passcode, personal link, .ics); cancelling deletes the meeting on Zoom and frees the time."""

import re

import pytest
from django.core import mail

from bookings.models import Booking
from tests.factories import CourseFactory
from zoom_simulator.models import Meeting

from .helpers import connect_zoom, owner_with_organization, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_booked_session_gets_its_own_meeting_and_cancelling_deletes_it(page):
    organization, owner = owner_with_organization()
    course = CourseFactory(organization=organization, title="PMP oral exams")
    sign_in(page, owner.email)
    connect_zoom(page)

    page.goto("/one-to-one/")
    page.shot("no_offers")
    page.get_by_role("link", name="Publish your availability").click()
    page.fill("#id_title", "Oral exam")
    page.select_option("#id_course", str(course.pk))
    page.fill("#id_duration_minutes", "30")
    page.fill("#id_buffer_minutes", "10")
    page.select_option("#id_timezone", "Europe/Berlin")
    page.fill(
        "#id_availability_text", "Mon 09:00-12:00\nTue 09:00-12:00\nWed 09:00-12:00\nThu 09:00-12:00\nFri 09:00-12:00"
    )
    page.shot("new_offer")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_selector("[data-testid=public-book-url]")
    public_url = page.locator("[data-testid=public-book-url]").inner_text()
    assert "hosted by host@acme.example.com" in page.locator("[data-testid=hosting-note]").inner_text()
    page.shot("offer_page")

    student = page.context.browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    student.goto(public_url)
    student.locator("[data-testid=slot-picker] label").first.click()
    student.fill("#id_first_name", "Ada")
    student.fill("#id_last_name", "Lovelace")
    student.fill("#id_email", "ada@students.example.com")
    student.screenshot(path=str(page.shots[-1]).replace("offer_page", "public_page_phone"), full_page=True)
    student.get_by_role("button", name="Book this time").click()
    student.wait_for_selector("[data-testid=booking-confirmed]")

    booking = Booking.objects.get()
    meeting_id = booking.slot.class_session.zoom_meeting.zoom_meeting_id
    on_zoom = Meeting.objects.get(meeting_id=meeting_id)
    assert on_zoom.deleted_at is None and on_zoom.password and on_zoom.duration == 30
    confirmation = [message for message in mail.outbox if message.to == ["ada@students.example.com"]][-1]
    unique_link = re.search(r"How to join: (\S+)", confirmation.body).group(1)
    assert "/zoomsim/w/" in unique_link
    filename, ics, _ = confirmation.attachments[0]
    assert filename == "invite.ics" and unique_link in ics.replace("\r\n ", "")

    page.reload()
    assert page.locator("[data-testid=booking-row]").count() == 1
    page.shot("offer_with_booking")

    student.get_by_role("button", name="Yes, cancel my booking").click()
    student.wait_for_selector("[data-testid=booking-cancelled]")
    on_zoom.refresh_from_db()
    assert on_zoom.deleted_at is not None
    page.reload()
    assert page.locator("[data-testid=booking-row]").count() == 0
