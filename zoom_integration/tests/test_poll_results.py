"""Poll answers fetched after a meeting instance ends (GET /past_meetings/{uuid}/polls), kept as evidence."""

import json
import logging
from datetime import timedelta

import pytest
import responses

from evidence.models import PollAnswer, PollCheck
from tests.factories import ClassSessionFactory, RegistrationFactory
from zoom_integration.content.poll_results import poll_results_fetch
from zoom_integration.models import ZoomMeeting, ZoomPoll

from .conftest import ALL_SCOPES, API, calls_to
from .openapi import assert_matches_zoom_openapi
from .zoom_events import (  # noqa: F401  (fixtures)
    RUN_1,
    STARTS_AT,
    ZoomEvents,
    at,
    class_with_meeting,
    deliver,
    pre_registered,
    zoom_time,
)

# An instance uuid holding "//": Zoom wants it encoded twice in the path (API-FACTS 0).
DOUBLE_SLASH_UUID = "4f1Pn//nQ5mTtcv8O0ZB9Q=="
ENCODED_TWICE = "4f1Pn%252F%252FnQ5mTtcv8O0ZB9Q%253D%253D"
CHECK_POLL = "QalIoKWLTJehBJ8e1xRrbQ"
ZOOM_ONLY_POLL = "Zx9mYtUvWq2rSaB4cDeFgH"
WITHOUT_POLL_RESULTS = " ".join(scope for scope in ALL_SCOPES.split() if scope != "meeting:read:list_poll_results")


def polls_url(uuid):
    return f"{API}/past_meetings/{uuid}/polls"


def respondent(*, email, name, answers):
    """One item of Zoom's `questions`: a respondent and their answers (listPastMeetingPolls, API-FACTS 5)."""
    return {
        "email": email,
        "name": name,
        "question_details": [
            {"answer": answer, "date_time": zoom_time(moment), "polling_id": poll_id, "question": question}
            for poll_id, question, answer, moment in answers
        ],
    }


def poll_results_body(meeting, uuid, respondents):
    return {"id": meeting.zoom_meeting_id, "uuid": uuid, "start_time": zoom_time(STARTS_AT), "questions": respondents}


def checked(zoom, url, body):
    """Zoom's answer at `url`, every request first checked against Zoom's OpenAPI document."""

    def answer(request):
        assert_matches_zoom_openapi(request)
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    zoom.add_callback(responses.GET, url, callback=answer)


@pytest.fixture
def polled_class(organization):
    connection, class_session, meeting = class_with_meeting(organization=organization, scopes=ALL_SCOPES.split())
    ada = pre_registered(
        meeting, registrant_id="kLmN0pQrStUvWx-Ada", first_name="Ada", last_name="Lovelace", email="ada@example.com"
    )
    grace = RegistrationFactory(
        class_session=class_session, first_name="Grace", last_name="Hopper", email="Grace.Hopper@Example.com"
    )
    ZoomPoll.objects.create(
        organization=organization,
        zoom_meeting_id=meeting.zoom_meeting_id,
        poll_id=CHECK_POLL,
        title="Still with us?",
        attendance_check=True,
        pushed_from=meeting,
    )
    return {
        "connection": connection,
        "class_session": class_session,
        "meeting": meeting,
        "ada": ada,
        "grace": grace,
        "zoom": ZoomEvents(connection=connection, zoom_meeting_id=meeting.zoom_meeting_id),
    }


def three_respondents(moment):
    return [
        respondent(
            email="ada@example.com",
            name="Ada Lovelace",
            answers=[
                (CHECK_POLL, "Still with us?", "Yes", moment),
                (ZOOM_ONLY_POLL, "Favourite estimate?", "PERT", moment + timedelta(minutes=5)),
            ],
        ),
        respondent(
            email="grace.hopper@example.com",
            name="Grace Hopper",
            answers=[(CHECK_POLL, "Still with us?", "Yes", moment)],
        ),
        respondent(email="", name="Juan's iPad", answers=[(CHECK_POLL, "Still with us?", "Yes", moment)]),
    ]


