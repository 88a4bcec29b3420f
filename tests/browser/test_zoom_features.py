"""Polls, the AI summary and shared recordings, end to end against the built-in Zoom simulator."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from tests.factories import (
    ClassSessionFactory,
    CourseFactory,
    MembershipFactory,
    OrganizationFactory,
    RegistrationFactory,
)
from zoom_integration.models import ZoomMeeting, ZoomRecordingFile
from zoom_simulator import services as zoom_simulator
from zoom_simulator.models import Meeting as SimulatedMeeting
from zoom_simulator.models import Summary as SimulatedSummary
from zoom_simulator.webhooks import webhooks_captured

from .helpers import sign_in_with_session, zoom_connection_on_simulator

pytestmark = pytest.mark.django_db(transaction=True)


def _student_signs_in(student, email):
    student.goto("/portal/")
    student.wait_for_url("**/accounts/login/code/**")
    student.fill("input[name=email]", email)
    student.click("button[type=submit]")
    code = re.search(r"browser window\.\s+(\S+)\s", mail.outbox[-1].body).group(1)
    student.fill("input[name=code]", code)
    student.click("button[type=submit]")
    student.wait_for_url("**/portal/")


def test_poll_summary_and_shared_recording_through_the_simulator(page, site):
    organization = OrganizationFactory(name="Maria's PM Academy", timezone="Europe/Madrid")
    owner = MembershipFactory(organization=organization, role="owner").user
    zoom_connection_on_simulator(organization)
    class_session = ClassSessionFactory(
        course=CourseFactory(organization=organization, title="PMP Exam Prep"),
        title="Week 2: Schedule management",
        starts_at=timezone.now().replace(microsecond=0) - timedelta(minutes=30),
        duration_minutes=120,
        timezone="Europe/Madrid",
    )
    registration = RegistrationFactory(
        class_session=class_session, first_name="Ada", last_name="Lovelace", email="ada@students.example.com"
    )
    # The passwordless account a registration makes, as courses.services does.
    EmailAddress.objects.create(user=registration.student, email=registration.email, primary=True)
    sign_in_with_session(page.context, owner, site)

    # The class gets its meeting on the simulator, then the trainer opens the Zoom management page.
    page.goto(f"/courses/classes/{class_session.pk}/")
    page.get_by_role("button", name="Create Zoom meeting").click()
    page.get_by_role("link", name="Manage Zoom features").click()
    page.wait_for_url(f"**/courses/classes/{class_session.pk}/zoom/")
    assert "No AI summary yet" in page.locator("#summary").inner_text()
    assert "No cloud recording yet" in page.locator("#recordings").inner_text()

    # Push a poll and see it listed from Zoom.
    page.fill("#id_title", "Critical path check")
    page.fill("#id_question", "Which activity has zero float?")
    page.fill("#id_answers", "Design review\n\n  Build  \nTesting")
    page.get_by_role("button", name="Push to Zoom").click()
    page.wait_for_selector("#poll-list")
    assert "Poll “Critical path check” pushed to Zoom." in page.content()
    poll_list = page.locator("#poll-list").inner_text()
    assert "Critical path check" in poll_list and "Design review · Build · Testing" in poll_list
    page.shot("poll_pushed")
    simulated = SimulatedMeeting.objects.get(
        meeting_id=ZoomMeeting.objects.get(class_session=class_session).zoom_meeting_id
    )
    assert simulated.polls.get().title == "Critical path check"

    # The class runs and ends on Zoom; AI Companion finishes the summary. Its event is held back,
    # so it is the page refresh that finds it.
    with webhooks_captured():
        zoom_simulator.meeting_start(meeting=simulated)
        zoom_simulator.meeting_end(meeting=simulated)
        zoom_simulator.summary_make_ready(meeting=simulated)
    page.reload()
    summary = page.locator("#summary")
    assert "Meeting summary for" in summary.inner_text()
    assert [heading.inner_text() for heading in summary.locator("h4").all()] == ["Summary", "Key points", "Next steps"]
    page.shot("summary_shown")
    summary.get_by_role("link", name="Delete on Zoom").click()
    page.wait_for_selector("text=Delete this AI summary on Zoom?")
    page.shot("summary_delete_confirm")
    page.get_by_role("button", name="Delete on Zoom").click()
    page.wait_for_url(f"**/courses/classes/{class_session.pk}/zoom/#summary")
    assert "The AI summary was deleted from your Zoom account and from CohortStudio." in page.content()
    assert page.locator("#summary .zoom-summary").count() == 0
    assert "The AI summary was deleted from your Zoom account on" in page.locator("#summary").inner_text()
    page.shot("summary_deleted")
    assert SimulatedSummary.objects.get().trashed_at is not None

    # Zoom finishes the cloud recording and says so by webhook; the trainer shares the video.
    zoom_simulator.recordings_make_ready(meeting=simulated)
    page.reload()
    recordings = page.locator("#recordings")
    assert "cannot revoke a link someone already copied" in recordings.inner_text()
    video_row = recordings.locator("tr", has_text="Video: shared screen with speaker")
    assert (
        video_row.get_by_role("link", name="Open on Zoom").get_attribute("href").startswith(f"{site}/zoomsim/rec/play/")
    )
    video_row.get_by_role("button", name="Share with class").click()
    page.wait_for_url(f"**/courses/classes/{class_session.pk}/zoom/#recordings")
    assert (
        recordings.locator("tr", has_text="Video: shared screen with speaker").get_by_text("Shared with class").count()
        == 1
    )
    page.shot("recording_shared")

    # The student signs in with an emailed code, finds the recording and opens it with its passcode.
    student = page.context.browser.new_context(base_url=site).new_page()
    _student_signs_in(student, "ada@students.example.com")
    card = student.locator(f"#registration-{registration.pk}")
    assert card.get_by_role("link", name="Join").get_attribute("href").startswith(f"{site}/zoomsim/")
    link = card.get_by_role("link", name="Watch on Zoom")
    share_url = link.get_attribute("href")
    passcode = card.locator(".portal-recordings code").inner_text()
    student.screenshot(path=str(page.shots[0].parent / "zoom_features__student_portal.png"), full_page=True)
    student.goto(share_url)
    student.fill("#passcode", passcode)
    student.get_by_role("button", name="Watch recording").click()
    assert "a simulated recording; there is no media" in student.content()

    # Unsharing takes effect at once.
    video_row = page.locator("#recordings tr", has_text="Video: shared screen with speaker")
    video_row.get_by_role("button", name="Unshare").click()
    page.wait_for_url(f"**/courses/classes/{class_session.pk}/zoom/#recordings")
    assert "Unshared: students no longer see it in CohortStudio." in page.content()
    assert not ZoomRecordingFile.objects.filter(shared=True).exists()
    page.shot("recording_unshared")
    student.goto("/portal/")
    assert student.get_by_role("link", name="Watch on Zoom").count() == 0
    assert passcode not in student.content()
    student.screenshot(
        path=str(page.shots[0].parent / "zoom_features__student_portal_after_unshare.png"), full_page=True
    )
