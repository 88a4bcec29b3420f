"""Push a poll (guide: "Push a poll to the meeting"), with Zoom faked at the transport so our client runs."""

import html
import json

import pytest
import responses

from tests.factories import ClassSessionFactory, CourseFactory
from zoom_integration.content import polls
from zoom_integration.models import ZoomPoll

from .conftest import API, calls_to
from .feature_helpers import MEETING_ID, class_meeting, connect
from .openapi import assert_matches_zoom_openapi

POLLS_URL = f"{API}/meetings/{MEETING_ID}/polls"
NO_POLLS = {"total_records": 0, "polls": []}


def zoom_poll(poll_id="QalIoKWLTJehBJ8e1xRrbQ", title="Warm-up", status="notstart", answers=("Agile", "Waterfall")):
    """A poll as POST (201) and GET /meetings/{id}/polls return it (API-FACTS 5)."""
    return {
        "id": poll_id,
        "status": status,
        "anonymous": False,
        "poll_type": 1,
        "title": title,
        "questions": [
            {"name": "Which approach fits?", "type": "single", "answer_required": True, "answers": list(answers)}
        ],
    }


@pytest.fixture
def meeting(class_session, organization):
    connect(organization)
    return class_meeting(class_session)


def page_text(response):
    return html.unescape(response.content.decode())


def push(client, class_session, **fields):
    data = {"title": "Warm-up", "question": "Which approach fits?", "answers": "Agile\nWaterfall"}
    data.update(fields)
    return client.post(f"/courses/classes/{class_session.pk}/zoom/polls/", data)


@pytest.mark.django_db
def test_push_to_zoom_sends_one_single_choice_question_with_the_answers_cleaned(
    trainer_client, class_session, meeting, zoom
):
    zoom.add(responses.POST, POLLS_URL, json=zoom_poll(answers=("Agile", "Waterfall", "Hybrid")), status=201)

    response = push(
        trainer_client, class_session, title="  Warm-up ", answers="\n  Agile \n\nWaterfall\n   \nHybrid  \n"
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"/courses/classes/{class_session.pk}/zoom/#polls")
    [call] = calls_to(zoom, POLLS_URL)
    assert call.request.method == "POST"
    assert json.loads(call.request.body) == {
        "title": "Warm-up",
        "poll_type": 1,
        "anonymous": False,
        "questions": [
            {
                "name": "Which approach fits?",
                "type": "single",
                "answer_required": True,
                "answers": ["Agile", "Waterfall", "Hybrid"],
            }
        ],
    }
    assert_matches_zoom_openapi(call.request)
    zoom.add(responses.GET, POLLS_URL, json={"total_records": 1, "polls": [zoom_poll()]})
    page = trainer_client.get(response["Location"])
    assert "Poll “Warm-up” pushed to Zoom." in page_text(page)


@pytest.mark.django_db
def test_the_page_lists_the_polls_zoom_has_including_those_added_in_zoom(trainer_client, class_session, meeting, zoom):
    added_in_zoom = zoom_poll(
        poll_id="zoomWebPoll1", title="Made in the Zoom portal", status="ended", answers=("Yes", "No")
    )
    zoom.add(responses.GET, POLLS_URL, json={"total_records": 2, "polls": [zoom_poll(), added_in_zoom]})

    page = trainer_client.get(f"/courses/classes/{class_session.pk}/zoom/")

    [call] = calls_to(zoom, POLLS_URL)
    assert call.request.method == "GET"
    assert_matches_zoom_openapi(call.request)
    text = page_text(page)
    assert "Warm-up" in text and "Made in the Zoom portal" in text
    assert "Agile · Waterfall" in text and "Ended" in text
    assert f"/courses/classes/{class_session.pk}/zoom/polls/zoomWebPoll1/delete/" in text


