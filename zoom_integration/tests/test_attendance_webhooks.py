"""Zoom's participant and meeting webhooks, through the signed endpoint, into the class's attendance."""

import copy
import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from kombu.exceptions import OperationalError

from attendance import services as attendance_services
from attendance.models import Participant, PresenceSignal
from attendance.selectors import MeetingRun
from zoom_integration.attendance_bridge.sync import attendance_reconcile
from zoom_integration.models import WebhookEvent

from .conftest import ALL_SCOPES, API, WEBINAR_SCOPES, calls_to, fixture_json
from .factories import ZoomConnectionFactory
from .zoom_events import (  # noqa: F401  (fixtures)
    RUN_1,
    RUN_2,
    ZoomEvents,
    at,
    class_with_meeting,
    deliver,
    pre_registered,
    report,
    zoom_class,
)

ADA_REGISTRANT = "kLmN0pQrStUvWx-Ada"


@pytest.fixture(params=["meeting", "webinar"])
def meeting_kind(request):
    """Every scenario here runs for a class's Zoom meeting and for its Zoom webinar (webinar.* events)."""
    return request.param


def past_path(kind):
    """Zoom's past-instance endpoints of that kind."""
    return "past_webinars" if kind == "webinar" else "past_meetings"


def ada_joins(zoom, moment, *, user_id=16778240, uuid=RUN_1):
    return zoom.joined(
        uuid=uuid,
        user_id=user_id,
        name="Ada Lovelace",
        at=moment,
        email="ada@example.com",
        registrant_id=ADA_REGISTRANT,
    )


def ada_leaves(zoom, moment, *, user_id=16778240, uuid=RUN_1):
    return zoom.left(
        uuid=uuid,
        user_id=user_id,
        name="Ada Lovelace",
        at=moment,
        email="ada@example.com",
        registrant_id=ADA_REGISTRANT,
    )


def test_join_and_leave_give_the_first_join_last_leave_and_minutes(zoom_class, deliver):
    zoom = zoom_class["zoom"]

    deliver(zoom.started(uuid=RUN_1, start=at(17, 0)), ada_joins(zoom, at(17, 2)), ada_leaves(zoom, at(18, 20)))

    attendance, rows = report(zoom_class["class_session"])
    ada = rows["ada@example.com"]
    assert (ada.joined, ada.first_joined_at, ada.last_left_at, ada.in_meeting) == (True, at(17, 2), at(18, 20), False)
    assert (ada.minutes, ada.share_percent, ada.attended, ada.reconciled) == (78, 86, True, False)
    grace = rows["Grace.Hopper@Example.com"]
    assert (grace.joined, grace.first_joined_at, grace.last_left_at, grace.minutes) == (False, None, None, 0)
    assert attendance.unmatched == []
    participant = Participant.objects.get()
    assert (participant.registration, participant.match_method) == (zoom_class["ada"], "source")
    assert (participant.session_key, participant.participant_key) == (RUN_1, "16778240")
    assert set(WebhookEvent.objects.values_list("state", flat=True)) == {"processed"}


def test_a_redelivered_event_counts_once(zoom_class, deliver):
    zoom = zoom_class["zoom"]
    join = ada_joins(zoom, at(17, 2))
    retried_later = copy.deepcopy(join)
    retried_later["event_ts"] += 5 * 60 * 1000  # Zoom's retry 5 minutes later: another body, the same join

    deliver(join, join, retried_later, ada_leaves(zoom, at(18, 20)), ada_leaves(zoom, at(18, 20)))

    assert WebhookEvent.objects.count() == 3
    assert PresenceSignal.objects.filter(kind="join").count() == 1
    assert PresenceSignal.objects.filter(kind="leave").count() == 1
    ada = report(zoom_class["class_session"])[1]["ada@example.com"]
    assert (ada.first_joined_at, ada.last_left_at, ada.minutes) == (at(17, 2), at(18, 20), 78)


def test_a_leave_that_arrives_before_its_join(zoom_class, deliver):
    zoom = zoom_class["zoom"]

    deliver(ada_leaves(zoom, at(18, 20)))
    ada = report(zoom_class["class_session"])[1]["ada@example.com"]
    assert (ada.joined, ada.minutes) == (False, 0)

    deliver(ada_joins(zoom, at(17, 2)))
    ada = report(zoom_class["class_session"])[1]["ada@example.com"]
    assert (ada.joined, ada.first_joined_at, ada.last_left_at, ada.minutes) == (True, at(17, 2), at(18, 20), 78)


