"""A series on Zoom: one recurring meeting (type 8) or a meeting per class; Zoom's daily limit planned for."""

import itertools
import json
import math
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.core import mail
from django.utils import timezone

from courses import cohorts
from courses import services as course_services
from courses.models import ClassSession
from courses.recurrence import RepeatRule
from tests.factories import ClassSessionFactory
from zoom_integration.models import (
    MeetingStatus,
    ZoomHostDailyWrites,
    ZoomMeeting,
    ZoomRegistrant,
    ZoomSeriesMeeting,
    ZoomSeriesRegistrant,
)
from zoom_integration.scheduling import series as series_services

from .conftest import API
from .openapi import assert_matches_zoom_openapi
from .test_meetings import connected  # noqa: F401  (fixture)
from .zoom_events import ZoomEvents, deliver, zoom_time  # noqa: F401  (fixture)

MEETINGS_URL = f"{API}/users/me/meetings"
RECURRING_ID = 81234567890


class FakeZoom:
    """Zoom's meeting and registrant endpoints as documented, every request checked against Zoom's OpenAPI."""

    def __init__(self, mock):
        self.mock = mock
        self.ids = itertools.count(82000000001)
        self.creates, self.single_adds, self.batch_adds, self.answered_429 = [], [], [], 0
        mock.add_callback(responses.POST, MEETINGS_URL, callback=self.create)
        mock.add_callback(responses.PATCH, _any_meeting(""), callback=self.no_content)
        mock.add_callback(responses.DELETE, _any_meeting(""), callback=self.no_content)
        mock.add_callback(responses.POST, _any_meeting("/registrants"), callback=self.add)
        mock.add_callback(responses.POST, _any_meeting("/batch_registrants"), callback=self.batch)
        mock.add_callback(responses.GET, _any_meeting("/registrants"), callback=self.listing)

    def _checked(self, request):
        assert_matches_zoom_openapi(request)
        return json.loads(request.body) if request.body else {}

    def create(self, request):
        body = self._checked(request)
        self.creates.append(body)
        meeting_id = RECURRING_ID if body["type"] == 8 else next(self.ids)
        answer = {
            "id": meeting_id,
            "uuid": f"uuid-{meeting_id}==",
            "host_id": "KDcuGIm1QgePTO8WbOqwIQ",
            "topic": body["topic"],
            "type": body["type"],
            "start_time": body["start_time"],
            "duration": body["duration"],
            "timezone": body["timezone"],
            "join_url": f"https://us05web.zoom.us/j/{meeting_id}?pwd=Ab12Cd34",
            "password": "Ab12Cd34",
            "settings": body["settings"],
        }
        if body["type"] == 8:
            answer["recurrence"] = body["recurrence"]
            answer["occurrences"] = [
                {
                    "occurrence_id": str(int(class_session.starts_at.timestamp() * 1000)),
                    "start_time": zoom_time(class_session.starts_at),
                    "duration": body["duration"],
                    "status": "available",
                }
                # Zoom expands the recurrence in the meeting's zone as the classes were; the fake reads them back.
                for class_session in ClassSession.objects.filter(series__isnull=False).order_by("starts_at")
            ]
        return 201, {}, json.dumps(answer)

    def no_content(self, request):
        self._checked(request)
        return 204, {}, ""

    def add(self, request):
        body = self._checked(request)
        self.single_adds.append(request)
        registrant_id = "rg-" + body["email"].split("@")[0]
        meeting_id = urlparse(request.url).path.split("/")[3]
        return (
            201,
            {},
            json.dumps(
                {
                    "id": int(meeting_id),
                    "registrant_id": registrant_id,
                    "join_url": f"https://us05web.zoom.us/w/{meeting_id}?tk={registrant_id}",
                    "topic": "PMP",
                    "start_time": "2030-03-04T17:30:00Z",
                }
            ),
        )

    def batch(self, request):
        body = self._checked(request)
        self.batch_adds.append(request)
        meeting_id = urlparse(request.url).path.split("/")[3]
        return (
            201,
            {},
            json.dumps(
                {
                    "registrants": [
                        {
                            "email": person["email"],
                            "registrant_id": f"rg-{meeting_id}-{person['email']}",
                            "join_url": f"https://us05web.zoom.us/w/{meeting_id}?tk={person['email']}",
                        }
                        for person in body["registrants"]
                    ]
                }
            ),
        )

    def listing(self, request):
        assert_matches_zoom_openapi(request)
        return 200, {}, json.dumps({"page_size": 300, "total_records": 0, "next_page_token": "", "registrants": []})

    def calls(self, method, path_end=""):
        return [
            call
            for call in self.mock.calls
            if call.request.method == method and urlparse(call.request.url).path.endswith(path_end)
        ]


