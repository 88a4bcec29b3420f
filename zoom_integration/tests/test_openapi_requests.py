"""Every request our Zoom client can send names an operation of Zoom's own OpenAPI documents,
with valid path parameters and a body valid against the operation's schema."""

import re

import pytest
import responses

from zoom_integration.connection.client import StaticToken, ZoomClient

from .conftest import API
from .openapi import assert_matches_zoom_openapi

MEETING_ID = 85746065432
UUID_NEEDING_DOUBLE_ENCODING = "/Kz9pQ//abc+def=="

CALLS = [
    ("users_me", {}),
    ("users_me_settings", {}),
    (
        "meeting_create",
        {
            "body": {
                "topic": "PMP: Week 1",
                "type": 2,
                "start_time": "2031-03-04T17:30:00Z",
                "duration": 90,
                "timezone": "Europe/Berlin",
                "password": "Ab12Cd34",
                "settings": {
                    "approval_type": 1,
                    "waiting_room": True,
                    "join_before_host": False,
                    "auto_recording": "cloud",
                    "registrants_confirmation_email": False,
                    "registrants_email_notification": False,
                    "mute_upon_entry": True,
                },
            }
        },
    ),
    ("meeting_get", {"meeting_id": MEETING_ID}),
    ("meeting_update", {"meeting_id": MEETING_ID, "body": {"topic": "PMP: Week 1 (moved)", "duration": 60}}),
    ("meeting_delete", {"meeting_id": MEETING_ID}),
    (
        "registrant_add",
        {
            "meeting_id": MEETING_ID,
            "body": {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace", "auto_approve": True},
        },
    ),
    (
        "registrants_batch_add",
        {
            "meeting_id": MEETING_ID,
            "body": {
                "auto_approve": True,
                "registrants_confirmation_email": False,
                "registrants": [{"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}],
            },
        },
    ),
    ("registrants_list", {"meeting_id": MEETING_ID}),
    ("registrants_status_update", {"meeting_id": MEETING_ID, "action": "cancel", "registrants": [{"id": "rg-1"}]}),
    ("past_meeting_participants", {"meeting_id_or_uuid": UUID_NEEDING_DOUBLE_ENCODING}),
    ("past_meeting_poll_results", {"meeting_id_or_uuid": UUID_NEEDING_DOUBLE_ENCODING}),
    ("polls_list", {"meeting_id": MEETING_ID}),
    (
        "poll_create",
        {
            "meeting_id": MEETING_ID,
            "body": {
                "title": "Check",
                "poll_type": 1,
                "anonymous": False,
                "questions": [{"name": "Which?", "type": "single", "answer_required": True, "answers": ["A", "B"]}],
            },
        },
    ),
    ("poll_delete", {"meeting_id": MEETING_ID, "poll_id": "QalIoKWLTJehBJ8e1xRrbQ"}),
    ("meeting_summary_get", {"meeting_id_or_uuid": UUID_NEEDING_DOUBLE_ENCODING}),
    ("meeting_summary_delete", {"meeting_id_or_uuid": UUID_NEEDING_DOUBLE_ENCODING}),
    ("recordings_get", {"meeting_id_or_uuid": MEETING_ID}),
]


WEBINAR_CREATE_BODY = {
    "topic": "CAPM info session",
    "type": 5,
    "start_time": "2031-03-04T17:30:00Z",
    "duration": 60,
    "timezone": "Europe/Berlin",
    "password": "Ab12Cd34",
    "agenda": "What the course covers",
    "settings": {
        "approval_type": 1,
        "registrants_confirmation_email": False,
        "registrants_email_notification": False,
        "auto_recording": "cloud",
        "practice_session": False,
    },
}

# The same calls for a webinar class: every one that has a webinar endpoint (summaries and recordings are shared).
WEBINAR_CALLS = [
    (
        name,
        {**arguments, "kind": "webinar", **({"body": WEBINAR_CREATE_BODY} if name == "meeting_create" else {})},
    )
    for name, arguments in CALLS
    if "meeting_id" in arguments or name in ("meeting_create", "past_meeting_participants", "past_meeting_poll_results")
]


@pytest.fixture
def client():
    return ZoomClient(tokens=StaticToken("zat-openapi-check"))


def _answer_everything(mock):
    everything = re.compile(re.escape(API) + r"/.*")
    for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
        mock.add(method, everything, json={"registrants": [], "participants": [], "polls": []}, status=200)


@pytest.mark.parametrize(
    "method,arguments",
    CALLS + WEBINAR_CALLS,
    ids=[name for name, _ in CALLS] + [f"webinar-{name}" for name, _ in WEBINAR_CALLS],
)
def test_every_client_request_is_an_operation_of_zooms_api(client, method, arguments):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _answer_everything(mock)
        result = getattr(client, method)(**arguments)
        if hasattr(result, "__next__"):
            list(result)
        assert len(mock.calls) == 1
        assert_matches_zoom_openapi(mock.calls[0].request)
        if arguments.get("kind") == "webinar":
            assert "webinar" in mock.calls[0].request.url, "a webinar's call goes to Zoom's webinar endpoints"


def test_a_webinar_batch_body_without_the_meeting_only_switch_is_valid(client):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _answer_everything(mock)
        client.registrants_batch_add(
            meeting_id=MEETING_ID,
            kind="webinar",
            body={"auto_approve": True, "registrants": [{"email": "ada@example.com", "first_name": "Ada"}]},
        )
        assert mock.calls[0].request.url.endswith(f"/webinars/{MEETING_ID}/batch_registrants")
        assert_matches_zoom_openapi(mock.calls[0].request)


def test_the_list_covers_every_public_client_method():
    public = {
        name
        for name in vars(ZoomClient)
        if not name.startswith("_") and callable(getattr(ZoomClient, name)) and name != "sleep"
    }
    assert public == {name for name, _ in CALLS}


def test_the_check_refuses_what_zoom_would_refuse(client):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _answer_everything(mock)
        client.meeting_create(body={"topic": "x", "type": "scheduled", "start_time": "2031-03-04 17:30"})
        client._request("GET", "/meetings/1/no_such_operation", scope="meeting:read:meeting")
        bad_body, unknown_path = (call.request for call in mock.calls)
    with pytest.raises(AssertionError, match="InvalidRequestBody|not valid"):
        assert_matches_zoom_openapi(bad_body)
    with pytest.raises(AssertionError, match="not an operation of Zoom's API"):
        assert_matches_zoom_openapi(unknown_path)
