"""The user guide, click by click, against the built-in Zoom simulator (no network):
connect (both options), create a meeting, sync registrants, push a poll, see and delete a summary,
share and unshare a recording and see it as a student, watch attendance fill in, disconnect, uninstall."""

import re

import pytest
from django.core import mail

from courses.models import ClassSession
from tests.factories import CourseFactory

from .helpers import allow_on_zoom_consent, connect_zoom, owner_with_organization, sign_in, sign_in_student

pytestmark = pytest.mark.django_db(transaction=True)


def control_room(page, zoom_meeting_id, button, done):
    page.goto(f"/zoomsim/control/meetings/{zoom_meeting_id}/")
    page.get_by_role("button", name=button).first.click()
    page.wait_for_selector(f"text={done}")


def test_the_user_guide_click_by_click(page, site):
    organization, owner = owner_with_organization(name="Maria's PM Academy", timezone="Europe/Madrid")
    CourseFactory(organization=organization, title="PMP Exam Prep")
    sign_in(page, owner.email)

    # 1. Adding the app, Option A: Settings → Zoom → Connect Zoom account → Allow.
    connect_zoom(page)
    assert page.get_by_text("Connected as host@acme.example.com", exact=True).is_visible()
    page.shot("1_connected")

    # 2. Courses → <your course> → New class session, Virtual, Create Zoom meeting ticked.
    page.goto("/courses/")
    page.get_by_role("link", name="PMP Exam Prep").click()
    page.get_by_role("link", name="New class session").first.click()
    page.fill("#id_title", "Week 4: Risk management")
    page.fill("#id_starts_at_local", "2031-05-06T18:00")
    page.select_option("#id_delivery_mode", "virtual")
    page.check("#id_create_zoom_meeting")
    page.get_by_role("button", name="Save class").click()
    page.wait_for_selector("#zoom-meeting-id")
    zoom_meeting_id = page.locator("#zoom-meeting-id").inner_text().replace(" ", "")
    assert page.locator("#zoom-password").inner_text().strip() and page.locator("#zoom-join-url").count() == 1
    page.shot("2_meeting_on_the_class_page")
    class_session = ClassSession.objects.get(title="Week 4: Risk management")

    # A student registers and receives a unique join link in the confirmation.
    student = page.context.browser.new_context(base_url=site).new_page()
    student.goto(f"/register/{class_session.public_token}/")
    student.fill("#id_first_name", "Ada")
    student.fill("#id_last_name", "Lovelace")
    student.fill("#id_email", "ada@students.example.com")
    student.get_by_role("button", name="Register").click()
    student.wait_for_selector("text=You're registered")
    assert re.search(r"How to join: \S+/zoomsim/w/\S+tk=", mail.outbox[-1].body)

    # 3. Manage Zoom features → Sync now.
    page.goto(f"/courses/classes/{class_session.pk}/")
    page.get_by_role("link", name="Manage Zoom features").click()
    page.get_by_role("button", name="Sync now").click()
    page.wait_for_selector("text=1 of 1 students registered on Zoom")

    # 4. Push a poll to the meeting.
    page.fill("#id_title", "Risk response")
    page.fill("#id_question", "Which response transfers the risk?")
    page.fill("#id_answers", "Avoid\nTransfer\nMitigate\nAccept")
    page.get_by_role("button", name="Push to Zoom").click()
    page.wait_for_selector("#poll-list")
    assert "Risk response" in page.locator("#poll-list").inner_text()
    page.shot("4_poll_pushed")

    # 5. Track attendance automatically: the class happens on Zoom.
    control_room(page, zoom_meeting_id, "Start meeting", "Done: start")
    control_room(page, zoom_meeting_id, "All registrants join", "meeting.participant_joined (answered 200)")
    control_room(page, zoom_meeting_id, "End meeting", "meeting.ended (answered 200)")
    page.goto(f"/courses/classes/{class_session.pk}/zoom/")
    attendance = page.locator("#attendance")
    assert "1 joined" in attendance.inner_text() and "Ada Lovelace" in attendance.inner_text()
    page.shot("5_attendance")

    # 6. View and delete the AI meeting summary.
    control_room(page, zoom_meeting_id, "Make AI summary ready", "meeting.summary_completed (answered 200)")
    page.goto(f"/courses/classes/{class_session.pk}/zoom/")
    assert "Meeting summary for" in page.locator("#summary").inner_text()
    page.shot("6_summary")
    page.locator("#summary").get_by_role("link", name="Delete on Zoom").click()
    page.get_by_role("button", name="Delete on Zoom").click()
    page.wait_for_url("**/zoom/#summary")
    assert "The AI summary was deleted from your Zoom account" in page.content()

    # 7. Share cloud recordings with students; the student sees it in the portal; unshare.
    control_room(page, zoom_meeting_id, "Make cloud recordings ready", "recording.completed (answered 200)")
    page.goto(f"/courses/classes/{class_session.pk}/zoom/")
    video = page.locator("#recordings tr", has_text="Video")
    video.first.get_by_role("button", name="Share with class").click()
    page.wait_for_url("**/zoom/#recordings")
    sign_in_student(student, "ada@students.example.com")
    assert student.get_by_role("link", name="Watch on Zoom").count() == 1
    student.screenshot(path=str(page.shots[0].parent / "user_guide__7_student_sees_recording.png"), full_page=True)
    page.locator("#recordings tr", has_text="Video").first.get_by_role("button", name="Unshare").click()
    page.wait_for_url("**/zoom/#recordings")
    student.reload()
    assert student.get_by_role("link", name="Watch on Zoom").count() == 0

    # 8. Removing the app, step 1: Disconnect Zoom, confirmed.
    page.goto("/settings/zoom/")
    page.get_by_role("link", name="Disconnect Zoom").click()
    page.get_by_role("button", name="Disconnect Zoom").click()
    page.wait_for_url("**/settings/zoom/")
    assert page.get_by_text("Not connected").first.is_visible()
    # The class keeps its meeting details as a plain link.
    page.goto(f"/courses/classes/{class_session.pk}/")
    assert page.locator("#zoom-join-url").count() == 1 and "Reconnect Zoom to manage this" in page.content()

    # 9. Adding the app, Option B: from the Marketplace (signed in: completed automatically).
    page.goto("/zoomsim/marketplace/")
    page.get_by_role("link", name="Add").click()
    allow_on_zoom_consent(page, email="host@acme.example.com")
    page.wait_for_url("**/settings/zoom/")
    assert page.get_by_text("Connected as host@acme.example.com", exact=True).is_visible()

    # 10. Removing the app, step 2: uninstall from the Marketplace; the deauthorization takes effect.
    page.goto("/zoomsim/marketplace/installed/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove").first.click()
    page.wait_for_load_state()
    page.goto("/settings/zoom/")
    assert page.get_by_text("Not connected").first.is_visible()
    assert "Zoom reported that the CohortStudio app was removed" in page.content()
    page.shot("10_uninstalled")