def _any_meeting(suffix):
    import re

    return re.compile(rf"{re.escape(API)}/meetings/\d+{re.escape(suffix)}(\?.*)?$")


@pytest.fixture
def fake_zoom(zoom):
    return FakeZoom(zoom)


def _monday_in(weeks):
    today = timezone.now().date()
    return today + timedelta(days=7 * weeks - today.weekday())


def _enrol_students(course, count):
    """Students enrolled in the course (through an in-person class) before its series is scheduled."""
    ClassSessionFactory(
        course=course, delivery_mode="in_person", capacity=100, starts_at=timezone.now() + timedelta(days=3)
    )
    for number in range(count):
        cohorts.enrolment_create(
            course=course, first_name=f"Student{number}", last_name="Test", email=f"s{number}@example.com", by="trainer"
        )


def _schedule(course, *, one_zoom_meeting, weeks=2):
    rule = RepeatRule(
        first_date=_monday_in(weeks),
        start_time=time(18, 30),
        zone_name="Europe/Berlin",
        frequency="weekly",
        weekdays=(0, 3),
        count=8,
    )
    return cohorts.class_series_create(
        course=course,
        title_pattern="Week {n}: Risk",
        rule=rule,
        duration_minutes=90,
        delivery_mode="virtual",
        capacity=50,
        one_zoom_meeting=one_zoom_meeting,
        options={"create_zoom_meeting": True},
    )


@pytest.mark.django_db
def test_a_series_is_one_recurring_meeting_and_40_students_one_registrant_and_one_email_each(
    course, connected, fake_zoom, django_capture_on_commit_callbacks, trainer_client
):
    _enrol_students(course, 40)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        series = _schedule(course, one_zoom_meeting=True)

    assert len(fake_zoom.creates) == 1
    body = fake_zoom.creates[0]
    assert body["type"] == 8 and body["timezone"] == "Europe/Berlin"
    assert body["recurrence"] == {"type": 2, "repeat_interval": 1, "weekly_days": "2,5", "end_times": 8}
    first = ClassSession.objects.filter(series=series).order_by("starts_at").first()
    assert first.local_starts_at.strftime("%Y-%m-%d %H:%M") == f"{_monday_in(2).isoformat()} 18:30"
    assert body["start_time"] == zoom_time(first.starts_at), "the first class's 18:30 in Berlin, in UTC"
    assert body["settings"]["registration_type"] == 1 and body["settings"]["approval_type"] == 0

    classes = list(ClassSession.objects.filter(series=series).order_by("starts_at"))
    rows = list(ZoomMeeting.objects.filter(class_session__in=classes).order_by("class_session__starts_at"))
    assert len(rows) == 8 and {row.zoom_meeting_id for row in rows} == {RECURRING_ID}
    assert all(row.status == MeetingStatus.READY for row in rows)
    assert [row.occurrence_id for row in rows] == [str(int(c.starts_at.timestamp() * 1000)) for c in classes]

    # Zoom allows no batch for a recurring meeting (code 303): one add per student, never one per class.
    assert len(fake_zoom.batch_adds) == 0
    assert len(fake_zoom.single_adds) == 40, "⌈40/30⌉ = 2 is impossible on type 8; 40 is one call per student"
    assert ZoomSeriesRegistrant.objects.count() == 40
    links = {row.join_url for row in ZoomRegistrant.objects.filter(registration__email="s7@example.com")}
    assert len(links) == 1 and ZoomRegistrant.objects.filter(registration__email="s7@example.com").count() == 8
    link_emails = [message for message in mail.outbox if message.subject.startswith("Your join link")]
    assert len(link_emails) == 40 and len({tuple(message.to) for message in link_emails}) == 40

    page = trainer_client.get(f"/courses/classes/{classes[4].pk}/").content.decode()
    assert "812 3456 7890" in page and "Ab12Cd34" in page and f"https://us05web.zoom.us/j/{RECURRING_ID}" in page
    assert "recurring" in page.lower()


