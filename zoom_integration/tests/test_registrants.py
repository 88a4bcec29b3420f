"""Pre-registration: each confirmed student becomes a Zoom registrant with a unique join link."""

import json
import math
import re

import pytest
import responses
from django.core import mail

from courses import services as course_services
from tests.factories import RegistrationFactory
from zoom_integration import jobs
from zoom_integration.models import RegistrantStatus, ZoomMeeting, ZoomRegistrant
from zoom_integration.scheduling import registrants

from .conftest import API
from .openapi import assert_matches_zoom_openapi
from .test_meetings import MEETING_ID, connected, ready_meeting, virtual_class  # noqa: F401  (fixtures)

REGISTRANTS_URL = f"{API}/meetings/{MEETING_ID}/registrants"
BATCH_URL = f"{API}/meetings/{MEETING_ID}/batch_registrants"
STATUS_URL = f"{API}/meetings/{MEETING_ID}/registrants/status"


def join_url_for(registrant_id):
    return f"https://us05web.zoom.us/w/{MEETING_ID}?tk={registrant_id}-token&pwd=Ab12Cd34"


def add_answer(request):
    """POST /meetings/{id}/registrants -> 201 (API-FACTS 4.1)."""
    body = json.loads(request.body)
    registrant_id = "rg-" + body["email"].split("@")[0]
    answer = {
        "id": MEETING_ID,
        "registrant_id": registrant_id,
        "join_url": join_url_for(registrant_id),
        "topic": "PMP Exam Prep: Week 1",
        "start_time": "2030-03-04T17:30:00Z",
        "participant_pin_code": 380986,
    }
    return 201, {}, json.dumps(answer)


def batch_answer(request):
    """POST /meetings/{id}/batch_registrants -> 201 with registrants[] (API-FACTS 4.2)."""
    body = json.loads(request.body)
    items = [
        {
            "email": person["email"],
            "registrant_id": "rg-" + person["email"].split("@")[0],
            "join_url": join_url_for("rg-" + person["email"].split("@")[0]),
            "participant_pin_code": 380986,
        }
        for person in body["registrants"]
    ]
    return 201, {}, json.dumps({"registrants": items})


def empty_list():
    return {"page_count": 1, "page_size": 300, "total_records": 0, "next_page_token": "", "registrants": []}


@pytest.fixture
def meeting(virtual_class, connected):  # noqa: F811
    return ready_meeting(virtual_class)


def _register(class_session, email="ada@example.com", first="Ada"):
    return course_services.registration_create(
        class_session=class_session, first_name=first, last_name="Lovelace", email=email
    )


@pytest.mark.django_db
def test_a_new_registration_is_added_with_auto_approve_and_emailed_its_unique_link(
    meeting, zoom, django_capture_on_commit_callbacks
):
    zoom.add_callback(responses.POST, REGISTRANTS_URL, callback=add_answer)
    with django_capture_on_commit_callbacks(execute=True):
        registration = _register(meeting.class_session)
    request = zoom.calls[0].request
    assert_matches_zoom_openapi(request)
    assert json.loads(request.body) == {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "auto_approve": True,
    }
    row = ZoomRegistrant.objects.get(registration=registration)
    assert row.status == RegistrantStatus.SYNCED and row.registrant_id == "rg-ada"
    assert len(mail.outbox) == 1, "one confirmation, sent once the unique link exists"
    message = mail.outbox[0]
    assert join_url_for("rg-ada") in message.body and "yours alone" in message.body
    assert message.attachments[0][0] == "invite.ics" and join_url_for("rg-ada") in message.attachments[0][1]


@pytest.mark.django_db
def test_zoom_down_sends_the_general_link_then_the_unique_one_after_sync(
    meeting, zoom, django_capture_on_commit_callbacks
):
    zoom.add(responses.POST, REGISTRANTS_URL, status=503, json={"code": 503, "message": "Service unavailable"})
    with django_capture_on_commit_callbacks(execute=True):
        registration = _register(meeting.class_session)
    assert len(mail.outbox) == 1
    assert meeting.join_url in mail.outbox[0].body and "yours alone" not in mail.outbox[0].body
    assert ZoomRegistrant.objects.get(registration=registration).status == RegistrantStatus.FAILED

    zoom.add(responses.GET, REGISTRANTS_URL, json=empty_list())
    zoom.add_callback(responses.POST, BATCH_URL, callback=batch_answer)
    meeting.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        registrants.registrants_sync(meeting_pk=meeting.pk)
    assert len(mail.outbox) == 2
    follow_up = mail.outbox[1]
    assert follow_up.subject.startswith("Your join link") and join_url_for("rg-ada") in follow_up.body


