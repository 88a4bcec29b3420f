"""Attendance-check polls to a certificate, click by click: the trainer pushes a poll marked as an attendance check, the class is held
in the simulated Zoom with students answering from the control room, and after the meeting ends the attendance page
shows "Polls answered" per student (from Zoom's past poll results)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from certificates.models import Certificate
from courses.models import ClassSession, Enrolment, Registration
from evidence.models import CompletionRules, PollCheck
from tests.factories import CourseFactory, UserFactory

from .helpers import connect_zoom, create_virtual_class_with_meeting, owner_with_organization, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def polls_answered(page, registration):
    return page.locator(f"#attendance-registration-{registration.pk} td.report-column").inner_text().strip()


def test_students_answer_an_attendance_check_poll_and_the_attendance_page_counts_it(page, monkeypatch):
    organization, owner = owner_with_organization()
    course = CourseFactory(organization=organization, title="PMP Exam Prep")
    sign_in(page, owner.email)
    connect_zoom(page)
    # Three days ahead: near enough for the signed-in session to outlast the clock moved into the class.
    starts_at = timezone.localtime(timezone.now() + timedelta(days=3), ZoneInfo(organization.timezone)).replace(
        hour=18, minute=30
    )
    create_virtual_class_with_meeting(
        page, course_id=course.pk, title="Week 4: Cost management", starts_at_local=starts_at.strftime("%Y-%m-%dT%H:%M")
    )
    class_session = ClassSession.objects.select_related("zoom_meeting").get()
    zoom_meeting_id = class_session.zoom_meeting.zoom_meeting_id
    # Three students enrolled in the course (its one class); the course needs every attendance poll answered.
    students = {}
    for first, last in (("Ada", "Lovelace"), ("Alan", "Turing"), ("Grace", "Hopper")):
        email = f"{first.lower()}@students.example.com"
        enrolment = Enrolment.objects.create(
            organization=organization,
            course=course,
            student=UserFactory(email=email, password=None),
            first_name=first,
            last_name=last,
            email=email,
            status="confirmed",
            confirmed_at=timezone.now(),
        )
        students[first] = Registration.objects.create(
            organization=organization,
            class_session=class_session,
            student=enrolment.student,
            enrolment=enrolment,
            first_name=first,
            last_name=last,
            email=email,
        )
    CompletionRules.objects.create(
        organization=organization, course=course, min_polls_percent=100, credit_preset="cpe50"
    )

    # Manage Zoom features: pre-register the students, push a poll marked as an attendance check.
    page.goto(f"/courses/classes/{class_session.pk}/zoom/")
    page.get_by_role("button", name="Sync now").click()
    page.wait_for_selector("text=3 of 3 students registered on Zoom")
    page.fill("#id_title", "Still with us?")
    page.fill("#id_question", "Which estimate uses three points?")
    page.fill("#id_answers", "PERT\nAnalogous")
    page.get_by_label("Attendance check").check()
    page.shot("attendance_check_poll_form")
    page.get_by_role("button", name="Push to Zoom").click()
    page.wait_for_selector("#poll-list")
    assert "Attendance-check poll “Still with us?” pushed to Zoom." in page.content()
    assert "Attendance check" in page.locator("#poll-list").inner_text()
    page.shot("attendance_check_poll_pushed")

    # The class is held: the clock moves into it.
    shift = class_session.starts_at + timedelta(minutes=5) - timezone.now()
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + shift)

    # In the simulator's control room: everyone joins with their link; Ada and Alan answer the poll, Grace does not.
    page.goto(f"/zoomsim/control/meetings/{zoom_meeting_id}/")
    page.get_by_role("button", name="Start meeting").click()
    page.wait_for_selector("text=Done: start")
    for name in ("Ada Lovelace", "Alan Turing", "Grace Hopper"):
        page.locator("tr", has_text=name).get_by_role("button", name="Join").click()
        page.wait_for_selector("text=meeting.participant_joined (answered 200)")
    for name in ("Ada Lovelace", "Alan Turing"):
        page.locator("li", has_text=name).get_by_role("button", name="Answer poll").click()
        page.wait_for_selector("text=Done: answer poll")
    page.shot("control_room_polls_answered")
    # The class runs its course: the meeting ends at its scheduled end.
    until_end = class_session.ends_at - real_now()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + until_end)
    page.get_by_role("button", name="End meeting").click()
    page.wait_for_selector("text=meeting.ended (answered 200)")

    # After the meeting ended CohortStudio fetched the run's poll answers from Zoom.
    check = PollCheck.objects.get()
    assert (check.class_session_id, check.title, check.attendance_check) == (class_session.pk, "Still with us?", True)
    page.goto(f"/attendance/classes/{class_session.pk}/")
    assert page.locator("th", has_text="Polls answered").count() == 1
    page.shot("attendance_polls_answered")
    assert polls_answered(page, students["Ada"]) == "1 of 1"
    assert polls_answered(page, students["Alan"]) == "1 of 1"
    assert polls_answered(page, students["Grace"]) == "0 of 1"
    polls = page.locator(f"#poll-results-{class_session.pk} + ul").inner_text()
    assert "“Still with us?” · 2 respondents" in polls and "Attendance check" in polls

    # The course is over and settled: Ada and Alan completed it, Grace is one poll short; certificates are issued.
    settled = class_session.ends_at + timedelta(hours=1) - real_now()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + settled)
    page.goto(f"/courses/{course.pk}/evidence/")
    page.get_by_role("button", name="Recompute standing now").click()
    page.wait_for_selector("text=Standing recomputed: 2 of 3 students completed the course.")
    standing = page.inner_text("body")
    assert "answered 0 of 1 attendance polls; 100% needed" in standing
    page.shot("completion_and_credits")
    certificates = {c.enrolment.first_name: c for c in Certificate.objects.select_related("enrolment")}
    assert set(certificates) == {"Ada", "Alan"}

    # Anyone can check Ada's certificate, signed in or not.
    visitor = page.context.browser.new_context(base_url=page.url.split("/courses/")[0])
    anonymous = visitor.new_page()
    anonymous.goto(f"/certificates/verify/{certificates['Ada'].verification_code}/")
    text = anonymous.inner_text("body")
    assert "The signature holds" in text and "Ada Lovelace" in text and "PMP Exam Prep" in text
    anonymous.screenshot(path=str(page.shots[0].parent / f"{page.shots[0].name.split('__')[0]}__anonymous_verify.png"))
    visitor.close()