@pytest.mark.django_db
def test_a_series_with_a_meeting_per_class_batches_its_students(
    course, connected, fake_zoom, django_capture_on_commit_callbacks
):
    _enrol_students(course, 40)
    with django_capture_on_commit_callbacks(execute=True):
        _schedule(course, one_zoom_meeting=False)

    assert len(fake_zoom.creates) == 8 and {body["type"] for body in fake_zoom.creates} == {2}
    assert len(fake_zoom.batch_adds) <= 8 * math.ceil(40 / 30) and len(fake_zoom.batch_adds) == 16
    assert len(fake_zoom.single_adds) == 0
    assert ZoomRegistrant.objects.filter(status="synced").count() == 320


@pytest.mark.django_db
def test_a_student_enrolling_later_is_added_once_and_emailed_once(
    course, connected, fake_zoom, django_capture_on_commit_callbacks
):
    _enrol_students(course, 0)
    with django_capture_on_commit_callbacks(execute=True):
        _schedule(course, one_zoom_meeting=True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cohorts.enrolment_create(course=course, first_name="Ada", last_name="L", email="ada@example.com", by="trainer")
    assert len(fake_zoom.single_adds) == 1
    assert [message.subject.startswith("Your join link") for message in mail.outbox].count(True) == 1
    assert len({row.join_url for row in ZoomRegistrant.objects.filter(registration__email="ada@example.com")}) == 1


@pytest.mark.django_db
def test_moving_one_class_patches_its_occurrence_and_cancelling_one_deletes_only_it(
    course, connected, fake_zoom, django_capture_on_commit_callbacks
):
    _enrol_students(course, 0)
    with django_capture_on_commit_callbacks(execute=True):
        series = _schedule(course, one_zoom_meeting=True)
    classes = list(ClassSession.objects.filter(series=series).order_by("starts_at"))
    fifth = ZoomMeeting.objects.get(class_session=classes[4])
    moved_to = classes[4].starts_at + timedelta(hours=1)

    with django_capture_on_commit_callbacks(execute=True):
        course_services.class_session_update(class_session=classes[4], starts_at=moved_to, duration_minutes=120)
    (patch,) = fake_zoom.calls("PATCH")
    assert parse_qs(urlparse(patch.request.url).query) == {"occurrence_id": [fifth.occurrence_id]}
    assert json.loads(patch.request.body) == {
        "start_time": zoom_time(moved_to),
        "duration": 120,
    }

    third = ZoomMeeting.objects.get(class_session=classes[2])
    with django_capture_on_commit_callbacks(execute=True):
        course_services.class_session_cancel(class_session=classes[2], options={"delete_zoom_meeting": True})
    (delete,) = fake_zoom.calls("DELETE")
    assert urlparse(delete.request.url).path.endswith(f"/meetings/{RECURRING_ID}")
    assert parse_qs(urlparse(delete.request.url).query) == {"occurrence_id": [third.occurrence_id]}
    assert ZoomMeeting.objects.filter(status=MeetingStatus.READY).count() == 7


@pytest.mark.django_db
def test_a_class_added_to_the_series_later_gets_its_own_meeting_said_on_its_panel(
    course, connected, fake_zoom, django_capture_on_commit_callbacks, trainer_client
):
    _enrol_students(course, 0)
    with django_capture_on_commit_callbacks(execute=True):
        series = _schedule(course, one_zoom_meeting=True)
    last = ClassSession.objects.filter(series=series).order_by("-starts_at").first()
    extra = ClassSessionFactory(
        course=course, series=series, series_number=9, starts_at=last.starts_at + timedelta(days=7), timezone="UTC"
    )
    with django_capture_on_commit_callbacks(execute=True):
        course_services._run_class_hooks(extra, "created", options={"create_zoom_meeting": True})
    assert [body["type"] for body in fake_zoom.creates] == [8, 2]
    meeting = ZoomMeeting.objects.get(class_session=extra)
    assert meeting.is_ready and not meeting.is_occurrence and meeting.zoom_meeting_id != RECURRING_ID
    page = trainer_client.get(f"/courses/classes/{extra.pk}/").content.decode()
    assert "its own Zoom meeting" in page


# Instances: each occurrence's run is attached to its class --------------------------------------


@pytest.fixture
def series_on_zoom(course, connected, fake_zoom, django_capture_on_commit_callbacks):
    _enrol_students(course, 1)
    with django_capture_on_commit_callbacks(execute=True):
        series = _schedule(course, one_zoom_meeting=True)
    classes = list(ClassSession.objects.filter(series=series).order_by("starts_at"))
    return {"classes": classes, "zoom": ZoomEvents(connection=connected, zoom_meeting_id=RECURRING_ID)}


def _joined(events, *, uuid, start, at, user_id="16778240"):
    body = events.joined(
        uuid=uuid, user_id=user_id, name="Student0 Test", at=at, email="s0@example.com", registrant_id="rg-s0"
    )
    body["payload"]["object"].update(type=8, start_time=zoom_time(start))
    return body


@pytest.mark.django_db
def test_a_series_student_joining_class_3_is_marked_on_class_3_only_and_a_restart_counts_there(series_on_zoom, deliver):
    from attendance.models import PresenceSignal

    classes, events = series_on_zoom["classes"], series_on_zoom["zoom"]
    third = classes[2]
    early = third.starts_at - timedelta(minutes=20)
    deliver(events.started(uuid="run-3a==", start=early), _joined(events, uuid="run-3a==", start=early, at=early))
    restart = third.starts_at + timedelta(minutes=40)
    deliver(
        events.started(uuid="run-3b==", start=restart),
        _joined(events, uuid="run-3b==", start=restart, at=restart, user_id="16778300"),
    )
    signals = PresenceSignal.objects.filter(kind="join")
    assert signals.count() == 2
    assert {signal.class_session_id for signal in signals} == {third.pk}
    assert {signal.registration.class_session_id for signal in signals} == {third.pk}
    assert not PresenceSignal.objects.exclude(class_session=third).exists()


@pytest.mark.django_db
def test_an_instance_outside_every_class_window_is_ignored(series_on_zoom, deliver):
    classes, events = series_on_zoom["classes"], series_on_zoom["zoom"]
    stray = classes[0].starts_at + timedelta(days=1)
    event = deliver(events.started(uuid="stray==", start=stray))
    assert event.state == "ignored"


# Zoom's daily limit ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_120_creates_on_one_host_make_100_today_and_20_after_midnight_utc_with_no_429(
    organization, connected, fake_zoom, django_capture_on_commit_callbacks, trainer_client, monkeypatch
):
    from zoom_integration import jobs

    start = timezone.now() + timedelta(days=20)
    classes = [
        ClassSessionFactory(course__organization=organization, starts_at=start + timedelta(hours=index))
        for index in range(120)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for class_session in classes:
            jobs.meeting_request(class_session=class_session)

    assert len(fake_zoom.creates) == 100 and fake_zoom.answered_429 == 0
    waiting = ZoomMeeting.objects.filter(status=MeetingStatus.CREATING, create_after__isnull=False)
    tomorrow = datetime.combine(timezone.now().astimezone(UTC).date() + timedelta(days=1), time(), tzinfo=UTC)
    assert waiting.count() == 20 and {row.create_after for row in waiting} == {tomorrow}
    assert ZoomHostDailyWrites.objects.get().used == 100
    page = trainer_client.get(f"/courses/classes/{waiting.first().class_session_id}/").content.decode()
    assert "Zoom meeting will be created after 00:00 UTC (Zoom's daily limit)" in page

    type(connected).objects.filter(pk=connected.pk).update(expires_at=tomorrow + timedelta(hours=1))
    monkeypatch.setattr(timezone, "now", lambda: tomorrow + timedelta(minutes=1))
    assert series_services.meetings_create_due() == 20
    assert len(fake_zoom.creates) == 120 and not waiting.all().exists()


@pytest.mark.django_db
def test_a_recurring_series_waits_whole_when_the_day_is_full(
    course, connected, fake_zoom, django_capture_on_commit_callbacks
):
    day = timezone.now().astimezone(UTC).date()
    ZoomHostDailyWrites.objects.create(zoom_user_id=connected.zoom_user_id, day=day, used=100)
    _enrol_students(course, 0)
    with django_capture_on_commit_callbacks(execute=True):
        _schedule(course, one_zoom_meeting=True)
    assert fake_zoom.creates == []
    assert ZoomSeriesMeeting.objects.get().create_after == datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    assert ZoomMeeting.objects.filter(create_after__isnull=False).count() == 8


def test_weekdays_in_zoom_numbering():
    assert [series_services.zoom_weekday(day) for day in range(7)] == [2, 3, 4, 5, 6, 7, 1]
    assert date(2030, 1, 6).weekday() == 6  # a Sunday is Zoom's 1


@pytest.mark.django_db
def test_refreshing_a_series_class_asks_zoom_for_its_own_runs_only(series_on_zoom, deliver, zoom):
    from zoom_integration.content import recordings, summaries
    from zoom_integration.exceptions import ZoomNotFound
    from zoom_integration.models import ZoomMeeting

    from .test_summaries import summary_document

    classes, events = series_on_zoom["classes"], series_on_zoom["zoom"]
    second, third = classes[1], classes[2]
    deliver(events.started(uuid="run-2==", start=second.starts_at))
    deliver(events.started(uuid="run-3==", start=third.starts_at))
    row = ZoomMeeting.objects.get(class_session=third)
    zoom.add(
        responses.GET,
        f"{API}/meetings/run-3%3D%3D/meeting_summary",
        json=summary_document(meeting_uuid="run-3==", meeting_id=RECURRING_ID),
    )
    zoom.add(
        responses.GET,
        f"{API}/meetings/run-3%3D%3D/recordings",
        status=404,
        json={"code": 3301, "message": "There is no recording for this meeting."},
    )
    calls_before = len(zoom.calls)

    held = summaries.summaries_refresh(meeting=row)
    with pytest.raises(ZoomNotFound):
        recordings.recordings_refresh(meeting=row)

    asked = [call.request.path_url for call in zoom.calls[calls_before:]]
    assert asked == ["/v2/meetings/run-3%3D%3D/meeting_summary", "/v2/meetings/run-3%3D%3D/recordings"]
    assert [summary.meeting_uuid for summary in held] == ["run-3=="]
    for call in zoom.calls[calls_before:]:
        assert_matches_zoom_openapi(call.request)
    # A class of the series that has not run yet has nothing to ask for.
    with pytest.raises(ZoomNotFound):
        summaries.summaries_refresh(meeting=ZoomMeeting.objects.get(class_session=classes[5]))