def test_a_rejoin_counts_both_visits_and_not_the_gap(zoom_class, deliver):
    zoom = zoom_class["zoom"]

    deliver(
        ada_joins(zoom, at(17, 0), user_id=16778240),
        ada_leaves(zoom, at(17, 30), user_id=16778240),
        ada_joins(zoom, at(17, 40), user_id=16780288),  # Zoom gives a rejoin a new user_id
        ada_leaves(zoom, at(18, 30), user_id=16780288),
    )

    ada = report(zoom_class["class_session"])[1]["ada@example.com"]
    assert (ada.first_joined_at, ada.last_left_at, ada.minutes, ada.share_percent) == (at(17, 0), at(18, 30), 80, 88)
    assert Participant.objects.filter(registration=zoom_class["ada"]).count() == 2


def test_two_devices_at_once_count_once(zoom_class, deliver):
    zoom = zoom_class["zoom"]

    deliver(
        ada_joins(zoom, at(17, 0), user_id=16778240),  # laptop
        ada_joins(zoom, at(17, 30), user_id=16781312),  # phone, while the laptop is in
        ada_leaves(zoom, at(18, 0), user_id=16778240),
        ada_leaves(zoom, at(18, 30), user_id=16781312),
    )

    ada = report(zoom_class["class_session"])[1]["ada@example.com"]
    assert (ada.first_joined_at, ada.last_left_at, ada.minutes, ada.share_percent) == (at(17, 0), at(18, 30), 90, 100)


def test_the_meeting_end_closes_the_presence_of_who_is_still_in(zoom_class, deliver, caplog):
    zoom = zoom_class["zoom"]
    caplog.set_level(logging.INFO, logger="zoom_integration.handlers.attendance")

    deliver(zoom.started(uuid=RUN_1, start=at(17, 0)), ada_joins(zoom, at(17, 5)))
    ada = report(zoom_class["class_session"])[1]["ada@example.com"]
    assert (ada.joined, ada.in_meeting, ada.last_left_at) == (True, True, None)

    deliver(zoom.ended(uuid=RUN_1, start=at(17, 0), end=at(18, 25)))

    attendance, rows = report(zoom_class["class_session"])
    ada = rows["ada@example.com"]
    assert (ada.in_meeting, ada.first_joined_at, ada.last_left_at, ada.minutes) == (False, at(17, 5), at(18, 25), 80)
    assert attendance.runs == [MeetingRun(started_at=at(17, 0), ended_at=at(18, 25))]
    # The connection was granted no attendance scopes: no participant report is asked for.
    assert "reconciliation not queued meeting=84512345678: the connection lacks scopes" in caplog.text


def test_a_restarted_meeting_is_a_new_run_of_the_same_class(zoom_class, deliver):
    zoom = zoom_class["zoom"]

    deliver(
        zoom.started(uuid=RUN_1, start=at(17, 0)),
        ada_joins(zoom, at(17, 0), uuid=RUN_1),
        zoom.ended(uuid=RUN_1, start=at(17, 0), end=at(17, 20)),
        # Same meeting id, a new instance uuid; Zoom numbers participants afresh, so user_id repeats.
        zoom.started(uuid=RUN_2, start=at(17, 30)),
        ada_joins(zoom, at(17, 31), uuid=RUN_2),
        ada_leaves(zoom, at(18, 29), uuid=RUN_2),
        zoom.ended(uuid=RUN_2, start=at(17, 30), end=at(18, 30)),
    )

    attendance, rows = report(zoom_class["class_session"])
    ada = rows["ada@example.com"]
    assert (ada.first_joined_at, ada.last_left_at, ada.minutes) == (at(17, 0), at(18, 29), 20 + 58)
    assert attendance.runs == [
        MeetingRun(started_at=at(17, 0), ended_at=at(17, 20)),
        MeetingRun(started_at=at(17, 30), ended_at=at(18, 30)),
    ]
    assert Participant.objects.filter(registration=zoom_class["ada"]).count() == 2


def test_an_event_for_an_unknown_meeting_is_stored_ignored_and_answered(zoom_class, deliver):
    other_meeting = ZoomEvents(connection=zoom_class["connection"], zoom_meeting_id=89999999999)

    event = deliver(other_meeting.joined(uuid=RUN_1, user_id=1, name="Someone", at=at(17, 0)))

    assert (event.state, event.error) == ("ignored", "The meeting is not one of this organization's classes.")
    assert not PresenceSignal.objects.exists()


