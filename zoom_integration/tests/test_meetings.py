"""Zoom meetings of virtual classes, with Zoom faked at the transport (`responses`) so our client runs."""

import json
import re
from datetime import timedelta

import pytest
import responses
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from courses import services as course_services
from courses.models import ClassSession
from tests.factories import ClassSessionFactory, RegistrationFactory
from zoom_integration.models import MeetingStatus, ZoomMeeting
from zoom_integration.scheduling import meetings

from .conftest import ALL_SCOPES, API, signed_headers
from .factories import ZoomConnectionFactory
from .openapi import assert_matches_zoom_openapi

MEETINGS_URL = f"{API}/users/me/meetings"
MEETING_ID = 85746065432


def meeting_url(meeting_id=MEETING_ID):
    return f"{API}/meetings/{meeting_id}"


def zoom_meeting_body(**overrides):
    """A meeting as POST /users/me/meetings (201) and GET /meetings/{id} return it (API-FACTS 3.1)."""
    body = {
        "id": MEETING_ID,
        "uuid": "aDYlohsHRtCd4ii1uC2+hA==",
        "host_id": "KDcuGIm1QgePTO8WbOqwIQ",
        "host_email": "host@example.com",
        "topic": "PMP Exam Prep: Week 1",
        "type": 2,
        "status": "waiting",
        "start_time": "2030-03-04T17:30:00Z",
        "duration": 90,
        "timezone": "Europe/Berlin",
        "created_at": "2026-11-23T10:00:00Z",
        "start_url": "https://us05web.zoom.us/s/85746065432?zak=host-credential",
        "join_url": "https://us05web.zoom.us/j/85746065432?pwd=Ab12Cd34",
        "registration_url": "https://us05web.zoom.us/meeting/register/tZ0rdeGqqz8",
        "password": "Ab12Cd34",
        "settings": {"approval_type": 1, "waiting_room": True},
        "pre_schedule": False,
    }
    body.update(overrides)
    return body


@pytest.fixture
def connected(organization):
    return ZoomConnectionFactory(organization=organization, scopes=ALL_SCOPES.split(), zoom_email="host@example.com")


@pytest.fixture
def virtual_class(course):
    return ClassSessionFactory(
        course=course,
        title="Week 1",
        starts_at=timezone.now().replace(microsecond=0, second=0) + timedelta(days=10),
        duration_minutes=90,
        timezone="Europe/Berlin",
    )


def ready_meeting(class_session, **fields):
    values = {
        "organization": class_session.organization,
        "class_session": class_session,
        "status": MeetingStatus.READY,
        "zoom_meeting_id": MEETING_ID,
        "zoom_uuid": "aDYlohsHRtCd4ii1uC2+hA==",
        "join_url": "https://us05web.zoom.us/j/85746065432?pwd=Ab12Cd34",
        "password": "Ab12Cd34",
        "topic": f"{class_session.course.title}: {class_session.title}",
        "start_time": class_session.starts_at,
        "duration": class_session.duration_minutes,
        "timezone": class_session.timezone,
    }
    values.update(fields)
    return ZoomMeeting.objects.create(**values)


