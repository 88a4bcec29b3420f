"""The simulator's responses and webhook bodies checked against Zoom's own OpenAPI documents.

The documents live outside the repository (../shared/zoom/openapi); without them this
module is skipped. They are read only here, never by the simulator.
"""

import json
from pathlib import Path

import pytest
from django.conf import settings
from jsonschema import Draft202012Validator, FormatChecker

from zoom_simulator import services
from zoom_simulator.tests.test_api import meeting_body, uuid_in_path

OPENAPI_DIR = Path(settings.BASE_DIR).parent / "shared" / "zoom" / "openapi"

if not OPENAPI_DIR.is_dir():
    pytest.skip(
        f"Zoom's OpenAPI documents are not present ({OPENAPI_DIR}); they come with ../shared in CI.",
        allow_module_level=True,
    )

# Zoom's own examples leave `email` empty for guests, so only date-times are format-checked.
FORMATS = FormatChecker(formats=["date-time"])


def document(name):
    return json.loads((OPENAPI_DIR / name).read_text())


def response_schema(path, method, status):
    operation = document("meetings-endpoints.openapi.json")["paths"][path][method]
    return operation["responses"][status]["content"]["application/json"]["schema"]


def webhook_schema(name, event):
    """The event's schema, rooted so the documents' internal "#/paths/<event>/..." references resolve."""
    return {
        "$ref": f"#/paths/{event}/post/requestBody/content/application~1json/schema",
        "paths": document(name)["webhooks"],
    }


def assert_valid(schema, instance):
    errors = sorted(Draft202012Validator(schema, format_checker=FORMATS).iter_errors(instance), key=str)
    assert not errors, [f"{list(error.absolute_path)}: {error.message}" for error in errors]


def test_user_me_matches_users_document(api):
    schema = document("users-endpoints.openapi.json")["paths"]["/users/{userId}"]["get"]["responses"]["200"]
    assert_valid(schema["content"]["application/json"]["schema"], api.call("get", "/users/me").json())


def test_meeting_and_registrant_responses_match(api, captured):
    meeting = api.call("post", "/users/me/meetings", meeting_body()).json()
    meeting_id = meeting["id"]
    registrant_body = {"email": "a@example.com", "first_name": "A", "auto_approve": True}
    registrant = api.call("post", f"/meetings/{meeting_id}/registrants", registrant_body).json()
    batch_body = {"registrants": [{"email": "b@example.com", "first_name": "B"}]}
    batch = api.call("post", f"/meetings/{meeting_id}/batch_registrants", batch_body).json()
    listed = api.call("get", f"/meetings/{meeting_id}/registrants").json()
    poll = api.call(
        "post",
        f"/meetings/{meeting_id}/polls",
        {"title": "Check", "questions": [{"name": "Ok?", "type": "single", "answers": ["Yes", "No"]}]},
    ).json()
    polls = api.call("get", f"/meetings/{meeting_id}/polls").json()

    assert_valid(response_schema("/users/{userId}/meetings", "post", "201"), meeting)
    fetched = api.call("get", f"/meetings/{meeting_id}").json()
    assert_valid(response_schema("/meetings/{meetingId}", "get", "200"), fetched)
    assert_valid(response_schema("/meetings/{meetingId}/registrants", "post", "201"), registrant)
    assert_valid(response_schema("/meetings/{meetingId}/batch_registrants", "post", "201"), batch)
    assert_valid(response_schema("/meetings/{meetingId}/registrants", "get", "200"), listed)
    assert_valid(response_schema("/meetings/{meetingId}/polls", "post", "201"), poll)
    assert_valid(response_schema("/meetings/{meetingId}/polls", "get", "200"), polls)


def test_after_meeting_responses_and_all_webhooks_match(api, meeting, zoom_user, captured):
    registrant = services.registrant_add(meeting=meeting, email="s@example.com", first_name="Sue", auto_approve=True)
    services.participant_join(meeting=meeting, registrant=registrant)
    services.participant_join(meeting=meeting, name="Guest", email="guest@example.com")
    poll = services.poll_create(
        meeting=meeting, title="Check", questions=[{"name": "Ok?", "type": "single", "answers": ["Yes", "No"]}]
    )
    for participant in meeting.instances.get().participants.all():
        services.poll_answer(participant=participant, poll=poll)
    services.meeting_end(meeting=meeting)
    services.summary_make_ready(meeting=meeting)
    services.recordings_make_ready(meeting=meeting)
    services.recordings_remove(meeting=meeting)
    services.recordings_make_ready(meeting=meeting)
    services.recordings_remove(meeting=meeting, permanently=True)
    services.meeting_update(meeting=meeting, changes={"topic": "Changed", "duration": 45}, count_against_limit=False)
    services.recordings_make_ready(meeting=meeting)
    uuid = uuid_in_path(meeting.instances.get().uuid)

    assert_valid(
        response_schema("/meetings/{meetingId}/meeting_summary", "get", "200"),
        api.call("get", f"/meetings/{uuid}/meeting_summary").json(),
    )
    assert_valid(
        response_schema("/meetings/{meetingId}/recordings", "get", "200"),
        api.call("get", f"/meetings/{uuid}/recordings").json(),
    )
    assert_valid(
        response_schema("/past_meetings/{meetingId}/participants", "get", "200"),
        api.call("get", f"/past_meetings/{uuid}/participants").json(),
    )
    poll_results = api.call("get", f"/past_meetings/{uuid}/polls").json()
    assert len(poll_results["questions"]) == 2
    assert_valid(response_schema("/past_meetings/{meetingId}/polls", "get", "200"), poll_results)
    services.meeting_delete(meeting=meeting)

    events = {request.event for request in captured}
    assert events >= {
        "meeting.started",
        "meeting.participant_joined",
        "meeting.participant_left",
        "meeting.ended",
        "meeting.summary_completed",
        "recording.completed",
        "recording.trashed",
        "recording.deleted",
        "meeting.updated",
        "meeting.deleted",
    }
    for request in captured:
        assert_valid(webhook_schema("meetings-webhooks.openapi.json", request.event), request.payload)


def test_app_deauthorized_matches_except_zooms_own_event_ts_inconsistency(zoom_user, tokens, captured):
    """Zoom's schema types payload.event_ts as a number while its example sends a string.

    The simulator follows the example (what Zoom sends); everything else must match the schema.
    """
    services.app_uninstall(user=zoom_user)
    body = captured[0].payload
    schema = webhook_schema("marketplace-webhooks.openapi.json", "app_deauthorized")
    content = document("marketplace-webhooks.openapi.json")["webhooks"]["app_deauthorized"]["post"]["requestBody"]
    example = json.loads(content["content"]["application/json"]["examples"]["json-example"]["value"])

    assert type(body["payload"]["event_ts"]) is type(example["payload"]["event_ts"]) is str
    assert set(body["payload"]) == set(example["payload"])
    without_event_ts = {**body, "payload": {key: value for key, value in body["payload"].items() if key != "event_ts"}}
    assert_valid(schema, without_event_ts)