@pytest.mark.django_db
def test_delete_removes_the_poll_on_zoom(trainer_client, class_session, meeting, zoom):
    poll_url = f"{POLLS_URL}/QalIoKWLTJehBJ8e1xRrbQ"
    zoom.add(responses.DELETE, poll_url, status=204)

    response = trainer_client.post(f"/courses/classes/{class_session.pk}/zoom/polls/QalIoKWLTJehBJ8e1xRrbQ/delete/")

    assert response.status_code == 302
    [call] = calls_to(zoom, poll_url)
    assert call.request.method == "DELETE"
    assert_matches_zoom_openapi(call.request)
    zoom.add(responses.GET, POLLS_URL, json=NO_POLLS)
    assert "Poll deleted on Zoom." in page_text(trainer_client.get(response["Location"]))


@pytest.mark.django_db
def test_deleting_a_poll_zoom_no_longer_has_says_so(trainer_client, class_session, meeting, zoom):
    zoom.add(
        responses.DELETE, f"{POLLS_URL}/gone", status=404, json={"code": 404, "message": "Meeting poll not found."}
    )
    zoom.add(responses.GET, POLLS_URL, json=NO_POLLS)

    response = trainer_client.post(f"/courses/classes/{class_session.pk}/zoom/polls/gone/delete/", follow=True)

    assert "Zoom no longer had this poll." in page_text(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "   "}, "Enter a poll title."),
        ({"title": "T" * 65}, "Zoom allows poll titles of at most 64 characters; this one has 65."),
        ({"question": ""}, "Enter the question."),
        ({"question": "Q" * 1025}, "Zoom allows questions of at most 1,024 characters; this one has 1,025."),
        ({"answers": "Agile\n\n   \n"}, "Enter at least two answers, one per line."),
        (
            {"answers": "\n".join(f"Answer {number}" for number in range(1, 12))},
            "Zoom allows at most 10 answers to a single-choice question; this poll has 11.",
        ),
        ({"answers": "Yes\n yes \nNo"}, "Each answer must be different: “Yes” appears more than once."),
    ],
)
def test_each_broken_rule_is_named_nothing_is_sent_and_the_form_keeps_the_text(
    trainer_client, class_session, meeting, zoom, fields, message
):
    zoom.add(responses.GET, POLLS_URL, json=NO_POLLS)

    response = push(trainer_client, class_session, **fields)

    assert response.status_code == 400
    assert not [call for call in zoom.calls if call.request.method == "POST"]
    text = page_text(response)
    assert message in text
    [form] = [
        section["context"]["form"]
        for section in response.context["sections"]
        if section["template"].endswith("_polls.html")
    ]
    typed = {"title": "Warm-up", "question": "Which approach fits?", "answers": "Agile\nWaterfall", **fields}
    assert {name: form[name].value() for name in typed} == typed


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            400,
            {
                "code": 4400,
                "message": "Meeting polls disabled. To enable this feature, enable the Meeting Polls/Quizzes setting.",
            },
            "Zoom refused the poll because polls are turned off for this Zoom account.",
        ),
        (
            400,
            {"code": 300, "message": "Validation Failed.", "errors": [{"field": "title", "message": "Invalid field."}]},
            "Zoom refused the poll as invalid (Validation Failed.). Check it and try again.",
        ),
        (
            400,
            {"code": 3161, "message": "User is not allowed to host."},
            "the connected Zoom user may not host meetings",
        ),
        (
            401,
            {"code": 4700, "message": "Invalid access token, does not contain scopes:[meeting:write:poll]."},
            "Zoom did not grant CohortStudio the permission meeting:write:poll.",
        ),
        (404, {"code": 3001, "message": "Meeting does not exist: 97763643886."}, "Zoom no longer has this meeting"),
    ],
)
def test_a_zoom_refusal_is_shown_in_plain_words_and_the_form_keeps_the_text(
    trainer_client, class_session, meeting, zoom, status, body, message
):
    zoom.add(responses.POST, POLLS_URL, json=body, status=status)
    zoom.add(responses.GET, POLLS_URL, json=NO_POLLS)

    response = push(trainer_client, class_session, title="Kick-off check", answers="Ready\nNot yet")

    assert response.status_code == 400
    text = page_text(response)
    assert message in text
    assert 'value="Kick-off check"' in text and "Ready\nNot yet" in text


