"""A drain applies a claimed batch of participant events together: one transaction per class, a few queries
per batch whatever its size, the same attendance as one event at a time, in any order and on replay."""

import json
import random

import pytest
from django.contrib.auth import get_user_model
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from attendance import services as attendance_services
from attendance.tests.snapshots import derived_snapshot
from zoom_integration.inbox import drain, store
from zoom_integration.models import WebhookEvent
from zoom_integration.tuning import DRAIN_HELPER

from .factories import ZoomConnectionFactory
from .zoom_events import (  # noqa: F401  (fixtures)
    RUN_1,
    ZoomEvents,
    at,
    class_with_meeting,
    deliver,
    pre_registered,
)


def stored(*bodies):
    """Store deliveries as the endpoint does, without running them."""
    for body in bodies:
        raw = json.dumps(body).encode()
        store.webhook_event_store(raw_body=raw, payload=json.loads(raw))


def drained():
    return drain.webhook_events_drain(publish_drain=lambda **options: None, kind=DRAIN_HELPER)


def a_class(organization, connection, *, zoom_meeting_id, students):
    connection, class_session, meeting = class_with_meeting(
        organization=organization, connection=connection, zoom_meeting_id=zoom_meeting_id
    )
    for number in range(students):
        email = f"student{number}@example.com"
        values = {"email": email}
        if user := get_user_model().objects.filter(email=email).first():
            values["student"] = user  # the same person in another class
        pre_registered(meeting, registrant_id=f"r{zoom_meeting_id}-{number}", **values)
    return class_session, ZoomEvents(connection=connection, zoom_meeting_id=zoom_meeting_id)


def visits(zoom, *, zoom_meeting_id, students):
    """Each student joins, leaves, and half of them come back (a new user_id) and leave again."""
    events = []
    for number in range(students):
        person = {"name": f"Student {number}", "email": f"student{number}@example.com"}
        registrant_id = f"r{zoom_meeting_id}-{number}"
        events += [
            zoom.joined(
                uuid=RUN_1, user_id=1000 + number, at=at(17, number % 5), registrant_id=registrant_id, **person
            ),
            zoom.left(uuid=RUN_1, user_id=1000 + number, at=at(17, 30), registrant_id=registrant_id, **person),
        ]
        if number % 2:
            events += [
                zoom.joined(uuid=RUN_1, user_id=5000 + number, at=at(17, 40), **person),
                zoom.left(uuid=RUN_1, user_id=5000 + number, at=at(18, 20), **person),
            ]
    return events


def one_class_batch_stored(organization, connection, *, zoom_meeting_id, students):
    """A class whose students each joined and left once, those events stored; the class and how many."""
    class_session, zoom = a_class(organization, connection, zoom_meeting_id=zoom_meeting_id, students=students)
    events = []
    for number in range(students):
        registrant_id = f"r{zoom_meeting_id}-{number}"
        person = {"name": f"Student {number}", "email": f"student{number}@example.com", "registrant_id": registrant_id}
        events += [
            zoom.joined(uuid=RUN_1, user_id=1000 + number, at=at(17, 1), **person),
            zoom.left(uuid=RUN_1, user_id=1000 + number, at=at(18, 1), **person),
        ]
    stored(*events)
    type(connection).objects.filter(pk=connection.pk).update(last_webhook_at=None)
    return class_session, len(events)


def all_applied(class_session, students):
    assert set(WebhookEvent.objects.values_list("state", flat=True)) == {"processed"}
    assert class_session.attendance_records.filter(seconds_present=3600).count() == students


def test_a_batch_of_50_events_of_one_class_costs_barely_more_queries_than_a_batch_of_5(
    organization, django_assert_max_num_queries
):
    connection = ZoomConnectionFactory(organization=organization)
    small_class, small_events = one_class_batch_stored(
        organization, connection, zoom_meeting_id=81000000001, students=3
    )
    with CaptureQueriesContext(db_connection) as small:
        assert drained() == small_events == 6
    all_applied(small_class, 3)
    WebhookEvent.objects.all().delete()

    large_class, events = one_class_batch_stored(organization, connection, zoom_meeting_id=81000000002, students=25)
    with django_assert_max_num_queries(2 * 50 + 5) as large:
        assert drained() == events == 50
    all_applied(large_class, 25)

    assert len(large) <= len(small) + 2, (len(small), len(large))
    assert len(large) <= 25  # about half a query per event


