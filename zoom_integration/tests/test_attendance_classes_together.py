"""At the top of the hour a claimed batch spans a hundred classes of a hundred organizations: a drain records all
of them together (one transaction, one set of statements), with the attendance one event at a time gives, a
query count that does not grow with the classes, and two drains side by side neither deadlocking nor applying an
event twice."""

import copy
import logging
import random
import threading

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from attendance import services as attendance_services
from attendance.models import PresenceSignal
from attendance.tests.snapshots import derived_snapshot
from tests.factories import OrganizationFactory
from zoom_integration.inbox import drain
from zoom_integration.models import WebhookEvent

from .factories import ZoomConnectionFactory
from .test_attendance_batches import a_class, drained, stored, visits
from .zoom_events import RUN_1, at, deliver  # noqa: F401  (fixtures)


def classes_of_their_own_organizations(count, *, students, first_meeting_id):
    """`count` classes, each of its own organization with its own Zoom connection: [(class, ZoomEvents)]."""
    found = []
    for number in range(count):
        organization = OrganizationFactory(name=f"Training Co {number}")
        connection = ZoomConnectionFactory(organization=organization)
        found.append(a_class(organization, connection, zoom_meeting_id=first_meeting_id + number, students=students))
    return found


def redelivered(body):
    """Zoom's retry of an event: the same facts, another event_ts (so another stored delivery)."""
    again = copy.deepcopy(body)
    again["event_ts"] += 1000
    return again


def test_a_batch_of_many_organizations_classes_gives_what_one_event_at_a_time_gives(organization, deliver):
    reference, zoom = a_class(
        organization, ZoomConnectionFactory(organization=organization), zoom_meeting_id=87000000000, students=6
    )
    deliver(zoom.started(uuid=RUN_1, start=at(17, 0)), *visits(zoom, zoom_meeting_id=87000000000, students=6))
    deliver(zoom.ended(uuid=RUN_1, start=at(17, 0), end=at(18, 30)))
    expected = derived_snapshot(reference)
    assert len(expected["records"]) == 6

    classes = classes_of_their_own_organizations(8, students=6, first_meeting_id=87000000001)
    events = []
    for number, (_, zoom) in enumerate(classes):
        events += [zoom.started(uuid=RUN_1, start=at(17, 0))]
        events += visits(zoom, zoom_meeting_id=87000000001 + number, students=6)
        events += [zoom.ended(uuid=RUN_1, start=at(17, 0), end=at(18, 30))]
    random.Random(1800).shuffle(events)
    stored(*events)

    assert drained() == len(events)

    assert set(WebhookEvent.objects.values_list("state", flat=True)) == {"processed"}
    for class_session, _ in classes:
        assert derived_snapshot(class_session) == expected
    drain.webhook_events_reset(event_ids=list(WebhookEvent.objects.values_list("pk", flat=True)))
    drained()
    for class_session, _ in classes:
        assert derived_snapshot(class_session) == expected
        attendance_services.attendance_rebuild(class_session=class_session)
        assert derived_snapshot(class_session) == expected


def one_join_and_leave_each(classes):
    events = []
    for _, zoom in classes:
        person = {"name": "Student 0", "email": "student0@example.com", "registrant_id": f"r{zoom.zoom_meeting_id}-0"}
        events += [
            zoom.joined(uuid=RUN_1, user_id=1000, at=at(17, 1), **person),
            zoom.left(uuid=RUN_1, user_id=1000, at=at(18, 1), **person),
        ]
    return events


def test_the_queries_of_a_200_event_batch_do_not_grow_with_its_classes_and_organizations(organization):
    few = classes_of_their_own_organizations(10, students=1, first_meeting_id=88000000000)
    stored(*one_join_and_leave_each(few))
    with CaptureQueriesContext(db_connection) as few_queries:
        assert drained() == 20
    WebhookEvent.objects.all().delete()

    many = classes_of_their_own_organizations(100, students=1, first_meeting_id=88100000000)
    stored(*one_join_and_leave_each(many))
    with CaptureQueriesContext(db_connection) as many_queries:
        assert drained() == 200

    assert set(WebhookEvent.objects.values_list("state", flat=True)) == {"processed"}
    for class_session, _ in many:
        assert class_session.attendance_records.get().seconds_present == 3600
    assert len(many_queries) == len(few_queries), (len(few_queries), len(many_queries))
    assert len(many_queries) <= 30  # 200 events: far under the 2 a participant event allowed
    assert WebhookEvent.objects.filter(organization__isnull=False).count() == 200  # each event's own organization


@pytest.mark.django_db(transaction=True)
def test_two_drains_side_by_side_on_the_same_classes_neither_deadlock_nor_apply_an_event_twice(
    organization, monkeypatch, caplog
):
    assert db_connection.vendor == "postgresql"
    students = 6
    classes = classes_of_their_own_organizations(6, students=students, first_meeting_id=89000000000)
    events = []
    for number, (_, zoom) in enumerate(classes):
        events += visits(zoom, zoom_meeting_id=89000000000 + number, students=students)
    # In time order across the classes, each event also redelivered: every small batch spans every class, and
    # a delivery and its retry land in different drains' batches, on the same participants.
    events.sort(key=lambda body: body["event_ts"])
    stored(*[delivery for body in events for delivery in (body, redelivered(body))])
    monkeypatch.setattr(drain, "WEBHOOK_DRAIN_BATCH", 15)
    caplog.set_level(logging.WARNING)

    start = threading.Barrier(2)
    processed, errors = [], []

    def worker():
        try:
            start.wait()
            processed.append(drained())
        except Exception as error:
            errors.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sum(processed) == 2 * len(events)
    assert all(count > 0 for count in processed), processed  # both drains took part
    assert set(WebhookEvent.objects.values_list("state", flat=True)) == {"processed"}
    assert set(WebhookEvent.objects.values_list("attempts", flat=True)) == {1}  # each claimed once
    assert PresenceSignal.objects.count() == len(events)  # one signal an event, its retry included
    assert not [record for record in caplog.records if "could not be recorded together" in record.getMessage()]
    assert not [record for record in caplog.records if "deadlock" in record.getMessage().lower()]
    expected_seconds = {
        f"student{number}@example.com": (30 - number % 5) * 60 + (2400 if number % 2 else 0)
        for number in range(students)
    }
    for class_session, _ in classes:
        snapshot = derived_snapshot(class_session)
        assert {record["registration"]: record["seconds_present"] for record in snapshot["records"]} == expected_seconds
        attendance_services.attendance_rebuild(class_session=class_session)
        assert derived_snapshot(class_session) == snapshot
