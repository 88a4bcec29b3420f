"""The stakeholder calendar: upcoming sessions with how to join, no participant, revocable."""

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from courses.models import CalendarFeed
from tests.factories import ClassSessionFactory, RegistrationFactory
from zoom_integration.models import ZoomMeeting, ZoomRegistrant


@pytest.mark.django_db
def test_an_owner_shares_sessions_with_their_join_details_and_no_participant(owner_client, course, organization):
    upcoming = ClassSessionFactory(course=course, title="Week 5: Risk", starts_at=timezone.now() + timedelta(days=3))
    ClassSessionFactory(course=course, title="Cancelled one", status="cancelled")
    ClassSessionFactory(course=course, title="Long ago", starts_at=timezone.now() - timedelta(days=90))
    meeting = ZoomMeeting.objects.create(
        organization=organization,
        class_session=upcoming,
        status="ready",
        zoom_meeting_id=85746065432,
        join_url="https://us05web.zoom.us/j/85746065432?pwd=general",
        password="Qw3rty",
    )
    student = RegistrationFactory(class_session=upcoming, first_name="Grace", last_name="Hopper")
    ZoomRegistrant.objects.create(
        organization=organization,
        meeting=meeting,
        registration=student,
        status="synced",
        join_url="https://us05web.zoom.us/w/85746065432?tk=personal-token",
    )

    assert owner_client.get("/courses/calendar/stakeholders/").status_code == 200
    owner_client.post("/courses/calendar/stakeholders/", {"action": "create"})
    feed = CalendarFeed.objects.get(kind="stakeholder")
    body = owner_client.get(f"/calendar/{feed.token}.ics").content.decode()

    events = {str(event["summary"]): event for event in Calendar.from_ical(body).walk("VEVENT")}
    assert set(events) == {f"{course.title}: Week 5: Risk"}
    assert "pwd=general" in body and "Qw3rty" in body
    assert "personal-token" not in body and "Grace" not in body and student.email not in body


@pytest.mark.django_db
def test_replacing_or_revoking_the_link_stops_the_old_one(owner_client):
    owner_client.post("/courses/calendar/stakeholders/", {"action": "create"})
    first = CalendarFeed.objects.get(kind="stakeholder").token
    owner_client.post("/courses/calendar/stakeholders/", {"action": "replace"})
    second = CalendarFeed.objects.get(kind="stakeholder").token
    assert first != second and owner_client.get(f"/calendar/{first}.ics").status_code == 404
    owner_client.post("/courses/calendar/stakeholders/", {"action": "revoke"})
    assert owner_client.get(f"/calendar/{second}.ics").status_code == 404
    assert not CalendarFeed.objects.filter(kind="stakeholder").exists()


@pytest.mark.django_db
def test_only_owners_manage_the_stakeholder_link(trainer_client):
    assert trainer_client.get("/courses/calendar/stakeholders/").status_code == 403
    assert trainer_client.post("/courses/calendar/stakeholders/", {"action": "create"}).status_code == 403
    assert not CalendarFeed.objects.filter(kind="stakeholder").exists()
