"""Polls answered in the control room come back as Zoom's past poll results (GET /past_meetings/{uuid}/polls)."""

import pytest

from zoom_simulator import constants, services
from zoom_simulator.models import PollResponse
from zoom_simulator.tests.test_api import uuid_in_path

QUESTIONS = [{"name": "Still with us?", "type": "single", "answers": ["Yes", "No"]}]


@pytest.fixture
def live(meeting):
    registrant = services.registrant_add(meeting=meeting, email="ada@example.com", first_name="Ada", auto_approve=True)
    services.participant_join(meeting=meeting, registrant=registrant)
    services.participant_join(meeting=meeting, name="Juan's iPad", email="")
    poll = services.poll_create(meeting=meeting, title="Attendance check", questions=QUESTIONS)
    instance = meeting.instances.get()
    ada, juan = instance.participants.order_by("pk")
    return {"instance": instance, "poll": poll, "ada": ada, "juan": juan}


def test_answers_given_in_the_meeting_are_listed_per_respondent_after_it_ends(api, meeting, live):
    services.poll_answer(participant=live["ada"], poll=live["poll"])
    services.poll_answer(participant=live["juan"], poll=live["poll"], answers={"Still with us?": "No"})
    second = services.poll_create(meeting=meeting, title="Quiz", questions=QUESTIONS)
    services.poll_answer(participant=live["ada"], poll=second, answers={"Still with us?": "No"})
    services.meeting_end(meeting=meeting)

    body = api.call("get", f"/past_meetings/{uuid_in_path(live['instance'].uuid)}/polls").json()

    assert (body["id"], body["uuid"]) == (meeting.meeting_id, live["instance"].uuid)
    ada, juan = body["questions"]
    assert (ada["name"], ada["email"]) == ("Ada", "ada@example.com")
    assert [(d["polling_id"], d["question"], d["answer"]) for d in ada["question_details"]] == [
        (live["poll"].poll_id, "Still with us?", "Yes"),
        (second.poll_id, "Still with us?", "No"),
    ]
    assert ada["question_details"][0]["date_time"].endswith("Z")
    assert (juan["name"], juan["email"], juan["question_details"][0]["answer"]) == ("Juan's iPad", "", "No")
    # By meeting id: the latest ended instance, as Zoom resolves ids.
    assert api.call("get", f"/past_meetings/{meeting.meeting_id}/polls").json()["uuid"] == live["instance"].uuid


def test_answering_again_replaces_the_answer_and_only_present_participants_answer(meeting, live):
    services.poll_answer(participant=live["ada"], poll=live["poll"])
    services.poll_answer(participant=live["ada"], poll=live["poll"], answers={"Still with us?": "No"})
    assert PollResponse.objects.get().answers == [{"question": "Still with us?", "answer": "No"}]

    with pytest.raises(ValueError, match="not an answer"):
        services.poll_answer(participant=live["ada"], poll=live["poll"], answers={"Still with us?": "Maybe"})
    services.participant_leave(participant=live["juan"])
    with pytest.raises(ValueError, match="not in the meeting"):
        services.poll_answer(participant=live["juan"], poll=live["poll"])


def test_a_live_meeting_has_no_past_poll_results_yet_and_the_scope_is_required(api, meeting, live, tokens):
    assert api.call("get", f"/past_meetings/{uuid_in_path(live['instance'].uuid)}/polls").json()["code"] == 3001

    services.meeting_end(meeting=meeting)
    grant = live["instance"].meeting.host.grants.get()
    grant.scopes = [scope for scope in grant.scopes if scope != "meeting:read:list_poll_results"]
    grant.save()
    answer = api.call("get", f"/past_meetings/{uuid_in_path(live['instance'].uuid)}/polls")
    assert answer.status_code == 401 and answer.json()["code"] == constants.CODE_MISSING_SCOPE


def test_an_anonymous_polls_respondents_are_anonymous(api, meeting, live):
    anonymous = services.poll_create(meeting=meeting, title="Mood", questions=QUESTIONS, anonymous=True)
    services.poll_answer(participant=live["ada"], poll=anonymous)
    services.meeting_end(meeting=meeting)

    [respondent] = api.call("get", f"/past_meetings/{meeting.meeting_id}/polls").json()["questions"]

    assert (respondent["name"], respondent["email"]) == ("Anonymous Attendee", "")


def test_the_control_room_lets_a_present_participant_answer_a_poll(client, meeting, live):
    page = client.get(f"/zoomsim/control/meetings/{meeting.meeting_id}/").content.decode()
    assert 'value="answer_poll"' in page and "Attendance check" in page

    response = client.post(
        f"/zoomsim/control/meetings/{meeting.meeting_id}/action/",
        {"action": "answer_poll", "participant": live["ada"].pk, "poll": live["poll"].pk},
    )

    assert response.status_code == 302
    assert PollResponse.objects.get().participant == live["ada"]