def test_a_participant_is_matched_by_email_alone_ignoring_case(zoom_class, deliver):
    zoom = zoom_class["zoom"]

    deliver(
        zoom.joined(uuid=RUN_1, user_id=16782336, name="G. Hopper", at=at(17, 3), email="grace.hopper@EXAMPLE.com"),
        zoom.left(uuid=RUN_1, user_id=16782336, name="G. Hopper", at=at(18, 3), email="grace.hopper@EXAMPLE.com"),
    )

    attendance, rows = report(zoom_class["class_session"])
    grace = rows["Grace.Hopper@Example.com"]
    assert (grace.joined, grace.first_joined_at, grace.last_left_at, grace.minutes) == (True, at(17, 3), at(18, 3), 60)
    assert Participant.objects.get().match_method == "email"
    assert attendance.unmatched == []


def test_a_guest_is_kept_as_an_unmatched_participant(zoom_class, deliver):
    zoom = zoom_class["zoom"]

    deliver(
        zoom.joined(uuid=RUN_1, user_id=16783360, name="Juan's iPad", at=at(17, 10)),
        zoom.left(uuid=RUN_1, user_id=16783360, name="Juan's iPad", at=at(17, 50)),
        # A registrant id Zoom knows but we do not, and an email nobody registered with.
        zoom.joined(
            uuid=RUN_1, user_id=16784384, name="Pat", at=at(17, 15), email="pat@elsewhere.example", registrant_id="zzz"
        ),
    )

    attendance, rows = report(zoom_class["class_session"])
    assert not any(row.joined for row in rows.values())
    guest, pat = attendance.unmatched
    assert (guest.display_name, guest.email, guest.first_joined_at, guest.last_left_at) == (
        "Juan's iPad",
        "",
        at(17, 10),
        at(17, 50),
    )
    assert guest.minutes_present == 40
    assert (pat.display_name, pat.email, pat.first_joined_at, pat.open_since) == (
        "Pat",
        "pat@elsewhere.example",
        at(17, 15),
        at(17, 15),
    )


@pytest.mark.parametrize(
    ("joined_sample", "left_sample", "expected"),
    [
        (
            "meeting.participant_joined.real-kancl.json",
            "meeting.participant_left.real-kancl.json",
            ("16778240", "REDACTED NAME", "redacted@example.com", datetime(2022, 3, 23, 12, 33, 26, tzinfo=UTC), 13),
        ),
        (
            "meeting.participant_joined.real-attendify.json",
            "meeting.participant_left.real-attendify.json",
            ("16780288", "Codivate", "", datetime(2020, 10, 17, 21, 23, 41, tzinfo=UTC), 6),
        ),
    ],
)
def test_real_zoom_deliveries_are_read_as_captured(zoom_class, deliver, joined_sample, left_sample, expected):
    bodies = []
    for sample in (joined_sample, left_sample):
        body = fixture_json(sample)
        body["payload"]["account_id"] = zoom_class["connection"].zoom_account_id
        body["payload"]["object"].update(
            id=str(zoom_class["meeting"].zoom_meeting_id), host_id=zoom_class["connection"].zoom_user_id
        )
        bodies.append(body)

    deliver(*bodies)

    participant = Participant.objects.get()
    user_id, name, email, joined_at, seconds = expected
    assert (participant.participant_key, participant.display_name, participant.email) == (user_id, name, email)
    assert (participant.first_joined_at, participant.seconds_present) == (joined_at, seconds)


def test_zoom_published_join_example_without_join_time_falls_back_to_the_event_time(zoom_class, deliver):
    body = fixture_json("meeting.participant_joined.json")  # has "date_time" where the schema says "join_time"
    body["payload"]["account_id"] = zoom_class["connection"].zoom_account_id
    body["payload"]["object"].update(
        id=str(zoom_class["meeting"].zoom_meeting_id), host_id=zoom_class["connection"].zoom_user_id
    )

    deliver(body)

    signal = PresenceSignal.objects.get()
    assert signal.occurred_at == datetime(2021, 7, 14, 2, 44, 51, 572000, tzinfo=UTC)  # event_ts 1626230691572
    assert (signal.participant_key, signal.session_key) == ("1234567890", "4444AAAiAAAAAiAiAiiAii==")


