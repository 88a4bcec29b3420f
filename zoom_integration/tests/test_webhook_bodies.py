"""Hostile or odd webhook bodies, signed: refused with 400 or stored safely, never a 500 and never a lost join."""

import json

import pytest

from attendance.models import Participant
from zoom_integration.models import WebhookEvent
from zoom_integration.payloads import zoom_time

from .conftest import fixture_json, signed_headers
from .zoom_events import RUN_1, at, class_with_meeting, deliver, pre_registered, zoom_class  # noqa: F401

pytestmark = pytest.mark.django_db


def _post(client, raw):
    return client.post("/zoom/webhook/", data=raw, content_type="application/json", headers=signed_headers(raw))


def test_a_utf16_body_is_refused_as_not_utf8(client):
    raw = json.dumps(fixture_json("meeting.started.json")).encode("utf-16")
    response = _post(client, raw)
    assert response.status_code == 400 and b"UTF-8" in response.content
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("event_ts", ["NaN", "Infinity", "-Infinity"])
def test_event_ts_that_is_not_a_json_number_is_refused(client, event_ts):
    text = json.dumps(fixture_json("meeting.started.json"))
    raw = text.replace(f'"event_ts": {json.loads(text)["event_ts"]}', f'"event_ts": {event_ts}').encode()
    assert event_ts.encode() in raw
    assert _post(client, raw).status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("event_ts", ["1e30", "-5", "253402300800000", "99999999999999999999"])
def test_an_event_time_no_calendar_holds_is_stored_without_one(client, event_ts):
    payload = fixture_json("meeting.started.json")
    raw = json.dumps(payload).replace(str(payload["event_ts"]), event_ts).encode()
    assert _post(client, raw).status_code == 200
    assert WebhookEvent.objects.get().event_ts is None


def test_zoom_times_read_in_one_place():
    assert zoom_time("2021-07-13T21:44:51Z").isoformat() == "2021-07-13T21:44:51+00:00"
    assert zoom_time(1626212691000) == zoom_time(1626212691) == zoom_time("1626212691000")
    assert [zoom_time(value) for value in (float("nan"), 1e30, True, "", "soon", "9999-99-99T00:00:00Z")] == [None] * 6


def test_a_participant_name_holding_nul_is_recorded_without_it(zoom_class, deliver):
    zoom = zoom_class["zoom"]
    join = zoom.joined(uuid=RUN_1, user_id=16778240, name="Ada\u0000 Lovelace", at=at(17, 2), email="ada@example.com")
    event = deliver(zoom.started(uuid=RUN_1, start=at(17, 0)), join)
    assert event.state == "processed", event.error
    assert Participant.objects.get().display_name == "Ada Lovelace"


def test_the_recordings_download_token_is_never_stored(client):
    payload = fixture_json("recording.completed.json")
    assert payload["download_token"]
    raw = json.dumps(payload).encode()
    assert _post(client, raw).status_code == 200
    stored = WebhookEvent.objects.get()
    assert "download_token" not in stored.raw_body and payload["download_token"] not in stored.raw_body
    assert json.loads(stored.raw_body)["payload"] == payload["payload"], "the rest is kept, to replay"
    assert _post(client, raw).status_code == 200 and WebhookEvent.objects.count() == 1, "a redelivery is one event"
