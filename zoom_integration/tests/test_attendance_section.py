"""The Attendance section of the Zoom management page."""

import re
from datetime import timedelta

from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from attendance.models import AttendanceOverride, AttendanceRecord, Participant
from courses.models import Registration
from tests.factories import UserFactory

from .factories import ZoomConnectionFactory
from .zoom_events import RUN_1, STARTS_AT, at, class_with_meeting, deliver, zoom_class  # noqa: F401  (fixtures)


def manage_url(class_session):
    return f"/courses/classes/{class_session.pk}/zoom/"


def test_the_zoom_page_shows_who_joined_first_join_and_last_leave(owner_client, zoom_class, deliver):
    zoom = zoom_class["zoom"]
    deliver(
        zoom.started(uuid=RUN_1, start=at(17, 0)),
        zoom.joined(uuid=RUN_1, user_id=1, name="Ada", at=at(17, 2), registrant_id="kLmN0pQrStUvWx-Ada"),
        zoom.left(uuid=RUN_1, user_id=1, name="Ada", at=at(18, 20), registrant_id="kLmN0pQrStUvWx-Ada"),
        zoom.joined(uuid=RUN_1, user_id=2, name="Juan's iPad", at=at(17, 10)),
    )

    response = owner_client.get(manage_url(zoom_class["class_session"]))

    assert response.status_code == 200
    html = response.content.decode()
    ada_row = html.split(f'id="attendance-registration-{zoom_class["ada"].pk}"')[1].split("</tr>")[0]
    assert "Yes" in ada_row
    assert '<time datetime="2026-03-10T17:02:00+00:00">17:02</time>' in ada_row
    assert '<time datetime="2026-03-10T18:20:00+00:00">18:20</time>' in ada_row
    assert '<td class="text-end">78</td>' in ada_row
    grace_row = html.split(f'id="attendance-registration-{zoom_class["grace"].pk}"')[1].split("</tr>")[0]
    assert "<td>No</td>" in grace_row
    assert "Juan&#x27;s iPad" in html and "Participants not matched to a registration" in html
    assert 'name="next" value="/courses/classes/' in html  # marking by hand comes back to the Zoom page


def _class_of(organization, connection, size, zoom_meeting_id, student, owner):
    _, class_session, _ = class_with_meeting(
        organization=organization, connection=connection, zoom_meeting_id=zoom_meeting_id
    )
    registrations = Registration.objects.bulk_create(
        Registration(
            organization=organization,
            class_session=class_session,
            student=student,
            first_name=f"Student{number}",
            last_name="Example",
            email=f"student{number}@{zoom_meeting_id}.example.com",
        )
        for number in range(size)
    )
    AttendanceRecord.objects.bulk_create(
        AttendanceRecord(
            organization=organization,
            class_session=class_session,
            registration=registration,
            intervals=[[STARTS_AT.isoformat(), (STARTS_AT + timedelta(minutes=number % 60)).isoformat()]],
            first_joined_at=STARTS_AT,
            last_left_at=STARTS_AT + timedelta(minutes=number % 60),
            seconds_present=60 * (number % 60),
        )
        for number, registration in enumerate(registrations)
    )
    AttendanceOverride.objects.bulk_create(
        AttendanceOverride(
            organization=organization,
            class_session=class_session,
            registration=registration,
            status="present",
            reason="Joined by phone",
            set_by=owner,
        )
        for registration in registrations[::5]
    )
    Participant.objects.bulk_create(
        Participant(
            organization=organization,
            class_session=class_session,
            source="zoom",
            session_key=RUN_1,
            participant_key=str(number),
            display_name=f"Guest {number}",
            first_joined_at=STARTS_AT,
            last_left_at=STARTS_AT + timedelta(minutes=30),
            seconds_present=1800,
        )
        for number in range(size // 5 + 1)
    )
    return class_session


def test_the_zoom_page_runs_as_many_queries_for_500_students_as_for_5(owner_client, organization, owner):
    connection = ZoomConnectionFactory(organization=organization)
    student = UserFactory()
    small = _class_of(organization, connection, 5, 81111111111, student, owner)
    large = _class_of(organization, connection, 500, 82222222222, student, owner)

    counts = {}
    for name, class_session in (("small", small), ("large", large)):
        owner_client.get(manage_url(class_session))  # warm the session and caches alike for both
        with CaptureQueriesContext(db_connection) as queries:
            response = owner_client.get(manage_url(class_session))
        assert response.status_code == 200
        counts[name] = len(queries)

    html = response.content.decode()
    # The counts cover the class; the table shows it 50 students at a time.
    assert html.count('id="attendance-registration-') == 50
    assert "Guest 100" in html and "100 / 500 attended" in html
    assert "Page 1 of 10" in html
    assert counts["small"] == counts["large"]

    last = owner_client.get(manage_url(large), {"page": 2, "attendance_page": 10}).content.decode()
    assert last.count('id="attendance-registration-') == 50 and "Page 10 of 10" in last
    assert "?page=2&amp;attendance_page=9#attendance-heading-" in last, "the roster's page is kept"
    shown = set(re.findall(r'id="attendance-registration-(\d+)"', html)) | set(
        re.findall(r'id="attendance-registration-(\d+)"', last)
    )
    assert len(shown) == 100, "pages do not overlap"


def test_class_zoom_and_attendance_pages_at_200_students_run_no_more_queries_than_at_5(
    owner_client, organization, owner, django_assert_max_num_queries
):
    connection = ZoomConnectionFactory(organization=organization)
    student = UserFactory()
    small = _class_of(organization, connection, 5, 81111111111, student, owner)
    large = _class_of(organization, connection, 200, 82222222222, student, owner)
    pages = {
        "class": lambda class_session: f"/courses/classes/{class_session.pk}/",
        "zoom": manage_url,
        "attendance": lambda class_session: f"/attendance/classes/{class_session.pk}/",
    }

    for name, url in pages.items():
        owner_client.get(url(small))  # warm the session and caches alike for both
        with CaptureQueriesContext(db_connection) as at_5:
            assert owner_client.get(url(small)).status_code == 200
        with django_assert_max_num_queries(len(at_5), info=f"the {name} page at 200 students"):
            response = owner_client.get(url(large))
        assert response.status_code == 200
        assert "40 / 200" in response.content.decode(), name