def test_one_event_costs_the_same_queries_in_a_class_of_5_or_of_300(organization, deliver):
    connection = ZoomConnectionFactory(organization=organization)
    counts = []
    for size, zoom_meeting_id in ((5, 81111111111), (300, 82222222222)):
        connection, class_session, meeting = class_with_meeting(
            organization=organization, connection=connection, zoom_meeting_id=zoom_meeting_id
        )
        student = pre_registered(meeting, registrant_id=f"reg-{zoom_meeting_id}", email=f"s{zoom_meeting_id}@e.com")
        for number in range(size):
            attendance_services.presence_signal_record(
                class_session=class_session,
                source="zoom",
                external_id=f"seed:{zoom_meeting_id}:{number}",
                session_key=RUN_1,
                kind="join",
                occurred_at=at(17, 0),
                participant_key=str(number),
                email=f"guest{number}@example.com",
            )
        zoom = ZoomEvents(connection=connection, zoom_meeting_id=zoom_meeting_id)
        join = zoom.joined(
            uuid=RUN_1, user_id=16799999, name="Student", at=at(17, 1), registrant_id=f"reg-{zoom_meeting_id}"
        )
        # Each delivery records the connection's last webhook (written at most once a minute).
        type(connection).objects.filter(pk=connection.pk).update(last_webhook_at=None)
        with CaptureQueriesContext(db_connection) as queries:
            event = deliver(join)
        assert (event.state, event.error) == ("processed", "")
        counts.append(len(queries))
        assert report(class_session)[1][student.email].first_joined_at == at(17, 1)

    assert counts[0] == counts[1]


# Reconciliation after the meeting ----------------------------------------------------

DOUBLE_SLASH_UUID = "/Kz9pQ//rT0aBcDeFgHiJw=="
ENCODED_UUID = "%252FKz9pQ%252F%252FrT0aBcDeFgHiJw%253D%253D"
REPORT_PATH = f"{ENCODED_UUID}/participants"


def report_row(*, user_id, name, email, joined, left, registrant_id=None, status="in_meeting"):
    row = {
        "id": "",
        "name": name,
        "user_id": str(user_id),
        "user_email": email,
        "join_time": joined.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "leave_time": left.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": int((left - joined).total_seconds()),
        "failover": False,
        "status": status,
        "internal_user": False,
    }
    if registrant_id:
        row["registrant_id"] = registrant_id
    return row


@pytest.fixture
def reconciling_class(organization, meeting_kind):
    scopes = ALL_SCOPES.split() + WEBINAR_SCOPES.split()
    connection, class_session, meeting = class_with_meeting(organization=organization, scopes=scopes, kind=meeting_kind)
    pre_registered(
        meeting, registrant_id=ADA_REGISTRANT, first_name="Ada", last_name="Lovelace", email="ada@example.com"
    )
    grace = pre_registered(
        meeting, registrant_id="gRaCe-Registrant", first_name="Grace", last_name="Hopper", email="grace@example.com"
    )
    return {
        "class_session": class_session,
        "meeting": meeting,
        "grace": grace,
        "zoom": ZoomEvents(connection=connection, zoom_meeting_id=meeting.zoom_meeting_id, kind=meeting_kind),
        "report_url": f"{API}/{past_path(meeting_kind)}/{REPORT_PATH}",
        "past_path": past_path(meeting_kind),
    }


