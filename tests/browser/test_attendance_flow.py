"""Pre-registered students join and leave the (simulated) Zoom meeting → the Zoom page's Attendance section fills in:
whether each joined, first join, last leave; the meeting's end closes who is still in and Zoom's participant report
is read after it."""

import pytest
from django.utils import timezone

from attendance.models import PresenceSignal
from courses.models import ClassSession, Registration
from tests.factories import CourseFactory
from zoom_simulator import services as simulator
from zoom_simulator.models import Meeting as SimulatedMeeting
from zoom_simulator.models import Participant as SimulatedParticipant
from zoom_simulator.webhooks import webhooks_captured

from .helpers import connect_zoom, create_virtual_class_with_meeting, owner_with_organization, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def hh_mm(moment, class_session):
    return timezone.localtime(moment, class_session.zone).strftime("%H:%M")


def attendance_row(page, registration):
    row = page.locator(f"#attendance-registration-{registration.pk}")
    cells = row.locator("td")
    return {
        "joined": cells.nth(0).inner_text().strip(),
        "first_join": cells.nth(1).inner_text().strip(),
        "last_leave": cells.nth(2).inner_text().strip(),
    }


def test_students_join_and_leave_and_the_zoom_page_shows_their_attendance(page):
    organization, owner = owner_with_organization()
    course = CourseFactory(organization=organization, title="PMP Exam Prep")
    sign_in(page, owner.email)
    connect_zoom(page)

    create_virtual_class_with_meeting(
        page, course_id=course.pk, title="Week 3: Schedule management", starts_at_local="2031-03-04T18:30"
    )
    class_session = ClassSession.objects.select_related("zoom_meeting").get()
    zoom_meeting_id = class_session.zoom_meeting.zoom_meeting_id
    students = {
        first: Registration.objects.create(
            organization=organization,
            class_session=class_session,
            student=owner,
            first_name=first,
            last_name=last,
            email=f"{first.lower()}@students.example.com",
        )
        for first, last in (("Ada", "Lovelace"), ("Alan", "Turing"), ("Grace", "Hopper"))
    }
    page.goto(f"/courses/classes/{class_session.pk}/zoom/")
    page.get_by_role("button", name="Sync now").click()
    page.wait_for_selector("text=3 of 3 students registered on Zoom")
    assert "Nothing recorded yet" in page.locator("#attendance").inner_text()
    page.shot("attendance_before_the_class")

    # In the simulator's control room: the meeting starts, Ada and Alan join with their links, a guest joins.
    page.goto(f"/zoomsim/control/meetings/{zoom_meeting_id}/")
    page.get_by_role("button", name="Start meeting").click()
    page.wait_for_selector("text=Done: start")
    for name in ("Ada Lovelace", "Alan Turing"):
        page.locator("tr", has_text=name).get_by_role("button", name="Join").click()
        page.wait_for_selector("text=meeting.participant_joined (answered 200)")
    page.fill("#guest-name", "Juan's iPad")
    page.get_by_role("button", name="Guest joins").click()
    page.wait_for_selector("text=Done: join guest")
    page.locator("li", has_text="Ada Lovelace").get_by_role("button", name="Leave").click()
    page.wait_for_selector("text=meeting.participant_left (answered 200)")
    page.shot("control_room_during_the_class")
    simulated_meeting = SimulatedMeeting.objects.get(meeting_id=zoom_meeting_id)
    with webhooks_captured() as lost:  # Grace joins, but Zoom's webhook never reaches CohortStudio
        simulator.participant_join(
            meeting=simulated_meeting, registrant=simulated_meeting.registrants.get(email="grace@students.example.com")
        )
    assert [request.event for request in lost] == ["meeting.participant_joined"]

    page.goto(f"/courses/classes/{class_session.pk}/zoom/")
    section = page.locator("#attendance")
    section.scroll_into_view_if_needed()
    page.shot("attendance_during_the_class")
    ada_in_zoom = SimulatedParticipant.objects.get(name="Ada Lovelace")
    alan_in_zoom = SimulatedParticipant.objects.get(name="Alan Turing")
    assert attendance_row(page, students["Ada"]) == {
        "joined": "Yes",
        "first_join": hh_mm(ada_in_zoom.join_time, class_session),
        "last_leave": hh_mm(ada_in_zoom.leave_time, class_session),
    }
    alan = attendance_row(page, students["Alan"])
    assert alan["joined"].startswith("Yes") and "In the meeting" in alan["joined"]
    assert (alan["first_join"], alan["last_leave"]) == (hh_mm(alan_in_zoom.join_time, class_session), "—")
    assert attendance_row(page, students["Grace"]) == {"joined": "No", "first_join": "—", "last_leave": "—"}
    assert "Juan's iPad" in section.locator(f"#attendance-unmatched-{class_session.pk} ~ div").inner_text()
    assert "2 joined" in section.inner_text()

    # The host ends the meeting with Alan and Grace still in: their leaves, meeting.ended, then the participant report.
    page.goto(f"/zoomsim/control/meetings/{zoom_meeting_id}/")
    page.get_by_role("button", name="End meeting").click()
    page.wait_for_selector("text=meeting.ended (answered 200)")

    page.goto(f"/courses/classes/{class_session.pk}/zoom/")
    page.locator("#attendance").scroll_into_view_if_needed()
    page.shot("attendance_after_the_class")
    for name in ("Alan", "Grace"):
        in_zoom = SimulatedParticipant.objects.get(email=f"{name.lower()}@students.example.com")
        assert attendance_row(page, students[name]) == {
            "joined": "Yes",
            "first_join": hh_mm(in_zoom.join_time, class_session),
            "last_leave": hh_mm(in_zoom.leave_time, class_session),
        }
    assert "Meeting run:" in page.locator("#attendance").inner_text()
    assert "3 joined" in page.locator("#attendance").inner_text()
    # Grace's join came from Zoom's participant report, read once the meeting ended.
    assert list(PresenceSignal.objects.filter(reconciled=True).values_list("kind", "display_name")) == [
        ("join", "Grace Hopper")
    ]
