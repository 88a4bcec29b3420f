"""Webinars in the simulator: Zoom's webinar endpoints, events and the missing add-on, shaped as Zoom documents them."""

import pytest

from zoom_simulator import constants, services
from zoom_simulator.tests.test_api import FUTURE, uuid_in_path
from zoom_simulator.tests.test_openapi_conformance import assert_valid, document, response_schema, webhook_schema


def webinar_body(**overrides):
    return {
        "topic": "CAPM info session",
        "type": 5,
        "start_time": FUTURE,
        "duration": 60,
        "timezone": "Europe/Berlin",
        "password": "abc123",
        "settings": {"approval_type": 1, "auto_recording": "cloud", "registrants_confirmation_email": False},
        **overrides,
    }


@pytest.fixture
def webinar(zoom_user):
    return services.meeting_create(
        host=zoom_user,
        kind=constants.KIND_WEBINAR,
        type=constants.WEBINAR_TYPE_SCHEDULED,
        topic="CAPM info session",
        settings_values={"approval_type": 1},
        count_against_limit=False,
    )


def test_webinar_create_get_update_delete_under_webinar_paths(api, captured):
    created = api.call("post", "/users/me/webinars", webinar_body())
    assert created.status_code == 201
    body = created.json()
    assert body["type"] == 5 and body["registration_url"] and body["join_url"]
    assert_valid(response_schema("/users/{userId}/webinars", "post", "201"), body)
    webinar_id = body["id"]

    fetched = api.call("get", f"/webinars/{webinar_id}")
    assert fetched.status_code == 200
    assert_valid(response_schema("/webinars/{webinarId}", "get", "200"), fetched.json())
    # A webinar is not a meeting: Zoom's meeting endpoints do not know it.
    as_meeting = api.call("get", f"/meetings/{webinar_id}")
    assert as_meeting.status_code == 404 and as_meeting.json()["code"] == 3001

    assert api.call("patch", f"/webinars/{webinar_id}", {"topic": "CAPM info session (moved)"}).status_code == 204
    assert api.call("delete", f"/webinars/{webinar_id}").status_code == 204
    assert api.call("get", f"/webinars/{webinar_id}").json()["message"] == f"Webinar does not exist: {webinar_id}."
    assert [request.event for request in captured] == ["webinar.updated", "webinar.deleted"]
    for request in captured:
        assert_valid(webhook_schema("meetings-webhooks.openapi.json", request.event), request.payload)


def test_a_host_without_the_webinar_add_on_is_refused_with_zooms_400_code_200(api, zoom_user):
    services.user_webinar_addon_set(user=zoom_user, webinar_addon=False)

    refused = api.call("post", "/users/me/webinars", webinar_body())
    settings = api.call("get", "/users/me/settings").json()

    assert refused.status_code == 400
    assert refused.json()["code"] == 200
    assert refused.json()["message"].startswith("Webinar plan is missing.")
    assert settings["feature"]["webinar"] is False
    assert api.call("post", "/users/me/meetings", {"topic": "Still fine", "type": 2}).status_code == 201


def test_user_settings_say_whether_the_host_has_the_add_on(api):
    body = api.call("get", "/users/me/settings").json()

    assert body["feature"]["webinar"] is True
    schema = document("users-endpoints.openapi.json")["paths"]["/users/{userId}/settings"]["get"]["responses"]["200"]
    # Zoom's oneOf lists the user's settings first, then narrower views that any object of its fields also matches.
    user_settings = schema["content"]["application/json"]["schema"]["oneOf"][0]
    assert user_settings["title"] == "User settings"
    assert_valid(user_settings, body)


