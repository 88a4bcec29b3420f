"""A webinar class end to end on the simulator: Settings → Zoom says the host has the Webinar add-on → a new
virtual class as a Zoom webinar → a prospect registers and gets a unique webinar link → in the control room the
webinar runs (registrants and a guest join, one leaves, it ends) → the Zoom page's attendance fills in from the
webinar.* events; then, with the add-on taken away, Check again and the class form says why a webinar cannot be
chosen."""

import re

import pytest
from django.core import mail

from courses.models import ClassSession
from tests.factories import CourseFactory

from .helpers import connect_zoom, owner_with_organization, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_webinar_class_end_to_end(page):
    organization, owner = owner_with_organization()
    course = CourseFactory(organization=organization, title="PMP Exam Prep")
    sign_in(page, owner.email)
    connect_zoom(page)
    assert "has the Webinar add-on" in page.locator("#zoom-webinar-state").inner_text()
    page.shot("settings_webinars_available")

    page.goto(f"/courses/{course.pk}/classes/new/")
    page.fill("#id_title", "Free information session")
    page.fill("#id_starts_at_local", "2031-03-04T18:30")
    page.fill("#id_duration_minutes", "45")
    page.select_option("#id_delivery_mode", "virtual")
    page.fill("#id_capacity", "500")
    page.check("#id_create_zoom_meeting")
    page.select_option("#id_zoom_meeting_kind", "webinar")
    page.shot("new_class_as_webinar")
    page.get_by_role("button", name="Save class").click()
    page.wait_for_url(re.compile(r".*/courses/classes/\d+/$"))
    page.wait_for_selector("#zoom-meeting-id")
    assert page.locator("#zoom-meeting-kind").inner_text() == "Zoom webinar"
    assert "Webinar ID" in page.locator("#zoom-panel").inner_text()
    assert page.get_by_role("button", name="Start webinar").is_visible()
    page.shot("class_with_webinar")
    class_session = ClassSession.objects.select_related("zoom_meeting").get()
    assert class_session.zoom_meeting.kind == "webinar"
    webinar_id = class_session.zoom_meeting.zoom_meeting_id

    site = page.url.split("/courses")[0]
    student = page.context.browser.new_context(base_url=site).new_page()
    for first, last in (("Priya", "Raman"), ("Tom", "Becker")):
        student.goto(f"/register/{class_session.public_token}/")
        student.fill("#id_first_name", first)
        student.fill("#id_last_name", last)
        student.fill("#id_email", f"{first.lower()}@prospects.example")
        student.get_by_role("button", name="Register").click()
        student.wait_for_selector("text=You're registered")
    confirmation = [message for message in mail.outbox if message.to == ["priya@prospects.example"]][-1]
    unique_link = re.search(r"How to join: (\S+)", confirmation.body).group(1)
    assert "/zoomsim/w/" in unique_link and "tk=" in unique_link
    student.context.close()

    page.goto(f"/zoomsim/control/meetings/{webinar_id}/")
    assert page.locator("#sim-meeting-kind").inner_text() == "Webinar"
    page.get_by_role("button", name="Start meeting").click()
    page.wait_for_selector("text=webinar.started (answered 200)")
    page.get_by_role("button", name="All registrants join").click()
    page.wait_for_selector("text=webinar.participant_joined (answered 200)")
    page.fill("#guest-name", "Prospect on a phone")
    page.get_by_role("button", name="Guest joins").click()
    page.wait_for_selector("text=Done: join guest")
    page.locator("li", has_text="Tom Becker").get_by_role("button", name="Leave").click()
    page.wait_for_selector("text=webinar.participant_left (answered 200)")
    page.get_by_role("button", name="End meeting").click()
    page.wait_for_selector("text=webinar.ended (answered 200)")
    page.shot("control_room_webinar_ended")

    page.goto(f"/courses/classes/{class_session.pk}/zoom/")
    assert "Webinar ID" in page.locator("main").inner_text()
    section = page.locator("#attendance")
    section.scroll_into_view_if_needed()
    assert "2 joined" in section.inner_text()
    assert "Prospect on a phone" in section.inner_text()
    page.shot("webinar_attendance")

    # The add-on taken away on Zoom: Check again, and the next class's form says why a webinar cannot be chosen.
    page.goto("/zoomsim/control/")
    page.locator("tr", has_text="host@acme.example.com").get_by_role("button", name="Remove").click()
    page.goto("/settings/zoom/")
    page.get_by_role("button", name="Check again").click()
    page.wait_for_url("**/settings/zoom/")
    assert "has no Webinar add-on" in page.locator("#zoom-webinar-state").inner_text()
    page.goto(f"/courses/{course.pk}/classes/new/")
    assert "not available on this Zoom account" in page.locator("#id_zoom_meeting_kind").inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    page.shot("class_form_webinar_unavailable_phone")