def _class_form(class_session=None, **overrides):
    local = (timezone.now() + timedelta(days=10)).replace(hour=18, minute=30)
    data = {
        "title": "Week 1",
        "starts_at_local": local.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": 90,
        "timezone": "Europe/Berlin",
        "delivery_mode": "virtual",
        "location": "",
        "capacity": 30,
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_create_zoom_meeting_box_shows_only_when_connected(trainer_client, course, organization):
    page = trainer_client.get(f"/courses/{course.pk}/classes/new/")
    assert "create_zoom_meeting" not in page.context["form"].fields
    ZoomConnectionFactory(organization=organization, scopes=ALL_SCOPES.split())
    page = trainer_client.get(f"/courses/{course.pk}/classes/new/")
    assert page.context["form"].fields["create_zoom_meeting"].label == "Create Zoom meeting"


@pytest.mark.django_db
def test_saving_with_the_box_creates_the_meeting_with_the_documented_body(
    trainer_client, course, connected, zoom, django_capture_on_commit_callbacks
):
    zoom.add(responses.POST, MEETINGS_URL, json=zoom_meeting_body(), status=201)
    with django_capture_on_commit_callbacks(execute=True):
        response = trainer_client.post(f"/courses/{course.pk}/classes/new/", _class_form(create_zoom_meeting="on"))
    class_session = ClassSession.objects.get()
    assert response.url == f"/courses/classes/{class_session.pk}/"

    request = zoom.calls[0].request
    assert_matches_zoom_openapi(request)
    body = json.loads(request.body)
    assert body["topic"] == f"{course.title}: Week 1"
    assert body["type"] == 2
    assert body["start_time"] == class_session.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["timezone"] == "Europe/Berlin" and body["duration"] == 90
    assert 1 <= len(body["password"]) <= 10
    assert body["settings"]["approval_type"] == 1
    assert body["settings"]["waiting_room"] is True and body["settings"]["auto_recording"] == "cloud"

    meeting = ZoomMeeting.objects.get(class_session=class_session)
    assert meeting.status == MeetingStatus.READY and meeting.zoom_meeting_id == MEETING_ID
    page = trainer_client.get(response.url).content.decode()
    assert "857 4606 5432" in page and "Ab12Cd34" in page and "https://us05web.zoom.us/j/85746065432" in page
    assert "Manage Zoom features" in page


@pytest.mark.django_db
def test_class_is_saved_even_when_zoom_fails_and_the_panel_offers_retry(
    trainer_client, course, connected, zoom, django_capture_on_commit_callbacks
):
    zoom.add(responses.POST, MEETINGS_URL, json={"code": 500, "message": "Internal error"}, status=500)
    with django_capture_on_commit_callbacks(execute=True):
        trainer_client.post(f"/courses/{course.pk}/classes/new/", _class_form(create_zoom_meeting="on"))
    class_session = ClassSession.objects.get()
    meeting = ZoomMeeting.objects.get(class_session=class_session)
    assert meeting.status == MeetingStatus.FAILED
    page = trainer_client.get(f"/courses/classes/{class_session.pk}/").content.decode()
    assert "The Zoom meeting could not be created" in page and "Zoom is not responding right now" in page
    assert ">Retry<" in page

    zoom.replace(responses.POST, MEETINGS_URL, json=zoom_meeting_body(), status=201)
    with django_capture_on_commit_callbacks(execute=True):
        trainer_client.post(f"/courses/classes/{class_session.pk}/zoom/create/")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.READY and meeting.error == ""


@pytest.mark.django_db
def test_daily_create_limit_is_explained_with_the_reset_time(virtual_class, connected, zoom):
    zoom.add(
        responses.POST,
        MEETINGS_URL,
        status=429,
        json={
            "code": 429,
            "message": "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user.",
        },
        headers={"Retry-After": "2030-01-02T00:00:00Z", "X-RateLimit-Type": "Daily-limit"},
    )
    meeting = ZoomMeeting.objects.create(organization=virtual_class.organization, class_session=virtual_class)
    with pytest.raises(Exception):
        meetings.meeting_create(meeting_pk=meeting.pk)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.FAILED
    assert "daily limit" in meeting.error
    assert meeting.retry_at.isoformat().startswith("2030-01-02")


@pytest.mark.django_db
def test_basic_host_gets_a_meeting_without_registration(virtual_class, organization, zoom):
    ZoomConnectionFactory(organization=organization, scopes=ALL_SCOPES.split(), account_type=1)
    zoom.add(responses.POST, MEETINGS_URL, json=zoom_meeting_body(settings={"approval_type": 2}), status=201)
    meeting = ZoomMeeting.objects.create(organization=organization, class_session=virtual_class)
    meetings.meeting_create(meeting_pk=meeting.pk)
    assert json.loads(zoom.calls[0].request.body)["settings"]["approval_type"] == 2
    meeting.refresh_from_db()
    assert meeting.registration_enabled is False


@pytest.mark.django_db
def test_editing_the_title_reads_the_live_meeting_and_sends_only_the_topic(
    virtual_class, connected, zoom, django_capture_on_commit_callbacks
):
    ready_meeting(virtual_class)
    live = zoom_meeting_body(
        topic=f"{virtual_class.course.title}: Week 1",
        start_time=virtual_class.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        duration=90,
        timezone="Europe/Berlin",
    )
    zoom.add(responses.GET, meeting_url(), json=live)
    zoom.add(responses.PATCH, meeting_url(), status=204)
    with django_capture_on_commit_callbacks(execute=True):
        course_services.class_session_update(class_session=virtual_class, title="Week 1: Integration")
    methods = [call.request.method for call in zoom.calls]
    assert methods == ["GET", "PATCH"]
    patch = zoom.calls[1].request
    assert_matches_zoom_openapi(patch)
    assert json.loads(patch.body) == {"topic": f"{virtual_class.course.title}: Week 1: Integration"}


@pytest.mark.django_db
def test_rescheduling_sends_start_time_and_zone(virtual_class, connected, zoom, django_capture_on_commit_callbacks):
    ready_meeting(virtual_class)
    zoom.add(
        responses.GET,
        meeting_url(),
        json=zoom_meeting_body(
            topic=f"{virtual_class.course.title}: Week 1",
            start_time=virtual_class.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            duration=90,
            timezone="Europe/Berlin",
        ),
    )
    zoom.add(responses.PATCH, meeting_url(), status=204)
    new_start = virtual_class.starts_at + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        course_services.class_session_update(class_session=virtual_class, starts_at=new_start, duration_minutes=120)
    body = json.loads(zoom.calls[1].request.body)
    assert body == {
        "start_time": new_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timezone": "Europe/Berlin",
        "duration": 120,
    }


@pytest.mark.django_db
def test_a_meeting_gone_from_zoom_is_shown_with_a_create_button(
    trainer_client, virtual_class, connected, zoom, django_capture_on_commit_callbacks
):
    ready_meeting(virtual_class)
    zoom.add(
        responses.GET,
        meeting_url(),
        status=404,
        json={"code": 3001, "message": f"Meeting does not exist: {MEETING_ID}."},
    )
    with django_capture_on_commit_callbacks(execute=True):
        course_services.class_session_update(class_session=virtual_class, title="Renamed")
    page = trainer_client.get(f"/courses/classes/{virtual_class.pk}/").content.decode()
    assert "This meeting no longer exists on Zoom." in page and "Create Zoom meeting" in page


@pytest.mark.django_db
def test_deleting_the_class_can_delete_the_meeting_on_zoom(
    trainer_client, virtual_class, connected, zoom, django_capture_on_commit_callbacks
):
    ready_meeting(virtual_class)
    page = trainer_client.get(f"/courses/classes/{virtual_class.pk}/delete/").content.decode()
    assert "Also delete Zoom meeting 857 4606 5432 on Zoom" in page
    zoom.add(responses.DELETE, meeting_url(), status=204)
    with django_capture_on_commit_callbacks(execute=True):
        trainer_client.post(f"/courses/classes/{virtual_class.pk}/delete/", {"delete_zoom_meeting": "on"})
    assert [call.request.method for call in zoom.calls] == ["DELETE"]
    assert_matches_zoom_openapi(zoom.calls[0].request)
    assert not ZoomMeeting.objects.exists()


@pytest.mark.django_db
def test_cancelling_with_the_option_says_calmly_the_meeting_was_deleted(
    trainer_client, virtual_class, connected, zoom, django_capture_on_commit_callbacks
):
    ready_meeting(virtual_class)
    zoom.add(responses.DELETE, meeting_url(), status=204)
    with django_capture_on_commit_callbacks(execute=True):
        trainer_client.post(f"/courses/classes/{virtual_class.pk}/cancel/", {"delete_zoom_meeting": "on"})
    page = trainer_client.get(f"/courses/classes/{virtual_class.pk}/").content.decode()
    assert "This class was cancelled and its Zoom meeting deleted from your Zoom account." in page
    assert "no longer exists on Zoom" not in page and "Create Zoom meeting" not in page
    manage = trainer_client.get(f"/courses/classes/{virtual_class.pk}/zoom/").content.decode()
    assert "This class was cancelled and its Zoom meeting deleted" in manage
    assert "no longer exists on Zoom" not in manage


@pytest.mark.django_db
def test_cancelling_without_the_option_keeps_the_meeting_on_zoom(
    trainer_client, virtual_class, connected, zoom, django_capture_on_commit_callbacks
):
    ready_meeting(virtual_class)
    with django_capture_on_commit_callbacks(execute=True):
        trainer_client.post(f"/courses/classes/{virtual_class.pk}/cancel/", {})
    assert zoom.calls == [] or all(call.request.method != "DELETE" for call in zoom.calls)
    assert ZoomMeeting.objects.get().status == MeetingStatus.READY


@pytest.mark.django_db
def test_deleting_a_meeting_already_gone_counts_as_deleted(virtual_class, connected, zoom):
    ready_meeting(virtual_class)
    zoom.add(responses.DELETE, meeting_url(), status=404, json={"code": 3001, "message": "Meeting does not exist."})
    meetings.meeting_delete_on_zoom(organization_id=virtual_class.organization_id, zoom_meeting_id=MEETING_ID)
    assert ZoomMeeting.objects.get().status == MeetingStatus.DELETED_ON_ZOOM


def _post_webhook(client, payload):
    body = json.dumps(payload).encode()
    return client.post("/zoom/webhook/", data=body, content_type="application/json", headers=signed_headers(body))


@pytest.mark.django_db
def test_meeting_deleted_webhook_marks_the_meeting(
    client, virtual_class, connected, django_capture_on_commit_callbacks
):
    ready_meeting(virtual_class)
    payload = {
        "event": "meeting.deleted",
        "event_ts": 1700000000000,
        "payload": {
            "account_id": connected.zoom_account_id,
            "operator": "host@example.com",
            "operator_id": connected.zoom_user_id,
            "object": {
                "id": MEETING_ID,
                "uuid": "aDYlohsHRtCd4ii1uC2+hA==",
                "host_id": connected.zoom_user_id,
                "topic": "x",
                "type": 2,
            },
        },
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert _post_webhook(client, payload).status_code == 200
    assert ZoomMeeting.objects.get().status == MeetingStatus.DELETED_ON_ZOOM


@pytest.mark.django_db
def test_meeting_changed_on_zoom_shows_the_difference_and_the_trainer_settles_it(
    trainer_client, client_factory, virtual_class, connected, zoom, django_capture_on_commit_callbacks
):
    meeting = ready_meeting(virtual_class)
    payload = {
        "event": "meeting.updated",
        "event_ts": 1700000000000,
        "payload": {
            "account_id": connected.zoom_account_id,
            "operator": "host@example.com",
            "operator_id": connected.zoom_user_id,
            "time_stamp": 1700000000000,
            "object": {"id": MEETING_ID, "host_id": connected.zoom_user_id, "duration": 45, "password": "NewPass1"},
            "old_object": {"id": MEETING_ID, "host_id": connected.zoom_user_id, "duration": 90, "password": "Ab12Cd34"},
        },
    }
    with django_capture_on_commit_callbacks(execute=True):
        _post_webhook(client_factory(), payload)
    meeting.refresh_from_db()
    assert meeting.zoom_changes == {
        "duration": {"zoom": 45, "class": 90},
        "password": {"zoom": "NewPass1", "class": "Ab12Cd34"},
    }
    page = trainer_client.get(f"/courses/classes/{virtual_class.pk}/").content.decode()
    assert "This meeting was changed on Zoom." in page and "Use Zoom's values" in page

    trainer_client.post(f"/courses/classes/{virtual_class.pk}/zoom/changes/", {"keep": "zoom"})
    virtual_class.refresh_from_db()
    meeting.refresh_from_db()
    assert virtual_class.duration_minutes == 45 and meeting.password == "NewPass1" and meeting.zoom_changes == {}
    assert [call.request.url for call in zoom.calls] == []


@pytest.mark.django_db
def test_pushing_the_class_values_back_patches_zoom(
    trainer_client, virtual_class, connected, zoom, django_capture_on_commit_callbacks
):
    meeting = ready_meeting(virtual_class, zoom_changes={"password": {"zoom": "NewPass1", "class": "Ab12Cd34"}})
    zoom.add(responses.PATCH, meeting_url(), status=204)
    zoom.add(
        responses.GET,
        meeting_url(),
        json=zoom_meeting_body(
            topic=f"{virtual_class.course.title}: Week 1",
            start_time=virtual_class.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        trainer_client.post(f"/courses/classes/{virtual_class.pk}/zoom/changes/", {"keep": "class"})
    assert json.loads(zoom.calls[0].request.body) == {"password": "Ab12Cd34"}
    meeting.refresh_from_db()
    assert meeting.zoom_changes == {}


@pytest.mark.django_db
def test_start_meeting_is_for_owners_and_fetches_a_fresh_start_url(
    client, owner, trainer, virtual_class, connected, zoom
):
    ready_meeting(virtual_class)
    zoom.add(responses.GET, meeting_url(), json=zoom_meeting_body())
    client.force_login(trainer)
    assert client.post(f"/courses/classes/{virtual_class.pk}/zoom/start/").status_code == 403
    client.force_login(owner)
    response = client.post(f"/courses/classes/{virtual_class.pk}/zoom/start/")
    assert response.status_code == 302 and response.url.startswith("https://us05web.zoom.us/s/85746065432")
    assert "zak=" not in "".join(str(value) for value in ZoomMeeting.objects.values_list(flat=False))


@pytest.mark.django_db
def test_after_disconnect_the_class_keeps_its_plain_link_and_actions_ask_to_reconnect(
    trainer_client, virtual_class, connected
):
    ready_meeting(virtual_class)
    connected.status = "disconnected"
    connected.clear_tokens()
    connected.save()
    page = trainer_client.get(f"/courses/classes/{virtual_class.pk}/").content.decode()
    assert "https://us05web.zoom.us/j/85746065432" in page
    assert "Reconnect Zoom to manage this" in page
    response = trainer_client.post(f"/courses/classes/{virtual_class.pk}/zoom/sync/", follow=True)
    assert "Reconnect Zoom to manage this" in response.content.decode()


@pytest.mark.django_db
def test_zoom_pages_run_the_same_queries_at_5_and_500_students(trainer_client, course, connected):
    small = ClassSessionFactory(course=course, capacity=600)
    big = ClassSessionFactory(course=course, capacity=600)
    ready_meeting(small)
    ready_meeting(big, zoom_meeting_id=MEETING_ID + 1)
    RegistrationFactory.create_batch(5, class_session=small)
    RegistrationFactory.create_batch(500, class_session=big)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert trainer_client.get(url).status_code == 200
        return len(captured)

    assert queries(f"/courses/classes/{big.pk}/") == queries(f"/courses/classes/{small.pk}/")
    assert queries(f"/courses/classes/{big.pk}/zoom/") == queries(f"/courses/classes/{small.pk}/zoom/")


@pytest.mark.django_db
def test_zoom_page_without_a_meeting_sends_back_to_the_class(trainer_client, virtual_class):
    response = trainer_client.get(f"/courses/classes/{virtual_class.pk}/zoom/", follow=True)
    assert "Create the class&#x27;s Zoom meeting first" in response.content.decode()


def test_meeting_ids_are_shown_as_zoom_groups_them():
    assert ZoomMeeting(zoom_meeting_id=85746065432).formatted_meeting_id == "857 4606 5432"
    assert ZoomMeeting(zoom_meeting_id=1234567890).formatted_meeting_id == "123 456 7890"
    assert re.fullmatch(r"[A-Za-z0-9]{8}", meetings._new_password())


@pytest.mark.django_db
def test_owner_changes_meeting_defaults_used_for_new_meetings(owner_client, virtual_class, connected, zoom):
    page = owner_client.get("/settings/zoom/").content.decode()
    assert "Settings of new meetings" in page and "Waiting room" in page
    owner_client.post("/settings/zoom/meeting-settings/", {"join_before_host": "on"})
    zoom.add(responses.POST, MEETINGS_URL, json=zoom_meeting_body(), status=201)
    meeting = ZoomMeeting.objects.create(organization=virtual_class.organization, class_session=virtual_class)
    meetings.meeting_create(meeting_pk=meeting.pk)
    settings_sent = json.loads(zoom.calls[0].request.body)["settings"]
    assert settings_sent["waiting_room"] is False and settings_sent["join_before_host"] is True
    assert settings_sent["auto_recording"] == "none"


@pytest.mark.django_db
def test_trainers_cannot_change_meeting_defaults(trainer_client):
    assert trainer_client.post("/settings/zoom/meeting-settings/", {"waiting_room": "on"}).status_code == 403


def _zoom_answers_a_replacement(zoom, new_id):
    zoom.add(
        responses.POST,
        MEETINGS_URL,
        json=zoom_meeting_body(id=new_id, join_url=f"https://us05web.zoom.us/j/{new_id}"),
        status=201,
    )
    zoom.add(responses.DELETE, meeting_url(), status=204)
    zoom.add(
        responses.GET,
        f"{API}/meetings/{new_id}/registrants",
        json={"page_size": 300, "total_records": 0, "next_page_token": "", "registrants": []},
    )
    zoom.add(
        responses.POST,
        f"{API}/meetings/{new_id}/batch_registrants",
        status=201,
        json={
            "registrants": [
                {
                    "email": "ada@example.com",
                    "registrant_id": "new-rg",
                    "join_url": f"https://us05web.zoom.us/w/{new_id}?tk=new",
                }
            ]
        },
    )


def _registered_on_zoom(meeting, virtual_class):
    from zoom_integration.models import ZoomRegistrant

    registration = RegistrationFactory(class_session=virtual_class, email="ada@example.com")
    ZoomRegistrant.objects.create(
        organization=meeting.organization,
        meeting=meeting,
        registration=registration,
        status="synced",
        registrant_id="old-rg",
        join_url="https://us05web.zoom.us/w/85746065432?tk=old",
    )
    return registration


def _invite_event(message):
    (content,) = [content for name, content, _ in message.attachments if name == "invite.ics"]
    return next(iter(Calendar.from_ical(content).walk("VEVENT")))


@pytest.mark.django_db
def test_new_meeting_id_emails_an_invite_that_replaces_the_first(
    trainer_client, virtual_class, connected, zoom, django_capture_on_commit_callbacks, monkeypatch
):
    meeting = ready_meeting(virtual_class)
    registration = _registered_on_zoom(meeting, virtual_class)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    with monkeypatch.context() as earlier, django_capture_on_commit_callbacks(execute=True):
        earlier.setattr(timezone, "now", lambda: an_hour_ago)
        course_services.registration_confirmation_send(registration=registration)
    first = _invite_event(mail.outbox[-1])
    _zoom_answers_a_replacement(zoom, MEETING_ID + 7)

    with django_capture_on_commit_callbacks(execute=True):
        trainer_client.post(f"/courses/classes/{virtual_class.pk}/zoom/replace/")

    second = _invite_event(mail.outbox[-1])
    assert mail.outbox[-1].to == ["ada@example.com"] and f"/w/{MEETING_ID + 7}?tk=new" in mail.outbox[-1].body
    assert str(second["uid"]) == str(first["uid"])
    assert second["sequence"] > first["sequence"]
    assert second["dtstamp"].dt > first["dtstamp"].dt


@pytest.mark.django_db
def test_new_meeting_id_replaces_the_meeting_and_re_registers_students(
    trainer_client, virtual_class, connected, zoom, django_capture_on_commit_callbacks
):
    from zoom_integration.models import ZoomRegistrant

    meeting = ready_meeting(virtual_class)
    _registered_on_zoom(meeting, virtual_class)
    new_id = MEETING_ID + 7
    _zoom_answers_a_replacement(zoom, new_id)
    assert (
        "Links sent before stop working"
        in trainer_client.get(f"/courses/classes/{virtual_class.pk}/zoom/replace/").content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        trainer_client.post(f"/courses/classes/{virtual_class.pk}/zoom/replace/")
    assert [f"{call.request.method} {call.request.url.split('/v2')[1].split('?')[0]}" for call in zoom.calls] == [
        "POST /users/me/meetings",
        f"DELETE /meetings/{MEETING_ID}",
        f"GET /meetings/{new_id}/registrants",
        f"POST /meetings/{new_id}/batch_registrants",
    ]
    meeting.refresh_from_db()
    assert meeting.zoom_meeting_id == new_id and meeting.status == MeetingStatus.READY
    row = ZoomRegistrant.objects.get()
    assert (row.registrant_id, row.status) == ("new-rg", "synced")
    message = mail.outbox[-1]
    assert message.to == ["ada@example.com"] and f"/w/{new_id}?tk=new" in message.body