@pytest.mark.django_db
def test_cancelling_cancels_the_registrant_and_registering_again_approves_it(
    meeting, zoom, django_capture_on_commit_callbacks
):
    zoom.add_callback(responses.POST, REGISTRANTS_URL, callback=add_answer)
    zoom.add(responses.PUT, STATUS_URL, status=204)
    with django_capture_on_commit_callbacks(execute=True):
        registration = _register(meeting.class_session)
    with django_capture_on_commit_callbacks(execute=True):
        course_services.registration_cancel(registration=registration, by="student")
    cancel = zoom.calls[1].request
    assert_matches_zoom_openapi(cancel)
    assert (cancel.method, json.loads(cancel.body)) == ("PUT", {"action": "cancel", "registrants": [{"id": "rg-ada"}]})
    assert ZoomRegistrant.objects.get().status == RegistrantStatus.CANCELLED

    with django_capture_on_commit_callbacks(execute=True):
        _register(meeting.class_session)
    approve = zoom.calls[2].request
    assert json.loads(approve.body) == {"action": "approve", "registrants": [{"id": "rg-ada"}]}
    assert [call.request.method for call in zoom.calls].count("POST") == 1, "never added twice"
    assert ZoomRegistrant.objects.get().status == RegistrantStatus.SYNCED


@pytest.mark.django_db
def test_sync_now_for_500_students_batches_by_30_and_is_idempotent(meeting, zoom, django_capture_on_commit_callbacks):
    RegistrationFactory.create_batch(500, class_session=meeting.class_session)
    zoom.add(responses.GET, REGISTRANTS_URL, json=empty_list())
    zoom.add_callback(responses.POST, BATCH_URL, callback=batch_answer)
    with django_capture_on_commit_callbacks(execute=True):
        registrants.registrants_sync(meeting_pk=meeting.pk)

    batch_calls = [call for call in zoom.calls if call.request.url == BATCH_URL]
    assert len(batch_calls) == math.ceil(500 / 30)
    first = batch_calls[0].request
    assert_matches_zoom_openapi(first)
    body = json.loads(first.body)
    assert body["auto_approve"] is True and len(body["registrants"]) == 30
    assert set(body["registrants"][0]) == {"email", "first_name", "last_name"}
    assert ZoomRegistrant.objects.filter(status=RegistrantStatus.SYNCED).count() == 500
    assert ZoomMeeting.objects.get().sync_status == "done"
    assert len(mail.outbox) == 500 and all("yours alone" in message.body for message in mail.outbox)

    calls_before = len(zoom.calls)
    registrants.registrants_sync(meeting_pk=meeting.pk)
    assert len(zoom.calls) == calls_before, "a second Sync now calls Zoom for nothing"
    assert len(mail.outbox) == 500


@pytest.mark.django_db
def test_sync_adopts_registrants_zoom_already_has_instead_of_adding_them(meeting, zoom):
    registration = RegistrationFactory(class_session=meeting.class_session, email="grace@example.com")
    on_zoom = empty_list()
    on_zoom["registrants"] = [
        {
            "id": "rg-existing",
            "email": "Grace@Example.com",
            "first_name": "Grace",
            "last_name": "Hopper",
            "status": "approved",
            "create_time": "2026-11-20T10:00:00Z",
            "join_url": join_url_for("rg-existing"),
        }
    ]
    on_zoom["total_records"] = 1
    zoom.add(responses.GET, REGISTRANTS_URL, json=on_zoom)
    registrants.registrants_sync(meeting_pk=meeting.pk)
    assert [call.request.method for call in zoom.calls] == ["GET"]
    assert_matches_zoom_openapi(zoom.calls[0].request)
    assert "status=approved" in zoom.calls[0].request.url and "page_size=300" in zoom.calls[0].request.url
    row = ZoomRegistrant.objects.get(registration=registration)
    assert (row.registrant_id, row.status) == ("rg-existing", RegistrantStatus.SYNCED)


