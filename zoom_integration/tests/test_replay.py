"""`manage.py zoom_replay_webhooks`: stored events reprocessed, attendance derived again, the same as the first pass."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from attendance.models import AttendanceRecord, Participant, PresenceSignal
from attendance.tests.snapshots import derived_snapshot
from tests.factories import OrganizationFactory
from zoom_integration.inbox.replay import webhook_events_replay
from zoom_integration.models import WebhookEvent

from .conftest import fixture_json
from .zoom_events import (  # noqa: F401  (fixtures)
    RUN_1,
    RUN_2,
    ZoomEvents,
    at,
    class_with_meeting,
    deliver,
    report,
    zoom_class,
)

ADA = {"name": "Ada Lovelace", "email": "ada@example.com", "registrant_id": "kLmN0pQrStUvWx-Ada"}


def a_class_day(zoom):
    """Rejoins, two devices, duplicates, a leave before its join, a guest, an email match, a restart."""
    return [
        zoom.started(uuid=RUN_1, start=at(17, 0)),
        zoom.joined(uuid=RUN_1, user_id=10, at=at(17, 1), **ADA),
        zoom.joined(uuid=RUN_1, user_id=10, at=at(17, 1), **ADA),
        zoom.left(uuid=RUN_1, user_id=11, at=at(17, 50), **ADA),
        zoom.joined(uuid=RUN_1, user_id=11, at=at(17, 30), **ADA),
        zoom.left(uuid=RUN_1, user_id=10, at=at(17, 20), **ADA),
        zoom.joined(uuid=RUN_1, user_id=12, name="Grace", at=at(17, 5), email="GRACE.hopper@example.com"),
        zoom.joined(uuid=RUN_1, user_id=13, name="Juan's iPad", at=at(17, 6)),
        zoom.left(uuid=RUN_1, user_id=13, name="Juan's iPad", at=at(17, 16)),
        zoom.ended(uuid=RUN_1, start=at(17, 0), end=at(17, 55)),
        zoom.started(uuid=RUN_2, start=at(18, 0)),
        zoom.joined(uuid=RUN_2, user_id=10, at=at(18, 1), **ADA),
        zoom.left(uuid=RUN_2, user_id=10, at=at(18, 29), **ADA),
        zoom.ended(uuid=RUN_2, start=at(18, 0), end=at(18, 30)),
    ]


def attendance_state(class_session):
    attendance, rows = report(class_session)
    shown = {
        email: (row.joined, row.first_joined_at, row.last_left_at, row.minutes, row.share_percent, row.attended)
        for email, row in rows.items()
    }
    unmatched = [(p.display_name, p.first_joined_at, p.last_left_at, p.minutes_present) for p in attendance.unmatched]
    return {
        "report": shown,
        "unmatched": unmatched,
        "runs": attendance.runs,
        "derived": derived_snapshot(class_session),
    }


def replay(*args):
    out = StringIO()
    call_command("zoom_replay_webhooks", *args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def class_day(zoom_class, deliver):
    deliver(*a_class_day(zoom_class["zoom"]))
    return zoom_class


def test_the_scenario_gives_the_expected_attendance(class_day):
    state = attendance_state(class_day["class_session"])

    assert state["report"]["ada@example.com"] == (True, at(17, 1), at(18, 29), 19 + 20 + 28, 74, False)
    assert state["report"]["Grace.Hopper@Example.com"] == (True, at(17, 5), at(17, 55), 50, 55, False)
    assert state["unmatched"] == [("Juan's iPad", at(17, 6), at(17, 16), 10)]
    assert len(state["runs"]) == 2


def test_replaying_every_event_into_an_empty_attendance_reproduces_it(class_day):
    class_session = class_day["class_session"]
    before = attendance_state(class_session)
    PresenceSignal.objects.all().delete()
    Participant.objects.all().delete()
    AttendanceRecord.objects.all().delete()

    output = replay("--all")

    assert attendance_state(class_session) == before
    assert "Replayed 13 webhook event(s)." in output  # the duplicate body was stored once
    assert "meeting.participant_joined: 5" in output and "meeting.ended: 2" in output
    assert "Outcome: 13 processed." in output
    assert f"Rebuilt the attendance of 1 class(es).\n  class {class_session.pk}: " in output


def test_replaying_twice_adds_nothing_and_repairs_derived_attendance(class_day):
    class_session = class_day["class_session"]
    before = attendance_state(class_session)
    signals = PresenceSignal.objects.count()
    AttendanceRecord.objects.update(intervals=[], seconds_present=0, first_joined_at=None, last_left_at=None)
    Participant.objects.filter(display_name="Juan's iPad").update(seconds_present=0, intervals=[])

    replay("--all")
    replay("--all")

    assert PresenceSignal.objects.count() == signals
    assert attendance_state(class_session) == before


def test_a_dry_run_says_what_it_would_do_and_changes_nothing(class_day):
    attempts = dict(WebhookEvent.objects.values_list("pk", "attempts"))
    AttendanceRecord.objects.update(seconds_present=0)

    output = replay("--all", "--dry-run")

    assert "Would replay 13 webhook event(s)." in output
    assert "Would rebuild the attendance of 1 class(es)." in output
    assert dict(WebhookEvent.objects.values_list("pk", "attempts")) == attempts
    assert set(AttendanceRecord.objects.values_list("seconds_present", flat=True)) == {0}


def test_events_are_selected_by_id_arrival_time_and_organization(class_day, deliver):
    other_organization = OrganizationFactory()
    connection, _, meeting = class_with_meeting(organization=other_organization, zoom_meeting_id=83333333333)
    other = ZoomEvents(connection=connection, zoom_meeting_id=meeting.zoom_meeting_id)
    deliver(other.joined(uuid=RUN_1, user_id=1, name="Someone", at=at(17, 0)))
    ours = list(WebhookEvent.objects.filter(organization=class_day["connection"].organization).order_by("pk"))
    earlier = timezone.now() - timedelta(days=2)
    WebhookEvent.objects.filter(pk__in=[event.pk for event in ours[:4]]).update(received_at=earlier)

    assert webhook_events_replay(event_ids=[ours[0].pk, ours[5].pk], dry_run=True).replayed == 2
    assert webhook_events_replay(until=earlier + timedelta(seconds=1), dry_run=True).replayed == 4
    assert webhook_events_replay(since=earlier + timedelta(seconds=1), dry_run=True).replayed == 9 + 1
    assert webhook_events_replay(organization=other_organization, dry_run=True).replayed == 1

    output = replay("--org", other_organization.slug)

    assert "Replayed 1 webhook event(s)." in output
    assert WebhookEvent.objects.get(organization=other_organization).attempts == 2
    assert set(WebhookEvent.objects.filter(pk__in=[event.pk for event in ours]).values_list("attempts", flat=True)) == {
        1
    }


def test_a_deauthorization_is_never_replayed(class_day, deliver):
    body = fixture_json("app_deauthorized.json")
    body["payload"].update(
        account_id=class_day["connection"].zoom_account_id, user_id=class_day["connection"].zoom_user_id
    )
    event = deliver(json.dumps(body).encode())
    assert event.event_type == "app_deauthorized"
    class_day["connection"].refresh_from_db()
    assert class_day["connection"].status == "disconnected"
    class_day["connection"].status = "connected"  # the owner connected again since
    class_day["connection"].save()

    output = replay(str(event.pk))

    assert f"Skipped event {event.pk} (app_deauthorized): deauthorizations are never replayed." in output
    class_day["connection"].refresh_from_db()
    assert class_day["connection"].status == "connected"


def test_the_command_wants_a_selection_and_readable_dates(db):
    with pytest.raises(CommandError, match="pass --all"):
        replay()
    with pytest.raises(CommandError, match="Not a date"):
        replay("--since", "yesterday")
    with pytest.raises(CommandError, match="No organization"):
        replay("--org", "nobody")
    assert "Replayed 0 webhook event(s)." in replay("--since", "2026-03-10", "--until", "2026-03-11T12:00")
