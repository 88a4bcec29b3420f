"""Recurring meetings (type 8) as Zoom serves them: occurrences, single-occurrence changes, one link, instances."""

import datetime
import json

from zoom_simulator import constants, services
from zoom_simulator.models import Meeting

# Mondays and Thursdays at 18:30 in Berlin, eight times, across the end of daylight saving time (26 Oct 2031).
FIRST = datetime.datetime(2031, 10, 20, 16, 30, tzinfo=datetime.UTC)  # 18:30 CEST


def recurring_body():
    return {
        "topic": "PMP Exam Prep",
        "type": 8,
        "start_time": FIRST.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": 90,
        "timezone": "Europe/Berlin",
        "recurrence": {"type": 2, "repeat_interval": 1, "weekly_days": "2,5", "end_times": 8},
        "settings": {"approval_type": 0, "registration_type": 1},
    }


def test_a_recurring_meeting_has_its_occurrences_at_the_same_local_time(api):
    created = api.call("post", "/users/me/meetings", recurring_body())
    assert created.status_code == 201
    occurrences = created.json()["occurrences"]
    assert len(occurrences) == 8
    assert [item["start_time"] for item in occurrences[:4]] == [
        "2031-10-20T16:30:00Z",  # Monday, CEST
        "2031-10-23T16:30:00Z",  # Thursday, CEST
        "2031-10-27T17:30:00Z",  # Monday, CET: still 18:30 in Berlin
        "2031-10-30T17:30:00Z",
    ]
    fetched = api.call("get", f"/meetings/{created.json()['id']}").json()
    assert fetched["occurrences"] == occurrences and fetched["recurrence"]["weekly_days"] == "2,5"


def test_one_occurrence_is_moved_or_deleted_and_the_others_stay(api, captured):
    meeting_id = api.call("post", "/users/me/meetings", recurring_body()).json()["id"]
    occurrences = api.call("get", f"/meetings/{meeting_id}").json()["occurrences"]
    fifth, third = occurrences[4]["occurrence_id"], occurrences[2]["occurrence_id"]

    moved = api.call(
        "patch",
        f"/meetings/{meeting_id}?occurrence_id={fifth}",
        {"start_time": "2031-11-03T18:30:00Z", "duration": 120},
    )
    assert moved.status_code == 204
    deleted = api.call("delete", f"/meetings/{meeting_id}?occurrence_id={third}")
    assert deleted.status_code == 204

    now = api.call("get", f"/meetings/{meeting_id}").json()["occurrences"]
    assert len(now) == 7 and third not in {item["occurrence_id"] for item in now}
    changed = next(item for item in now if item["occurrence_id"] == fifth)
    assert changed["start_time"] == "2031-11-03T18:30:00Z" and changed["duration"] == 120
    event = json.loads(captured[-1].body)
    assert event["event"] == "meeting.deleted" and event["payload"]["operation"] == "single"
    assert [item["occurrence_id"] for item in event["payload"]["object"]["occurrences"]] == [third]
    bad = api.call("delete", f"/meetings/{meeting_id}?occurrence_id=123")
    assert bad.status_code == 400 and bad.json()["code"] == constants.CODE_VALIDATION


def test_a_registrant_of_a_recurring_meeting_gets_one_link_and_batches_are_refused(api):
    meeting_id = api.call("post", "/users/me/meetings", recurring_body()).json()["id"]
    added = api.call(
        "post", f"/meetings/{meeting_id}/registrants", {"email": "ada@example.com", "first_name": "Ada"}
    ).json()
    assert added["join_url"] and len(added["occurrences"]) == 8
    batch = api.call(
        "post",
        f"/meetings/{meeting_id}/batch_registrants",
        {"registrants": [{"email": "grace@example.com", "first_name": "Grace"}]},
    )
    assert batch.status_code == 400 and batch.json()["code"] == constants.CODE_BATCH_TYPE


def test_each_occurrence_run_has_its_own_instance_uuid_and_start_time(api, captured):
    meeting_id = api.call("post", "/users/me/meetings", recurring_body()).json()["id"]
    meeting = Meeting.objects.get(meeting_id=meeting_id)
    occurrences = api.call("get", f"/meetings/{meeting_id}").json()["occurrences"]
    registrant = services.registrant_add(meeting=meeting, email="ada@example.com", first_name="Ada", auto_approve=True)

    uuids = []
    for occurrence in occurrences[:2]:
        services.occurrence_start(meeting=meeting, occurrence_id=occurrence["occurrence_id"])
        services.participant_join(meeting=meeting, registrant=registrant)
        services.meeting_end(meeting=meeting)
        meeting.refresh_from_db()
        events = [json.loads(request.body) for request in captured]
        started = [event for event in events if event["event"] == "meeting.started"][-1]["payload"]["object"]
        joined = [event for event in events if event["event"] == "meeting.participant_joined"][-1]["payload"]
        ended = [event for event in events if event["event"] == "meeting.ended"][-1]["payload"]["object"]
        assert started["start_time"] == occurrence["start_time"] and started["type"] == 8
        assert joined["object"]["uuid"] == started["uuid"] == ended["uuid"]
        assert joined["object"]["participant"]["registrant_id"] == registrant.registrant_id
        uuids.append(started["uuid"])
    assert len(set(uuids)) == 2
