"""A cohort click by click: schedule an eight-class series, students enrol from the public course page, the course
fills, one more joins the waitlist, a freed seat is given to them and they are emailed."""

from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from courses.models import ClassSession, Enrolment, Registration
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import connect_zoom, owner_with_organization, sign_in
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _next_tuesday():
    day = timezone.now().date() + timedelta(days=3)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def _enrol(browser, site, first, last, email, course):
    """A prospective student, in a browser of their own, on the public course page."""
    context = browser.new_context(base_url=site, viewport={"width": 390, "height": 844}, is_mobile=True)
    student = context.new_page()
    student.goto(f"/enrol/{course.public_token}/")
    student.fill("#id_first_name", first)
    student.fill("#id_last_name", last)
    student.fill("#id_email", email)
    button = student.locator("button[type=submit]")
    label = button.inner_text()
    button.click()
    student.wait_for_selector("h1")
    heading = student.locator("h1").inner_text()
    text = student.inner_text("body")
    return context, student, label, heading, text


def test_a_series_fills_and_its_waitlist_moves(page, site, browser):
    organization, owner = owner_with_organization(timezone="America/New_York")
    course = CourseFactory(organization=organization, title="PMP Evening Cohort")
    sign_in(page, owner.email)

    page.goto(f"/courses/{course.pk}/")
    page.get_by_role("link", name="Schedule a series").first.click()
    first = datetime.combine(_next_tuesday(), time(18, 30))
    page.fill("#id_title_pattern", "Week {n}: PMP evening")
    page.fill("#id_first_starts_at_local", first.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#id_timezone", "America/New_York")
    page.select_option("#id_frequency", "weekly")
    page.check("input[name=weekdays][value='1']")
    page.fill("#id_count", "8")
    page.select_option("#id_delivery_mode", "in_person")
    page.fill("#id_location", "Suite 400, 125 Main Street, Boston MA")
    page.fill("#id_capacity", "3")
    page.shot("schedule_a_series")
    page.get_by_role("button", name="Schedule the series").click()
    page.wait_for_url(f"**/courses/{course.pk}/")
    assert "8 classes scheduled" in page.inner_text("body")
    assert page.locator("text=(series, #8)").count() == 1
    page.shot("course_with_series")
    classes = list(ClassSession.objects.filter(course=course).order_by("starts_at"))
    assert [c.local_starts_at.strftime("%a %H:%M") for c in classes] == ["Tue 18:30"] * 8

    contexts = []
    for first_name, last_name in (("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing")):
        email = f"{first_name.lower()}@students.example.com"
        context, student, label, heading, _ = _enrol(browser, site, first_name, last_name, email, course)
        contexts.append(context)
        assert label == "Enrol in the course" and heading == "You're enrolled"
    assert Registration.objects.filter(class_session__course=course, status="confirmed").count() == 3 * 8
    ada_email = next(m for m in mail.outbox if m.to == ["ada@students.example.com"])
    assert ada_email.subject == "You're enrolled: PMP Evening Cohort" and ada_email.attachments[0][0] == "course.ics"

    context, student, label, heading, text = _enrol(
        browser, site, "Katherine", "Johnson", "kj@students.example.com", course
    )
    contexts.append(context)
    assert label == "Join the waitlist" and heading == "You're on the waitlist" and "number 1 in line" in text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    student.screenshot(path=str(ARTIFACTS / "test_a_series_fills_and_its_waitlist_moves__phone_waitlisted.png"))

    page.goto(f"/courses/{course.pk}/roster/")
    assert "3 enrolled · 1 on the waitlist" in page.inner_text("body")
    page.shot("roster_full_with_waitlist")
    row = page.locator("tr", has_text="Ada Lovelace")
    row.get_by_role("link", name="Cancel enrolment").click()
    page.get_by_role("button", name="Cancel enrolment").click()
    page.wait_for_url(f"**/courses/{course.pk}/roster/")
    page.shot("roster_after_a_seat_freed")
    assert "Enrolled" in page.locator("tr", has_text="Katherine Johnson").inner_text()
    assert Enrolment.objects.get(email="kj@students.example.com").is_confirmed
    promoted = next(m for m in mail.outbox if m.to == ["kj@students.example.com"] and "seat opened up" in m.subject)
    assert promoted.subject == "A seat opened up: you're enrolled in PMP Evening Cohort"

    for context in contexts:
        context.close()


def test_a_series_on_one_recurring_zoom_meeting(page, site, browser, monkeypatch):
    from attendance.models import AttendanceRecord
    from zoom_integration.models import ZoomMeeting, ZoomRecordingFile, ZoomSummary
    from zoom_simulator import representations
    from zoom_simulator import services as simulator
    from zoom_simulator.models import Meeting as SimulatedMeeting

    organization, owner = owner_with_organization(timezone="America/New_York")
    course = CourseFactory(organization=organization, title="PMP Evening Cohort")
    sign_in(page, owner.email)
    connect_zoom(page)

    page.goto(f"/courses/{course.pk}/series/new/")
    first = datetime.combine(_next_tuesday(), time(18, 30))
    page.fill("#id_title_pattern", "Week {n}: PMP evening")
    page.fill("#id_first_starts_at_local", first.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#id_timezone", "America/New_York")
    page.check("input[name=weekdays][value='1']")
    page.fill("#id_count", "8")
    page.select_option("#id_delivery_mode", "virtual")
    assert page.is_checked("#id_one_zoom_meeting")
    page.check("#id_create_zoom_meeting")
    page.shot("series_on_one_zoom_meeting")
    page.get_by_role("button", name="Schedule the series").click()
    page.wait_for_url(f"**/courses/{course.pk}/")

    classes = list(ClassSession.objects.filter(course=course).order_by("starts_at"))
    rows = {row.class_session_id: row for row in ZoomMeeting.objects.filter(class_session__in=classes)}
    assert len({row.zoom_meeting_id for row in rows.values()}) == 1, "one recurring meeting for the whole series"
    simulated = SimulatedMeeting.objects.get(meeting_id=rows[classes[0].pk].zoom_meeting_id)
    assert simulated.type == 8 and len(representations.meeting_occurrences(simulated)) == 8

    for first_name in ("Ada", "Grace"):
        email = f"{first_name.lower()}@students.example.com"
        context, *_ = _enrol(browser, site, first_name, "Student", email, course)
        context.close()
    for email in ("ada@students.example.com", "grace@students.example.com"):
        links = [m for m in mail.outbox if m.to == [email] and m.subject.startswith("Your join link")]
        assert len(links) == 1, "one join link for every class of the series"
    assert simulated.registrants.count() == 2

    # Move class 5 by an hour: only its occurrence moves on Zoom.
    fifth = classes[4]
    page.goto(f"/courses/classes/{fifth.pk}/edit/")
    moved = fifth.local_starts_at.replace(tzinfo=None) + timedelta(hours=1)
    page.fill("#id_starts_at_local", moved.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save class").click()
    page.wait_for_url(f"**/courses/classes/{fifth.pk}/")
    simulated.refresh_from_db()
    occurrences = {o["occurrence_id"]: o for o in representations.meeting_occurrences(simulated)}
    fifth_starts = ClassSession.objects.get(pk=fifth.pk).starts_at
    assert occurrences[rows[fifth.pk].occurrence_id]["start_time"] == fifth_starts.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert occurrences[rows[classes[5].pk].occurrence_id]["start_time"] == classes[5].starts_at.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )

    # Class 1 is held (the clock moves past it): its run has its own instance, attached to class 1 only.
    first_class = classes[0]
    shift = first_class.ends_at + timedelta(hours=1) - timezone.now()
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + shift)
    simulator.occurrence_start(meeting=simulated, occurrence_id=rows[first_class.pk].occurrence_id)
    for person in simulated.registrants.order_by("email"):
        simulator.participant_join(
            meeting=simulated, registrant=person, at=first_class.starts_at + timedelta(minutes=2)
        )
    simulator.meeting_end(meeting=simulated, at=first_class.ends_at)
    simulator.summary_make_ready(meeting=simulated)
    simulator.recordings_make_ready(meeting=simulated)

    page.goto(f"/courses/classes/{first_class.pk}/")
    page.shot("class_1_held")
    page.goto(f"/attendance/classes/{first_class.pk}/")
    text = page.inner_text("body")
    assert "Ada Student" in text and "Grace Student" in text and "Attended" in text
    page.shot("class_1_attendance")
    page.goto(f"/courses/classes/{first_class.pk}/zoom/")
    page.shot("class_1_zoom_features")
    held = page.inner_text("body")
    assert "Next steps" in held and "Cloud recordings" in held and "Week 1–8: PMP evening" in held
    # Everything of that run belongs to class 1 and to no other class of the series.
    assert {r.class_session_id for r in AttendanceRecord.objects.exclude(seconds_present=0)} == {first_class.pk}
    assert {s.meeting.class_session_id for s in ZoomSummary.objects.select_related("meeting")} == {first_class.pk}
    assert {f.meeting.class_session_id for f in ZoomRecordingFile.objects.select_related("meeting")} == {first_class.pk}
    page.goto(f"/attendance/classes/{classes[1].pk}/")
    second = page.inner_text("body")
    assert "Ada Student" in second and "Upcoming" in second and "1 attended" not in second