@pytest.mark.django_db
def test_sync_follows_zooms_pages(meeting, zoom):
    RegistrationFactory(class_session=meeting.class_session, email="b@example.com")
    first = empty_list() | {
        "next_page_token": "page2",
        "registrants": [{"id": "rg-a", "email": "a@example.com", "join_url": join_url_for("rg-a")}],
    }
    second = empty_list() | {
        "registrants": [{"id": "rg-b", "email": "b@example.com", "join_url": join_url_for("rg-b")}]
    }
    zoom.add(
        responses.GET,
        REGISTRANTS_URL,
        json=first,
        match=[responses.matchers.query_param_matcher({"status": "approved", "page_size": "300"})],
    )
    zoom.add(
        responses.GET,
        REGISTRANTS_URL,
        json=second,
        match=[
            responses.matchers.query_param_matcher(
                {"status": "approved", "page_size": "300", "next_page_token": "page2"}
            )
        ],
    )
    registrants.registrants_sync(meeting_pk=meeting.pk)
    assert ZoomRegistrant.objects.get().registrant_id == "rg-b"


@pytest.mark.django_db
def test_zoom_limit_of_three_adds_per_registrant_a_day_is_respected(meeting, zoom):
    registration = RegistrationFactory(class_session=meeting.class_session)
    from django.utils import timezone

    ZoomRegistrant.objects.create(
        organization=meeting.organization,
        meeting=meeting,
        registration=registration,
        status=RegistrantStatus.FAILED,
        add_calls_day=timezone.now().date(),
        add_calls=3,
    )
    zoom.add(responses.GET, REGISTRANTS_URL, json=empty_list())
    registrants.registrants_sync(meeting_pk=meeting.pk)
    assert all(call.request.method == "GET" for call in zoom.calls)
    row = ZoomRegistrant.objects.get()
    assert row.status == RegistrantStatus.FAILED and "3 registration attempts per student per day" in row.error


@pytest.mark.django_db
def test_sync_stopped_by_a_rate_limit_shows_why_and_keeps_what_was_done(meeting, zoom):
    RegistrationFactory.create_batch(40, class_session=meeting.class_session)
    zoom.add(responses.GET, REGISTRANTS_URL, json=empty_list())
    zoom.add_callback(responses.POST, BATCH_URL, callback=batch_answer)
    zoom.add(
        responses.POST,
        BATCH_URL,
        status=429,
        json={"code": 429, "message": "You have reached the maximum daily rate limit for this API."},
        headers={"X-RateLimit-Type": "Daily-limit", "Retry-After": "2030-01-02T00:00:00Z"},
    )
    with pytest.raises(Exception):
        registrants.registrants_sync(meeting_pk=meeting.pk)
    meeting.refresh_from_db()
    assert meeting.sync_status == "failed" and "daily limit" in meeting.error
    assert ZoomRegistrant.objects.filter(status=RegistrantStatus.SYNCED).count() == 30
    assert ZoomRegistrant.objects.filter(status=RegistrantStatus.FAILED).count() == 10


@pytest.mark.django_db
def test_sync_now_page_shows_progress_and_per_student_results(
    trainer_client, meeting, zoom, django_capture_on_commit_callbacks
):
    RegistrationFactory(class_session=meeting.class_session, first_name="Ada", email="ada@example.com")
    page = trainer_client.get(f"/courses/classes/{meeting.class_session_id}/").content.decode()
    assert "1 student waiting for" in page
    zoom.add(responses.GET, REGISTRANTS_URL, json=empty_list())
    zoom.add_callback(responses.POST, BATCH_URL, callback=batch_answer)
    with django_capture_on_commit_callbacks(execute=True):
        trainer_client.post(f"/courses/classes/{meeting.class_session_id}/zoom/sync/")
    content = trainer_client.get(f"/courses/classes/{meeting.class_session_id}/zoom/").content.decode()
    assert "Sync now started" in content
    assert "1 of 1 students registered on Zoom" in content
    assert ">Synced<" in content
    assert re.search(r"last sync <time datetime=\"[^\"]+\">just now</time>", content)


@pytest.mark.django_db
def test_a_second_sync_while_one_runs_is_not_started(meeting):
    assert jobs.registrants_sync(meeting=meeting) is True
    assert jobs.registrants_sync(meeting=meeting) is False