def test_after_the_meeting_zoom_participant_report_fills_in_what_webhooks_missed(reconciling_class, deliver, zoom):
    events = reconciling_class["zoom"]
    zoom.get(
        reconciling_class["report_url"],
        json={
            "page_count": 2,
            "page_size": 300,
            "total_records": 3,
            "next_page_token": "Tva2CuIdTgsv8wAnhyAdU3m06Y2HuLQtlh3",
            "participants": [
                report_row(
                    user_id=16778240,
                    name="Ada Lovelace",
                    email="ada@example.com",
                    joined=at(17, 2),
                    left=at(18, 10),
                    registrant_id=ADA_REGISTRANT,
                ),
                report_row(
                    user_id=16785408,
                    name="Late Larry",
                    email="larry@example.com",
                    joined=at(17, 20),
                    left=at(17, 25),
                    status="in_waiting_room",
                ),
            ],
        },
    )
    zoom.get(
        reconciling_class["report_url"],
        json={
            "page_count": 2,
            "page_size": 300,
            "total_records": 3,
            "next_page_token": "",
            "participants": [
                report_row(
                    user_id=16786432,
                    name="Grace Hopper",
                    email="grace@example.com",
                    joined=at(17, 10),
                    left=at(18, 0),
                    registrant_id="gRaCe-Registrant",
                ),
            ],
        },
    )

    deliver(
        events.started(uuid=DOUBLE_SLASH_UUID, start=at(17, 0)),
        ada_joins(events, at(17, 2), uuid=DOUBLE_SLASH_UUID),
        # Ada's leave and everything about Grace never arrived.
        events.ended(uuid=DOUBLE_SLASH_UUID, start=at(17, 0), end=at(18, 30)),
    )

    calls = calls_to(zoom, reconciling_class["report_url"])
    assert [call.request.path_url for call in calls] == [
        f"/v2/{reconciling_class['past_path']}/{ENCODED_UUID}/participants?page_size=300",
        f"/v2/{reconciling_class['past_path']}/{ENCODED_UUID}/participants?page_size=300"
        "&next_page_token=Tva2CuIdTgsv8wAnhyAdU3m06Y2HuLQtlh3",
    ]
    attendance, rows = report(reconciling_class["class_session"])
    ada, grace = rows["ada@example.com"], rows["grace@example.com"]
    assert (ada.first_joined_at, ada.last_left_at, ada.minutes, ada.reconciled) == (at(17, 2), at(18, 10), 68, False)
    assert (grace.joined, grace.first_joined_at, grace.last_left_at, grace.minutes) == (True, at(17, 10), at(18, 0), 50)
    assert grace.reconciled is True
    assert attendance.unmatched == []  # the waiting room is not the class
    reconciled = PresenceSignal.objects.filter(reconciled=True)
    assert sorted(reconciled.values_list("participant_key", "kind")) == [
        ("16778240", "leave"),
        ("16786432", "join"),
        ("16786432", "leave"),
    ]

    assert attendance_reconcile(meeting_pk=reconciling_class["meeting"].pk, zoom_uuid=DOUBLE_SLASH_UUID) == 0
    assert PresenceSignal.objects.filter(reconciled=True).count() == 3
    assert report(reconciling_class["class_session"])[1]["grace@example.com"].minutes == 50


def test_reconciliation_asks_zoom_nothing_without_the_attendance_scopes(zoom_class, deliver, zoom, caplog):
    caplog.set_level(logging.INFO, logger="zoom_integration")
    events = zoom_class["zoom"]

    deliver(events.ended(uuid=RUN_1, start=at(17, 0), end=at(18, 30)))

    assert len(zoom.calls) == 0
    assert attendance_reconcile(meeting_pk=zoom_class["meeting"].pk, zoom_uuid=RUN_1) == 0
    assert len(zoom.calls) == 0
    assert "reconciliation skipped" in caplog.text


def test_reconciliation_of_a_meeting_zoom_no_longer_has_records_nothing(reconciling_class, zoom, caplog):
    caplog.set_level(logging.INFO, logger="zoom_integration")
    zoom.get(
        f"{API}/{reconciling_class['past_path']}/{RUN_1.replace('=', '%3D')}/participants",
        status=404,
        json={"code": 3001, "message": "Meeting does not exist: hwkAADUySwyG3GyUkqc0vA==."},
    )

    assert attendance_reconcile(meeting_pk=reconciling_class["meeting"].pk, zoom_uuid=RUN_1) == 0

    assert not PresenceSignal.objects.exists()
    assert "reconciliation skipped" in caplog.text and "ZoomNotFound" in caplog.text


def test_a_meeting_end_queues_reconciliation_once_the_event_is_committed(reconciling_class, deliver, zoom, monkeypatch):
    queued = []
    monkeypatch.setattr(
        "zoom_integration.tasks.attendance_reconcile_task.apply_async",
        lambda args, countdown: queued.append((args, countdown)),
    )
    events = reconciling_class["zoom"]

    deliver(events.ended(uuid=RUN_1, start=at(17, 0), end=at(18, 30)))

    assert queued == [([reconciling_class["meeting"].pk, RUN_1], timedelta(minutes=2).total_seconds())]


def test_a_meeting_end_is_processed_even_when_the_queue_is_down(reconciling_class, deliver, monkeypatch, caplog):
    def broker_down(*args, **kwargs):
        raise OperationalError("Redis is down")

    monkeypatch.setattr("zoom_integration.tasks.attendance_reconcile_task.apply_async", broker_down)
    events = reconciling_class["zoom"]

    event = deliver(events.ended(uuid=RUN_1, start=at(17, 0), end=at(18, 30)))

    assert event.state == "processed"
    assert PresenceSignal.objects.filter(kind="session_end").count() == 1
    assert "reconciliation not queued meeting=84512345678: broker unavailable" in caplog.text