def test_after_the_meeting_ends_its_runs_poll_answers_are_kept_per_poll(polled_class, deliver, zoom):
    meeting, events = polled_class["meeting"], polled_class["zoom"]
    checked(
        zoom, polls_url(ENCODED_TWICE), poll_results_body(meeting, DOUBLE_SLASH_UUID, three_respondents(at(17, 30)))
    )
    zoom.get(f"{API}/past_meetings/{ENCODED_TWICE}/participants", json={"participants": [], "next_page_token": ""})

    deliver(
        events.started(uuid=DOUBLE_SLASH_UUID, start=at(17, 0)),
        events.ended(uuid=DOUBLE_SLASH_UUID, start=at(17, 0), end=at(18, 30)),
    )

    [call] = calls_to(zoom, polls_url(ENCODED_TWICE))
    assert call.request.path_url == f"/v2/past_meetings/{ENCODED_TWICE}/polls"
    check = PollCheck.objects.get(poll_key=CHECK_POLL)
    assert (check.class_session_id, check.session_key, check.source) == (
        polled_class["class_session"].pk,
        DOUBLE_SLASH_UUID,
        "zoom",
    )
    assert (check.title, check.attendance_check) == ("Still with us?", True)
    answers = {answer.respondent_name: answer for answer in check.answers.all()}
    assert answers["Ada Lovelace"].registration == polled_class["ada"]
    assert answers["Grace Hopper"].registration == polled_class["grace"]  # email matched whatever its case
    assert answers["Juan's iPad"].registration is None  # left for a trainer to assign
    assert answers["Ada Lovelace"].answered_at == at(17, 30)
    zoom_only = PollCheck.objects.get(poll_key=ZOOM_ONLY_POLL)
    assert (zoom_only.title, zoom_only.attendance_check) == ("Favourite estimate?", False)


def test_a_second_fetch_stores_nothing_twice(polled_class, zoom):
    meeting = polled_class["meeting"]
    checked(
        zoom,
        polls_url("hwkAADUySwyG3GyUkqc0vA%3D%3D"),
        poll_results_body(meeting, RUN_1, three_respondents(at(17, 30))),
    )

    assert poll_results_fetch(meeting_pk=meeting.pk, zoom_uuid=RUN_1) == 2
    assert poll_results_fetch(meeting_pk=meeting.pk, zoom_uuid=RUN_1) == 2

    assert len(calls_to(zoom, polls_url("hwkAADUySwyG3GyUkqc0vA%3D%3D"))) == 2
    assert PollCheck.objects.count() == 2
    assert PollAnswer.objects.count() == 4


def test_a_connection_without_the_scope_makes_no_call_and_the_page_says_why(
    organization, deliver, zoom, caplog, owner_client
):
    caplog.set_level(logging.INFO, logger="zoom_integration")
    connection, class_session, meeting = class_with_meeting(
        organization=organization, scopes=WITHOUT_POLL_RESULTS.split()
    )
    events = ZoomEvents(connection=connection, zoom_meeting_id=meeting.zoom_meeting_id)
    zoom.get(f"{API}/past_meetings/hwkAADUySwyG3GyUkqc0vA%3D%3D/participants", json={"participants": []})

    deliver(events.ended(uuid=RUN_1, start=at(17, 0), end=at(18, 30)))

    assert calls_to(zoom, polls_url("hwkAADUySwyG3GyUkqc0vA%3D%3D")) == []
    assert poll_results_fetch(meeting_pk=meeting.pk, zoom_uuid=RUN_1) == 0
    assert calls_to(zoom, polls_url("hwkAADUySwyG3GyUkqc0vA%3D%3D")) == []
    assert "poll results not queued" in caplog.text and "meeting:read:list_poll_results" in caplog.text
    assert not PollCheck.objects.exists()

    settings_page = owner_client.get("/settings/zoom/").content.decode()
    row = settings_page.split('id="feature-poll_results"')[1].split("</tr>")[0]
    assert "Off" in row and "meeting:read:list_poll_results" in row
    zoom.get(f"{API}/meetings/{meeting.zoom_meeting_id}/polls", json={"total_records": 0, "polls": []})
    manage = owner_client.get(f"/courses/classes/{class_session.pk}/zoom/").content.decode()
    notice = manage.split('id="poll-results-off"')[1].split("</div>")[0]
    assert "not fetched" in notice and "meeting:read:list_poll_results" in notice


