import datetime
from urllib.parse import quote

import pytest
from django.utils import timezone

from zoom_simulator import constants, services
from zoom_simulator.models import DailyCounter

FUTURE = (timezone.now() + datetime.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meeting_body(**overrides):
    return {
        "topic": "ISO 9001 auditor, day 1",
        "type": 2,
        "start_time": FUTURE,
        "duration": 90,
        "timezone": "Europe/Berlin",
        "password": "abc123",
        "settings": {"approval_type": 1, "waiting_room": True, "auto_recording": "cloud"},
        **overrides,
    }


def uuid_in_path(uuid):
    """A meeting instance uuid as Zoom wants it in a path: encoded twice when it starts with "/" or holds "//"."""
    encoded = quote(uuid, safe="")
    return quote(encoded, safe="") if uuid.startswith("/") or "//" in uuid else encoded


def ended_meeting_with_attendance(meeting, *, participants=1):
    for index in range(participants):
        services.participant_join(meeting=meeting, name=f"Guest {index}", email=f"guest{index}@example.com")
    services.meeting_end(meeting=meeting)
    return meeting.instances.get()


def test_missing_unknown_and_revoked_tokens_get_124(client, api, zoom_user, captured):
    missing = client.get("/zoomsim/v2/users/me")
    unknown = client.get("/zoomsim/v2/users/me", headers={"Authorization": "Bearer nope"})
    services.app_uninstall(user=zoom_user)
    revoked = api.call("get", "/users/me")

    assert missing.status_code == 401 and missing.json()["code"] == 124
    assert unknown.json() == {"code": 124, "message": "Invalid access token."}
    assert revoked.status_code == 401 and revoked.json()["code"] == 124


def test_missing_scope_gets_4700(client, zoom_user):
    tokens = services.grant_issue(user=zoom_user, scopes=["user:read:user"])

    response = client.post(
        "/zoomsim/v2/users/me/meetings",
        data=meeting_body(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )

    assert response.status_code == 401
    assert response.json()["code"] == 4700
    assert "meeting:write:meeting" in response.json()["message"]


def test_users_me(api, zoom_user):
    body = api.call("get", "/users/me").json()

    assert body["id"] == zoom_user.zoom_user_id
    assert body["account_id"] == zoom_user.account_id
    assert body["email"] == "trainer@example.com"
    assert body["type"] == constants.USER_TYPE_LICENSED


def test_another_user_id_is_refused_for_a_user_level_app(api):
    assert api.call("get", "/users/someone@example.com").json()["code"] == 4700


def test_meeting_create_get_update_delete(api, captured):
    created = api.call("post", "/users/me/meetings", meeting_body())

    assert created.status_code == 201
    meeting = created.json()
    assert isinstance(meeting["id"], int) and len(str(meeting["id"])) == 11
    assert meeting["start_time"] == FUTURE and meeting["timezone"] == "Europe/Berlin"
    assert meeting["settings"]["approval_type"] == 1 and meeting["registration_url"]
    assert meeting["status"] == "waiting" and meeting["password"] == "abc123"

    fetched = api.call("get", f"/meetings/{meeting['id']}").json()
    assert fetched["uuid"] == meeting["uuid"] and fetched["topic"] == meeting["topic"]

    updated = api.call("patch", f"/meetings/{meeting['id']}", {"topic": "Day 1 (moved)", "duration": 120})
    assert updated.status_code == 204 and updated.content == b""
    assert api.call("get", f"/meetings/{meeting['id']}").json()["duration"] == 120
    assert captured[-1].event == "meeting.updated"
    assert captured[-1].payload["payload"]["object"] == {"id": meeting["id"], "topic": "Day 1 (moved)", "duration": 120}
    assert captured[-1].payload["payload"]["old_object"]["duration"] == 90

    assert api.call("delete", f"/meetings/{meeting['id']}").status_code == 204
    assert captured[-1].event == "meeting.deleted"
    gone = api.call("get", f"/meetings/{meeting['id']}")
    assert gone.status_code == 404
    assert gone.json() == {"code": 3001, "message": f"Meeting does not exist: {meeting['id']}."}
    assert api.call("delete", f"/meetings/{meeting['id']}").json()["code"] == 3001


def test_local_start_time_is_read_in_the_meeting_timezone(api):
    body = meeting_body(start_time="2099-06-01T10:00:00", timezone="Europe/Berlin")

    assert api.call("post", "/users/me/meetings", body).json()["start_time"] == "2099-06-01T08:00:00Z"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"topic": "x" * 201}, "topic"),
        ({"type": 5}, "type"),
        ({"duration": 0}, "duration"),
        ({"password": "12345678901"}, "password"),
        ({"start_time": "2099-06-01T10:00:00+00:00"}, "start_time"),
        ({"settings": {"approval_type": 7}}, "settings.approval_type"),
        ({"settings": {"waiting_room": "yes"}}, "settings.waiting_room"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_invalid_meeting_bodies_get_300(api, body, field):
    response = api.call("post", "/users/me/meetings", meeting_body(**body))

    assert response.status_code == 400
    assert response.json()["code"] == 300 and response.json()["message"] == "Validation Failed."
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_malformed_json_gets_300(client, api):
    response = client.post(
        "/zoomsim/v2/users/me/meetings", data="{nope", content_type="application/json", headers=api.headers
    )

    assert response.status_code == 400
    assert response.json() == {"code": 300, "message": "Request Body should be a valid JSON object."}


def test_unknown_and_foreign_meetings_get_3001(api, db):
    other = services.user_get_or_create(email="other@example.com", first_name="O", last_name="Ther")
    foreign = services.meeting_create(host=other, topic="Not yours", count_against_limit=False)

    assert api.call("get", "/meetings/12345678901").json()["code"] == 3001
    assert api.call("get", f"/meetings/{foreign.meeting_id}").status_code == 404


def test_daily_meeting_create_update_limit(api, zoom_user):
    DailyCounter.objects.create(
        key=f"meeting-write:{zoom_user.zoom_user_id}",
        day=timezone.now().astimezone(datetime.UTC).date(),
        count=constants.MEETING_CREATE_UPDATE_PER_DAY,
    )

    response = api.call("post", "/users/me/meetings", meeting_body())

    assert response.status_code == 429
    assert response.json()["code"] == 429
    assert "daily rate limit (100) of Meeting Create/Update" in response.json()["message"]
    retry_at = datetime.datetime.strptime(response["Retry-After"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    assert retry_at > timezone.now() and (retry_at.hour, retry_at.minute) == (0, 0)
    assert response["X-RateLimit-Type"] == "Daily-limit"


def test_registrant_add_manual_approval_omits_join_url_unless_auto_approved(api, meeting):
    path = f"/meetings/{meeting.meeting_id}/registrants"
    pending = api.call("post", path, {"email": "a@example.com", "first_name": "Ann"})
    approved = api.call("post", path, {"email": "b@example.com", "first_name": "Ben", "auto_approve": True})

    assert pending.status_code == 201 and "join_url" not in pending.json()
    assert approved.status_code == 201
    assert approved.json()["join_url"].startswith("http") and approved.json()["id"] == meeting.meeting_id
    assert approved.json()["registrant_id"]


def test_registrant_add_validation_and_registration_disabled(api, zoom_user):
    no_registration = services.meeting_create(host=zoom_user, topic="Open", count_against_limit=False)
    meeting = services.meeting_create(host=zoom_user, settings_values={"approval_type": 0}, count_against_limit=False)

    invalid = api.call("post", f"/meetings/{meeting.meeting_id}/registrants", {"email": "not-an-email"})
    disabled = api.call(
        "post", f"/meetings/{no_registration.meeting_id}/registrants", {"email": "a@example.com", "first_name": "A"}
    )

    assert invalid.status_code == 400
    assert {error["field"] for error in invalid.json()["errors"]} == {"email", "first_name"}
    assert disabled.status_code == 400 and disabled.json()["code"] == 404


def test_registrant_add_limit_is_three_per_registrant_per_day(api, meeting):
    path = f"/meetings/{meeting.meeting_id}/registrants"
    body = {"email": "repeat@example.com", "first_name": "Rita", "auto_approve": True}

    answers = [api.call("post", path, body) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [201, 201, 201, 429]
    assert len({answer.json()["registrant_id"] for answer in answers[:3]}) == 1
    assert '"3"' in answers[3].json()["message"] and "repeat@example.com" in answers[3].json()["message"]
    assert answers[3]["Retry-After"].endswith("T00:00:00Z")


def test_batch_registrants(api, meeting, zoom_user):
    path = f"/meetings/{meeting.meeting_id}/batch_registrants"
    people = [{"email": f"s{index}@example.com", "first_name": f"S{index}"} for index in range(30)]
    recurring = services.meeting_create(
        host=zoom_user,
        type=8,
        recurrence={"type": 1, "end_times": 3},
        settings_values={"approval_type": 0},
        count_against_limit=False,
    )

    ok = api.call("post", path, {"auto_approve": True, "registrants": people})
    too_many = api.call("post", path, {"registrants": people + [{"email": "x@example.com", "first_name": "X"}]})
    wrong_type = api.call("post", f"/meetings/{recurring.meeting_id}/batch_registrants", {"registrants": people[:1]})

    assert ok.status_code == 201
    assert len(ok.json()["registrants"]) == 30 and all(item["join_url"] for item in ok.json()["registrants"])
    assert too_many.status_code == 400 and too_many.json()["code"] == 300
    assert too_many.json()["errors"][0]["field"] == "registrants"
    assert wrong_type.status_code == 400 and wrong_type.json()["code"] == 303


def test_registrant_list_status_filter_and_pagination(api, meeting):
    services.registrants_batch_add(
        meeting=meeting,
        registrants=[{"email": f"p{index}@example.com", "first_name": f"P{index}"} for index in range(5)],
        auto_approve=True,
    )
    services.registrant_add(meeting=meeting, email="wait@example.com", first_name="Wait")
    path = f"/meetings/{meeting.meeting_id}/registrants"

    first = api.call("get", path, data={"page_size": 2}).json()
    second = api.call("get", path, data={"page_size": 2, "next_page_token": first["next_page_token"]}).json()
    pending = api.call("get", path, data={"status": "pending"}).json()

    assert first["total_records"] == 5 and first["page_count"] == 3 and len(first["registrants"]) == 2
    assert first["next_page_token"]
    assert [r["email"] for r in second["registrants"]] == ["p2@example.com", "p3@example.com"]
    assert [r["email"] for r in pending["registrants"]] == ["wait@example.com"]
    assert pending["registrants"][0]["status"] == "pending"


def test_registrant_status_update(api, meeting):
    registrant = services.registrant_add(meeting=meeting, email="c@example.com", first_name="Cy", auto_approve=True)
    path = f"/meetings/{meeting.meeting_id}/registrants/status"

    cancel = api.call("put", path, {"action": "cancel", "registrants": [{"id": registrant.registrant_id}]})
    approve = api.call("put", path, {"action": "approve", "registrants": [{"email": "C@example.com"}]})
    invalid = api.call("put", path, {"action": "remove"})
    too_many = api.call("put", path, {"action": "deny", "registrants": [{"id": "x"}] * 31})

    assert cancel.status_code == 204
    assert approve.status_code == 204
    registrant.refresh_from_db()
    assert registrant.status == "approved"
    assert invalid.status_code == 400 and invalid.json()["errors"][0]["field"] == "action"
    assert too_many.status_code == 400 and too_many.json()["code"] == 300


def test_polls_create_list_delete(api, meeting):
    path = f"/meetings/{meeting.meeting_id}/polls"
    body = {"title": "Quick check", "questions": [{"name": "Ready?", "type": "single", "answers": ["Yes", "No"]}]}

    created = api.call("post", path, body)
    listed = api.call("get", path).json()
    deleted = api.call("delete", f"{path}/{created.json()['id']}")
    missing = api.call("delete", f"{path}/{created.json()['id']}")

    assert created.status_code == 201 and created.json()["status"] == "notstart"
    assert listed["total_records"] == 1 and listed["polls"][0]["title"] == "Quick check"
    assert deleted.status_code == 204
    assert missing.status_code == 404 and missing.json() == {"code": 404, "message": "Meeting poll not found."}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "t" * 65}, "title"),
        ({"questions": [{"name": "q" * 1025, "type": "single", "answers": ["a", "b"]}]}, "questions[0].name"),
        ({"questions": [{"name": "Q", "type": "single", "answers": ["only"]}]}, "questions[0].answers"),
        (
            {"questions": [{"name": "Q", "type": "single", "answers": [str(number) for number in range(11)]}]},
            "questions[0].answers",
        ),
    ],
)
def test_invalid_polls_get_300(api, meeting, change, field):
    body = {"title": "Poll", "questions": [{"name": "Q", "type": "single", "answers": ["a", "b"]}], **change}

    response = api.call("post", f"/meetings/{meeting.meeting_id}/polls", body)

    assert response.status_code == 400 and response.json()["code"] == 300
    assert response.json()["errors"][0]["field"] == field


