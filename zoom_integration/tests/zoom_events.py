"""A class with a Zoom meeting, and Zoom's meeting and participant webhooks for it.

Payloads start from the sample files in fixtures/ (a real participant_joined /
participant_left capture, Zoom's published meeting.started / meeting.ended)
and change only ids, names and times; they go through the signed endpoint.
"""

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

from attendance.selectors import attendance_for_class
from courses.models import ClassSession
from tests.factories import ClassSessionFactory, RegistrationFactory
from zoom_integration.models import WebhookEvent, ZoomMeeting, ZoomRegistrant

from .conftest import fixture_json, signed_headers
from .factories import ZoomConnectionFactory

STARTS_AT = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
ZOOM_MEETING_ID = 84512345678
RUN_1 = "hwkAADUySwyG3GyUkqc0vA=="
RUN_2 = "G2GEjS7mTkeswCueV4bKzw=="


def at(hour, minute, second=0):
    """A moment of the class's day, in UTC."""
    return STARTS_AT.replace(hour=hour, minute=minute, second=second)


def zoom_time(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ms(moment):
    return int(moment.timestamp() * 1000)


class ZoomEvents:
    """Builds webhook bodies about one meeting (or webinar) of one connected Zoom user.

    A webinar's events are its meeting's, named webinar.* with the webinar's type (5): the same shape.
    """

    def __init__(self, *, connection, zoom_meeting_id, kind="meeting"):
        self.connection = connection
        self.zoom_meeting_id = zoom_meeting_id
        self.kind = kind

    def _envelope(self, sample, event_ts):
        body = copy.deepcopy(fixture_json(sample))
        if self.kind == "webinar":
            body["event"] = body["event"].replace("meeting.", "webinar.", 1)
        body["payload"]["account_id"] = self.connection.zoom_account_id
        body["payload"].pop("operator", None)
        body["payload"].pop("operator_id", None)
        zoom_object = body["payload"]["object"]
        zoom_object["id"] = str(self.zoom_meeting_id)
        zoom_object["host_id"] = self.connection.zoom_user_id
        zoom_object["topic"] = "PMP Exam Prep: Week 3"
        zoom_object["type"] = 5 if self.kind == "webinar" else 2
        zoom_object["duration"] = 90
        zoom_object["timezone"] = "Europe/Berlin"
        if event_ts is not None:
            body["event_ts"] = epoch_ms(event_ts)
        return body

    def started(self, *, uuid, start):
        body = self._envelope("meeting.started.json", start + timedelta(seconds=1))
        body["payload"]["object"].update(uuid=uuid, start_time=zoom_time(start))
        return body

    def ended(self, *, uuid, start, end):
        body = self._envelope("meeting.ended.json", end + timedelta(seconds=1))
        body["payload"]["object"].update(uuid=uuid, start_time=zoom_time(start), end_time=zoom_time(end))
        return body

    def joined(self, *, uuid, user_id, name, at, email="", registrant_id=None, zoom_user_id=""):
        return self._participant(
            "meeting.participant_joined.real-kancl.json",
            uuid=uuid,
            participant={
                "user_id": str(user_id),
                "user_name": name,
                "registrant_id": registrant_id,
                "participant_user_id": zoom_user_id,
                "id": zoom_user_id,
                "join_time": zoom_time(at),
                "email": email,
            },
            event_ts=at + timedelta(seconds=2),
        )

    def left(self, *, uuid, user_id, name, at, email="", registrant_id=None, zoom_user_id=""):
        return self._participant(
            "meeting.participant_left.real-kancl.json",
            uuid=uuid,
            participant={
                "leave_time": zoom_time(at),
                "user_id": str(user_id),
                "user_name": name,
                "registrant_id": registrant_id or "",
                "participant_user_id": zoom_user_id,
                "id": zoom_user_id,
                "leave_reason": "left the meeting. Reason : left the meeting.",
                "email": email,
            },
            event_ts=at + timedelta(seconds=2),
        )

    def _participant(self, sample, *, uuid, participant, event_ts):
        body = self._envelope(sample, event_ts)
        body["payload"]["object"]["uuid"] = uuid
        body["payload"]["object"]["start_time"] = zoom_time(STARTS_AT)
        body["payload"]["object"]["participant"] = participant
        return body


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """POST events, signed, to the webhook endpoint, and run what they queue (tasks are eager in tests).

    Returns the stored event of the last one.
    """

    def post(*bodies):
        for body in bodies:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(
                    "/zoom/webhook/", data=raw, content_type="application/json", headers=signed_headers(raw)
                )
            assert response.status_code == 200, response.content
        return WebhookEvent.objects.order_by("-pk").first()

    return post


def class_with_meeting(
    *, organization, connection=None, scopes=None, zoom_meeting_id=ZOOM_MEETING_ID, kind="meeting", **class_values
):
    """A connected organization's 90-minute class on STARTS_AT with its ready Zoom meeting (or webinar)."""
    if connection is None:
        connection = ZoomConnectionFactory(organization=organization, **({"scopes": scopes} if scopes else {}))
    class_session = ClassSessionFactory(
        course__organization=organization, starts_at=STARTS_AT, duration_minutes=90, timezone="UTC", **class_values
    )
    meeting = ZoomMeeting.objects.create(
        organization=organization,
        class_session=class_session,
        status="ready",
        zoom_meeting_id=zoom_meeting_id,
        zoom_uuid=RUN_1,
        kind=kind,
        meeting_type=5 if kind == "webinar" else 2,
        host_id=connection.zoom_user_id,
        topic="PMP Exam Prep: Week 3",
        start_time=STARTS_AT,
        duration=90,
        timezone="UTC",
    )
    return connection, class_session, meeting


def pre_registered(meeting, *, registrant_id, **registration_values):
    """A confirmed registration Zoom knows as a registrant of the meeting."""
    registration = RegistrationFactory(class_session=meeting.class_session, **registration_values)
    ZoomRegistrant.objects.create(
        organization=meeting.organization,
        meeting=meeting,
        registration=registration,
        status="synced",
        registrant_id=registrant_id,
        join_url=f"https://us06web.zoom.us/w/{meeting.zoom_meeting_id}?tk={registrant_id}",
    )
    return registration


def report(class_session):
    """attendance_for_class of a freshly loaded class, rows keyed by email."""
    class_session = ClassSession.objects.select_related("course", "organization").get(pk=class_session.pk)
    attendance = attendance_for_class(class_session=class_session)
    return attendance, {row.registration.email: row for row in attendance.rows}


@pytest.fixture
def zoom_class(organization, meeting_kind):
    """The class, its meeting, Ada (pre-registered) and Grace (registered, no Zoom registrant)."""
    connection, class_session, meeting = class_with_meeting(organization=organization, kind=meeting_kind)
    ada = pre_registered(
        meeting, registrant_id="kLmN0pQrStUvWx-Ada", first_name="Ada", last_name="Lovelace", email="ada@example.com"
    )
    grace = RegistrationFactory(
        class_session=class_session, first_name="Grace", last_name="Hopper", email="Grace.Hopper@Example.com"
    )
    return {
        "connection": connection,
        "class_session": class_session,
        "meeting": meeting,
        "ada": ada,
        "grace": grace,
        "zoom": ZoomEvents(connection=connection, zoom_meeting_id=meeting.zoom_meeting_id, kind=meeting_kind),
    }