def test_results_of_a_series_run_go_to_the_class_whose_run_it_was(organization, deliver, zoom):
    connection, first, first_meeting = class_with_meeting(organization=organization, scopes=ALL_SCOPES.split())
    first_meeting.occurrence_id = "1773162000000"
    first_meeting.meeting_type = 8
    first_meeting.save()
    second = ClassSessionFactory(
        course=first.course, starts_at=STARTS_AT + timedelta(days=7), duration_minutes=90, timezone="UTC"
    )
    second_meeting = ZoomMeeting.objects.create(
        organization=organization,
        class_session=second,
        status="ready",
        zoom_meeting_id=first_meeting.zoom_meeting_id,
        meeting_type=8,
        occurrence_id="1773766800000",
        host_id=connection.zoom_user_id,
    )
    ada_first = RegistrationFactory(class_session=first, email="ada@example.com")
    ada_second = RegistrationFactory(class_session=second, email="ada@example.com", student=ada_first.student)
    ZoomPoll.objects.create(
        organization=organization,
        zoom_meeting_id=first_meeting.zoom_meeting_id,
        poll_id=CHECK_POLL,
        title="Still with us?",
        attendance_check=True,
        pushed_from=first_meeting,
    )
    week_2 = "Week2RunUuidAbCdEfGhIj=="
    start = second.starts_at + timedelta(minutes=2)
    body = poll_results_body(
        second_meeting,
        week_2,
        [respondent(email="ada@example.com", name="Ada", answers=[(CHECK_POLL, "Still with us?", "Yes", start)])],
    )
    checked(zoom, polls_url("Week2RunUuidAbCdEfGhIj%3D%3D"), body)
    zoom.get(f"{API}/past_meetings/Week2RunUuidAbCdEfGhIj%3D%3D/participants", json={"participants": []})
    events = ZoomEvents(connection=connection, zoom_meeting_id=first_meeting.zoom_meeting_id)
    started, ended = (
        events.started(uuid=week_2, start=start),
        events.ended(uuid=week_2, start=start, end=start + timedelta(minutes=88)),
    )
    for body in (started, ended):
        body["payload"]["object"]["type"] = 8

    deliver(started, ended)

    [check] = PollCheck.objects.all()
    assert check.class_session == second and check.attendance_check is True
    assert [answer.registration for answer in check.answers.all()] == [ada_second]


def test_a_meeting_zoom_no_longer_has_stores_nothing(polled_class, zoom, caplog):
    caplog.set_level(logging.INFO, logger="zoom_integration")
    zoom.get(
        polls_url("hwkAADUySwyG3GyUkqc0vA%3D%3D"),
        status=404,
        json={"code": 3001, "message": "Meeting does not exist: hwkAADUySwyG3GyUkqc0vA==."},
    )

    assert poll_results_fetch(meeting_pk=polled_class["meeting"].pk, zoom_uuid=RUN_1) == 0

    assert not PollCheck.objects.exists()
    assert "poll results skipped" in caplog.text and "ZoomNotFound" in caplog.text


def test_a_meeting_end_queues_the_poll_results_once_the_event_is_committed(polled_class, deliver, monkeypatch):
    queued = []
    monkeypatch.setattr("zoom_integration.tasks.attendance_reconcile_task.apply_async", lambda **kwargs: None)
    monkeypatch.setattr(
        "zoom_integration.tasks.poll_results_fetch_task.apply_async",
        lambda args, countdown: queued.append((args, countdown)),
    )

    deliver(polled_class["zoom"].ended(uuid=RUN_1, start=at(17, 0), end=at(18, 30)))

    assert queued == [([polled_class["meeting"].pk, RUN_1], timedelta(minutes=2).total_seconds())]