def test_webinar_batch_registrants_take_thirty_with_unique_links(api, webinar):
    people = [{"email": f"p{index}@example.com", "first_name": f"P{index}"} for index in range(30)]

    answer = api.call(
        "post", f"/webinars/{webinar.meeting_id}/batch_registrants", {"auto_approve": True, "registrants": people}
    )
    too_many = api.call(
        "post",
        f"/webinars/{webinar.meeting_id}/batch_registrants",
        {"registrants": [*people, {"email": "x@example.com", "first_name": "X"}]},
    )
    listed = api.call("get", f"/webinars/{webinar.meeting_id}/registrants?page_size=300").json()

    assert answer.status_code == 201
    assert_valid(response_schema("/webinars/{webinarId}/batch_registrants", "post", "201"), answer.json())
    links = {item["join_url"] for item in answer.json()["registrants"]}
    assert len(links) == 30
    assert too_many.status_code == 400
    assert listed["total_records"] == 30
    assert_valid(response_schema("/webinars/{webinarId}/registrants", "get", "200"), listed)


def test_webinar_polls_and_what_is_left_after_it(api, webinar, captured):
    poll = api.call(
        "post",
        f"/webinars/{webinar.meeting_id}/polls",
        {"title": "Check", "questions": [{"name": "Here?", "type": "single", "answers": ["Yes", "No"]}]},
    )
    assert poll.status_code == 201
    assert_valid(response_schema("/webinars/{webinarId}/polls", "post", "201"), poll.json())
    registrant = services.registrant_add(meeting=webinar, email="s@example.com", first_name="Sue", auto_approve=True)
    services.participant_join(meeting=webinar, registrant=registrant)
    services.participant_join(meeting=webinar, name="Guest", email="")
    participant = webinar.instances.get().participants.get(registrant=registrant)
    services.poll_answer(participant=participant, poll=webinar.polls.get())
    services.meeting_end(meeting=webinar)
    uuid = uuid_in_path(webinar.instances.get().uuid)

    participants = api.call("get", f"/past_webinars/{uuid}/participants").json()
    results = api.call("get", f"/past_webinars/{uuid}/polls").json()
    as_meeting = api.call("get", f"/past_meetings/{uuid}/participants")

    assert [row["name"] for row in participants["participants"]] == ["Sue", "Guest"]
    assert_valid(response_schema("/past_webinars/{webinarId}/participants", "get", "200"), participants)
    assert results["questions"][0]["email"] == "s@example.com"
    assert as_meeting.status_code == 404
    assert [request.event for request in captured] == [
        "webinar.started",
        "webinar.participant_joined",
        "webinar.participant_joined",
        "webinar.participant_left",
        "webinar.participant_left",
        "webinar.ended",
    ]
    for request in captured:
        assert_valid(webhook_schema("meetings-webhooks.openapi.json", request.event), request.payload)
    assert api.call("delete", f"/webinars/{webinar.meeting_id}/polls/{poll.json()['id']}").status_code == 204


def test_converting_keeps_the_id_and_moves_it_to_the_other_endpoints(api, zoom_user, captured):
    meeting = services.meeting_create(host=zoom_user, topic="Exam prep", count_against_limit=False)

    services.meeting_convert(meeting=meeting, kind=constants.KIND_WEBINAR)
    as_webinar = api.call("get", f"/webinars/{meeting.meeting_id}")
    services.meeting_convert(meeting=meeting, kind=constants.KIND_MEETING)

    assert as_webinar.status_code == 200 and as_webinar.json()["type"] == 5
    assert api.call("get", f"/meetings/{meeting.meeting_id}").json()["type"] == 2
    assert [request.event for request in captured] == ["meeting.converted_to_webinar", "webinar.converted_to_meeting"]
    for request in captured:
        assert_valid(webhook_schema("meetings-webhooks.openapi.json", request.event), request.payload)


def test_webinar_calls_need_webinar_scopes(client, zoom_user):
    tokens = services.grant_issue(user=zoom_user, scopes=["meeting:write:meeting"])
    answer = client.post(
        "/zoomsim/v2/users/me/webinars",
        data=webinar_body(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )

    assert answer.status_code == 401
    assert answer.json()["code"] == 4700