@pytest.mark.django_db
def test_without_the_poll_scope_the_section_says_which_permission_is_missing(
    trainer_client, class_session, organization, zoom
):
    connect(organization, scopes="user:read:user meeting:write:meeting meeting:read:meeting")
    class_meeting(class_session)

    text = page_text(trainer_client.get(f"/courses/classes/{class_session.pk}/zoom/"))

    assert (
        "Zoom did not grant CohortStudio the permission meeting:delete:poll, meeting:read:list_polls, meeting:write:poll"
        in text
    )
    assert "Push to Zoom" not in text
    assert not zoom.calls


@pytest.mark.django_db
def test_another_organizations_class_gives_404_and_nothing_is_sent(owner_client, other_organization, zoom):
    other_class = ClassSessionFactory(course=CourseFactory(organization=other_organization))
    connect(other_organization)
    class_meeting(other_class)

    assert push(owner_client, other_class).status_code == 404
    assert owner_client.post(f"/courses/classes/{other_class.pk}/zoom/polls/abc/delete/").status_code == 404
    assert not zoom.calls


def test_answers_are_read_one_per_line_without_blanks_or_surrounding_spaces():
    assert polls.answers_from_lines(" Yes \r\n\r\n  No\n\t\nMaybe ") == ["Yes", "No", "Maybe"]
    draft = polls.poll_draft_check(title=" T ", question=" Q ", answers=[" a ", "", "b"])
    assert draft == polls.PollDraft(title="T", question="Q", answers=("a", "b"))


@pytest.mark.django_db
def test_the_page_asks_zoom_for_polls_once_when_zoom_is_down(trainer_client, meeting, zoom, no_backoff_sleep):
    zoom.add(responses.GET, POLLS_URL, json={"code": 500, "message": "Internal error"}, status=500)
    page = trainer_client.get(f"/courses/classes/{meeting.class_session_id}/zoom/")
    assert page.status_code == 200
    assert len([call for call in zoom.calls if call.request.url.startswith(POLLS_URL)]) == 1
    assert no_backoff_sleep == []


@pytest.mark.django_db
def test_a_poll_marked_attendance_check_is_remembered_and_badged_on_the_list(
    trainer_client, class_session, meeting, zoom
):
    zoom.add(responses.POST, POLLS_URL, json=zoom_poll(poll_id="ChEcK1234567890abcdefg"), status=201)

    response = push(trainer_client, class_session, attendance_check="on")

    assert response.status_code == 302
    [call] = calls_to(zoom, POLLS_URL)
    assert "attendance" not in call.request.body.decode()  # ours, not Zoom's
    assert_matches_zoom_openapi(call.request)
    poll = ZoomPoll.objects.get()
    assert (poll.zoom_meeting_id, poll.poll_id, poll.title, poll.attendance_check, poll.pushed_from) == (
        MEETING_ID,
        "ChEcK1234567890abcdefg",
        "Warm-up",
        True,
        meeting,
    )
    zoom.add(
        responses.GET,
        POLLS_URL,
        json={
            "total_records": 2,
            "polls": [zoom_poll(poll_id="ChEcK1234567890abcdefg"), zoom_poll(title="Added in Zoom")],
        },
    )
    page = page_text(trainer_client.get(response["Location"]))
    assert "Attendance-check poll “Warm-up” pushed to Zoom." in page
    listed = page.split('id="poll-list"')[1]
    assert listed.split("Added in Zoom")[0].count("Attendance check") == 1
    assert 'name="attendance_check"' in page and "Attendance check" in page


@pytest.mark.django_db
def test_a_poll_not_marked_is_remembered_as_no_attendance_check(trainer_client, class_session, meeting, zoom):
    zoom.add(responses.POST, POLLS_URL, json=zoom_poll(), status=201)

    push(trainer_client, class_session)

    assert ZoomPoll.objects.get().attendance_check is False