def test_summary_is_404_until_ready_then_readable_then_trashed(api, meeting, captured):
    instance = ended_meeting_with_attendance(meeting)
    path = f"/meetings/{uuid_in_path(instance.uuid)}/meeting_summary"

    before = api.call("get", path)
    services.summary_make_ready(meeting=meeting)
    ready = api.call("get", path)
    deleted = api.call("delete", path)
    after = api.call("get", path)

    assert before.status_code == 404 and before.json()["code"] == 3001
    assert ready.status_code == 200
    assert ready.json()["meeting_uuid"] == instance.uuid and ready.json()["summary_content"].startswith("## ")
    assert captured[-1].event == "meeting.summary_completed"
    assert deleted.status_code == 204
    assert after.status_code == 403 and after.json()["code"] == 2305


@pytest.mark.parametrize("style", [constants.UUID_STYLE_LEADING_SLASH, constants.UUID_STYLE_DOUBLE_SLASH])
def test_uuids_with_slashes_must_be_double_encoded(api, meeting, captured, style):
    services.meeting_start(meeting=meeting, uuid_style=style)
    services.meeting_end(meeting=meeting)
    services.summary_make_ready(meeting=meeting)
    uuid = meeting.instances.get().uuid
    assert uuid.startswith("/") or "//" in uuid

    single = api.call("get", f"/meetings/{quote(uuid, safe='')}/meeting_summary")
    double = api.call("get", f"/meetings/{quote(quote(uuid, safe=''), safe='')}/meeting_summary")

    assert single.status_code == 404 and single.json()["code"] == 3001
    assert double.status_code == 200 and double.json()["meeting_uuid"] == uuid