def test_a_batch_gives_what_one_event_at_a_time_gives_in_any_order_and_on_replay(organization, deliver):
    connection = ZoomConnectionFactory(organization=organization)
    one_by_one, zoom = a_class(organization, connection, zoom_meeting_id=82000000001, students=12)
    deliver(zoom.started(uuid=RUN_1, start=at(17, 0)), *visits(zoom, zoom_meeting_id=82000000001, students=12))
    deliver(zoom.ended(uuid=RUN_1, start=at(17, 0), end=at(18, 30)))

    batched, zoom = a_class(organization, connection, zoom_meeting_id=82000000002, students=12)
    events = [zoom.started(uuid=RUN_1, start=at(17, 0)), *visits(zoom, zoom_meeting_id=82000000002, students=12)]
    events.append(zoom.ended(uuid=RUN_1, start=at(17, 0), end=at(18, 30)))
    random.Random(18).shuffle(events)
    stored(*events)
    drained()

    expected = derived_snapshot(one_by_one)
    assert derived_snapshot(batched) == expected
    assert len(expected["records"]) == 12

    event_ids = list(WebhookEvent.objects.values_list("pk", flat=True))
    drain.webhook_events_reset(event_ids=event_ids)
    drained()
    assert derived_snapshot(batched) == expected
    attendance_services.attendance_rebuild(class_session=batched)
    assert derived_snapshot(batched) == expected


def test_batches_of_two_classes_apply_each_class_apart(organization):
    connection = ZoomConnectionFactory(organization=organization)
    first, first_zoom = a_class(organization, connection, zoom_meeting_id=83000000001, students=4)
    second, second_zoom = a_class(organization, connection, zoom_meeting_id=83000000002, students=4)
    events = visits(first_zoom, zoom_meeting_id=83000000001, students=4)
    events += visits(second_zoom, zoom_meeting_id=83000000002, students=4)
    stored(*events)

    assert drained() == len(events)

    assert derived_snapshot(first) == derived_snapshot(second)
    assert first.attendance_records.count() == second.attendance_records.count() == 4


def test_one_unusable_event_in_a_batch_is_ignored_alone(organization):
    connection = ZoomConnectionFactory(organization=organization)
    class_session, zoom = a_class(organization, connection, zoom_meeting_id=84000000001, students=2)
    events = visits(zoom, zoom_meeting_id=84000000001, students=2)
    nameless = zoom.joined(uuid=RUN_1, user_id="", name="Nobody", at=at(17, 3))
    stored(*events, nameless)

    drained()

    states = dict(WebhookEvent.objects.values_list("raw_body", "state"))
    assert list(states.values()).count("ignored") == 1
    assert list(states.values()).count("processed") == len(events)
    assert class_session.attendance_records.count() == 2


@pytest.mark.parametrize("failing_number", [0, 3])
def test_an_event_the_batch_cannot_apply_fails_alone_and_the_rest_are_applied(
    organization, monkeypatch, failing_number
):
    connection = ZoomConnectionFactory(organization=organization)
    class_session, zoom = a_class(organization, connection, zoom_meeting_id=85000000001, students=3)
    events = visits(zoom, zoom_meeting_id=85000000001, students=3)
    poison = events[failing_number]["payload"]["object"]["participant"]["user_id"]
    original = attendance_services.presence_signals_record
    original_classes = attendance_services.presence_signals_record_classes

    def poisoned(signals):
        return any(signal["participant_key"] == poison and signal["kind"] == "join" for signal in signals)

    def refusing(*, class_session, signals):
        if poisoned(signals):
            raise RuntimeError("the database refused this one")
        return original(class_session=class_session, signals=signals)

    def refusing_classes(*, batches):
        if any(poisoned(signals) for _, signals in batches):
            raise RuntimeError("the database refused this one")
        return original_classes(batches=batches)

    monkeypatch.setattr(attendance_services, "presence_signals_record", refusing)
    monkeypatch.setattr(attendance_services, "presence_signals_record_classes", refusing_classes)
    stored(*events)

    drained()

    states = list(WebhookEvent.objects.values_list("state", flat=True))
    assert states.count("failed") == 1
    assert states.count("processed") == len(events) - 1


def test_a_batch_spanning_many_classes_reads_their_meetings_and_registrants_once(organization):
    connection = ZoomConnectionFactory(organization=organization)
    classes = [
        one_class_batch_stored(organization, connection, zoom_meeting_id=86000000000 + number, students=2)[0]
        for number in range(10)
    ]

    with CaptureQueriesContext(db_connection) as queries:
        assert drained() == 40

    for class_session in classes:
        all_applied_of(class_session, 2)
    meeting_reads = [query for query in queries if 'FROM "zoom_integration_zoommeeting"' in query["sql"]]
    registrant_reads = [query for query in queries if 'FROM "zoom_integration_zoomregistrant"' in query["sql"]]
    assert (len(meeting_reads), len(registrant_reads)) == (1, 1)
    print("queries for 10 classes", len(queries))
    assert len(queries) <= 10 * 12 + 12


def all_applied_of(class_session, students):
    assert class_session.attendance_records.filter(seconds_present=3600).count() == students