def test_recordings_by_id_and_uuid_then_trashed(api, meeting, captured):
    instance = ended_meeting_with_attendance(meeting)
    path_by_id = f"/meetings/{meeting.meeting_id}/recordings"

    assert api.call("get", path_by_id).json()["code"] == 3301
    services.recordings_make_ready(meeting=meeting)
    by_id = api.call("get", path_by_id).json()
    by_uuid = api.call("get", f"/meetings/{uuid_in_path(instance.uuid)}/recordings").json()
    completed = captured[-1].payload
    services.recordings_remove(meeting=meeting)
    trashed = api.call("get", path_by_id)

    assert by_id == by_uuid
    assert by_id["recording_count"] == 3 and by_id["password"] and by_id["recording_play_passcode"]
    assert {item["file_type"] for item in by_id["recording_files"]} == {"MP4", "M4A", "CHAT"}
    assert completed["event"] == "recording.completed" and completed["download_token"]
    assert completed["payload"]["object"]["recording_files"][0]["play_url"].startswith("http")
    assert captured[-1].event == "recording.trashed"
    assert trashed.status_code == 404
    assert trashed.json() == {"code": 3301, "message": "There is no recording for this meeting."}


def test_past_participants_paginated(api, meeting, captured):
    registrant = services.registrant_add(meeting=meeting, email="r@example.com", first_name="Rae", auto_approve=True)
    services.participant_join(meeting=meeting, registrant=registrant)
    instance = ended_meeting_with_attendance(meeting, participants=2)
    path = f"/past_meetings/{meeting.meeting_id}/participants"

    first = api.call("get", path, data={"page_size": 2}).json()
    second = api.call("get", path, data={"page_size": 2, "next_page_token": first["next_page_token"]}).json()
    by_uuid = api.call("get", f"/past_meetings/{uuid_in_path(instance.uuid)}/participants").json()

    assert first["total_records"] == 3 and len(first["participants"]) == 2 and second["next_page_token"] == ""
    rae = first["participants"][0]
    assert rae["registrant_id"] == registrant.registrant_id and rae["user_email"] == "r@example.com"
    assert isinstance(rae["duration"], int)
    assert "registrant_id" not in second["participants"][0]
    assert by_uuid["total_records"] == 3
    assert api.call("get", "/past_meetings/12345678901/participants").json()["code"] == 3001


def test_injected_faults_answer_the_next_calls(api, settings):
    settings.ZOOM_SIMULATOR_TIMEOUT_SECONDS = 0
    services.faults_inject(kind="429", count=2)
    services.faults_inject(kind="500", count=1)
    services.faults_inject(kind="timeout", count=1)

    answers = [api.call("get", "/users/me") for _ in range(5)]

    assert [answer.status_code for answer in answers] == [429, 429, 500, 504, 200]
    assert answers[0].json()["code"] == 429 and answers[0]["Retry-After"] == "1"
