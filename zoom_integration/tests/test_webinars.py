"""Webinar classes: the class's Zoom meeting as a Zoom webinar, through Zoom's webinar endpoints (faked with
`responses` in Zoom's documented shapes, every request checked against Zoom's OpenAPI documents)."""

import json
from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from courses import services as course_services
from courses.models import ClassSession
from tests.factories import ClassSessionFactory, RegistrationFactory
from zoom_integration.content import polls
from zoom_integration.models import MeetingStatus, RegistrantStatus, ZoomHostPlan, ZoomMeeting, ZoomRegistrant
from zoom_integration.scheduling import host_plans, meetings, registrants

from .conftest import ALL_SCOPES, API, WEBINAR_SCOPES, calls_to, signed_headers
from .factories import ZoomConnectionFactory
from .openapi import assert_matches_zoom_openapi
from .test_meetings import _class_form

WEBINARS_URL = f"{API}/users/me/webinars"
WEBINAR_ID = 91234567890
WEBINAR_URL = f"{API}/webinars/{WEBINAR_ID}"
PLAN_MISSING = {
    "code": 200,
    "message": "Webinar plan is missing. You must subscribe to the webinar plan and enable webinars for user "
    "KDcuGIm1QgePTO8WbOqwIQ in order to perform this action.",
}


def zoom_webinar_body(**overrides):
    """A webinar as POST /users/me/webinars (201) and GET /webinars/{id} return it (API-FACTS 9)."""
    body = {
        "id": WEBINAR_ID,
        "uuid": "wEbInArUuId00000000001==",
        "host_id": "KDcuGIm1QgePTO8WbOqwIQ",
        "host_email": "host@example.com",
        "topic": "CAPM: Info session",
        "type": 5,
        "start_time": "2030-03-04T17:30:00Z",
        "duration": 60,
        "timezone": "Europe/Berlin",
        "created_at": "2026-11-23T10:00:00Z",
        "start_url": "https://us05web.zoom.us/s/91234567890?zak=host-credential",
        "join_url": "https://us05web.zoom.us/w/91234567890?pwd=Ab12Cd34",
        "registration_url": "https://us05web.zoom.us/webinar/register/WN_abc",
        "password": "Ab12Cd34",
        "settings": {"approval_type": 1},
    }
    body.update(overrides)
    return body


@pytest.fixture
def connected(organization):
    return ZoomConnectionFactory(
        organization=organization,
        scopes=(ALL_SCOPES + " " + WEBINAR_SCOPES).split(),
        zoom_email="host@example.com",
        zoom_user_id="KDcuGIm1QgePTO8WbOqwIQ",
    )


@pytest.fixture
def webinar_class(course):
    return ClassSessionFactory(
        course=course,
        title="Info session",
        starts_at=timezone.now().replace(microsecond=0, second=0) + timedelta(days=10),
        duration_minutes=60,
        timezone="Europe/Berlin",
    )


def ready_webinar(class_session, **fields):
    values = {
        "organization": class_session.organization,
        "class_session": class_session,
        "status": MeetingStatus.READY,
        "kind": "webinar",
        "meeting_type": 5,
        "zoom_meeting_id": WEBINAR_ID,
        "join_url": "https://us05web.zoom.us/w/91234567890?pwd=Ab12Cd34",
        "password": "Ab12Cd34",
        "topic": f"{class_session.course.title}: {class_session.title}",
        "start_time": class_session.starts_at,
        "duration": class_session.duration_minutes,
        "timezone": class_session.timezone,
    }
    values.update(fields)
    return ZoomMeeting.objects.create(**values)


def post_webhook(client, payload):
    body = json.dumps(payload).encode()
    return client.post("/zoom/webhook/", data=body, content_type="application/json", headers=signed_headers(body))


def lifecycle_event(connection, event, *, zoom_id=WEBINAR_ID, zoom_type=5, **fields):
    return {
        "event": event,
        "event_ts": 1700000000000,
        "payload": {
            "account_id": connection.zoom_account_id,
            "operator": "host@example.com",
            "operator_id": connection.zoom_user_id,
            "object": {
                "id": zoom_id,
                "uuid": "wEbInArUuId00000000001==",
                "host_id": connection.zoom_user_id,
                "type": zoom_type,
                **fields,
            },
        },
    }


@pytest.mark.django_db
def test_the_class_form_makes_a_zoom_webinar_through_zooms_webinar_endpoint(
    trainer_client, course, connected, zoom, django_capture_on_commit_callbacks
):
    form = trainer_client.get(f"/courses/{course.pk}/classes/new/").context["form"]
    assert dict(form.fields["zoom_meeting_kind"].choices) == {"meeting": "Zoom meeting", "webinar": "Zoom webinar"}
    zoom.add(responses.POST, WEBINARS_URL, json=zoom_webinar_body(), status=201)

    with django_capture_on_commit_callbacks(execute=True):
        response = trainer_client.post(
            f"/courses/{course.pk}/classes/new/", _class_form(create_zoom_meeting="on", zoom_meeting_kind="webinar")
        )

    class_session = ClassSession.objects.get()
    [call] = zoom.calls
    assert call.request.url == WEBINARS_URL
    assert_matches_zoom_openapi(call.request)
    body = json.loads(call.request.body)
    assert body["type"] == 5 and body["topic"] == f"{course.title}: Week 1" and body["duration"] == 90
    assert body["settings"]["approval_type"] == 1 and body["settings"]["auto_recording"] == "cloud"
    assert "waiting_room" not in body["settings"]  # a meeting-only setting
    meeting = ZoomMeeting.objects.get(class_session=class_session)
    assert (meeting.kind, meeting.status, meeting.zoom_meeting_id, meeting.meeting_type) == (
        "webinar",
        "ready",
        WEBINAR_ID,
        5,
    )
    page = trainer_client.get(response.url).content.decode()
    assert "Webinar ID" in page and "912 3456 7890" in page and "Zoom webinar" in page


@pytest.mark.django_db
def test_a_missing_webinar_plan_fails_clearly_and_the_form_then_says_so(
    trainer_client, course, connected, zoom, django_capture_on_commit_callbacks
):
    zoom.add(responses.POST, WEBINARS_URL, json=PLAN_MISSING, status=400)

    with django_capture_on_commit_callbacks(execute=True):
        trainer_client.post(
            f"/courses/{course.pk}/classes/new/", _class_form(create_zoom_meeting="on", zoom_meeting_kind="webinar")
        )

    meeting = ZoomMeeting.objects.get()
    assert meeting.status == MeetingStatus.FAILED
    assert "no Webinar plan" in meeting.error and "make the class a Zoom meeting" in meeting.error
    assert ZoomHostPlan.objects.get(zoom_user_id=connected.zoom_user_id).webinar is False
    page = trainer_client.get(f"/courses/classes/{meeting.class_session_id}/").content.decode()
    assert "The Zoom webinar could not be created" in page

    form_page = trainer_client.get(f"/courses/{course.pk}/classes/new/")
    field = form_page.context["form"].fields["zoom_meeting_kind"]
    assert dict(field.choices)["webinar"] == "Zoom webinar (not available on this Zoom account)"
    assert "has no Webinar add-on" in field.help_text
    refused = trainer_client.post(
        f"/courses/{course.pk}/classes/new/",
        _class_form(title="Second", create_zoom_meeting="on", zoom_meeting_kind="webinar"),
    )
    assert refused.status_code == 200
    assert "has no Webinar add-on" in refused.content.decode()
    assert ClassSession.objects.count() == 1
    assert len(zoom.calls) == 1


@pytest.mark.django_db
def test_the_host_plan_is_read_from_the_users_settings(connected, zoom):
    settings_url = f"{API}/users/me/settings"
    zoom.add(responses.GET, settings_url, json={"feature": {"meeting_capacity": 300, "webinar": False}})

    assert host_plans.host_plan_check(organization_id=connected.organization_id) is False

    [call] = calls_to(zoom, settings_url)
    assert_matches_zoom_openapi(call.request)
    reason = host_plans.webinar_unavailable_reason(connection=connected)
    assert "host@example.com has no Webinar add-on" in reason
    zoom.replace(responses.GET, settings_url, json={"feature": {"webinar": True, "webinar_capacity": 500}})
    assert host_plans.host_plan_check(organization_id=connected.organization_id) is True
    assert host_plans.webinar_unavailable_reason(connection=connected) == ""


@pytest.mark.django_db
def test_settings_check_again_asks_zoom_and_says_what_it_answered(
    owner_client, connected, zoom, django_capture_on_commit_callbacks
):
    zoom.add(responses.GET, f"{API}/users/me/settings", json={"feature": {"webinar": True}})

    before = owner_client.get("/settings/zoom/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post("/settings/zoom/webinar-plan/")
    after = owner_client.get("/settings/zoom/").content.decode()

    assert response.status_code == 302
    assert "Not checked yet" in before
    assert "Available: Zoom says host@example.com has the Webinar add-on" in after


@pytest.mark.django_db
def test_without_the_webinar_scopes_the_option_says_to_reconnect(trainer_client, course, organization):
    ZoomConnectionFactory(organization=organization, scopes=ALL_SCOPES.split())

    field = trainer_client.get(f"/courses/{course.pk}/classes/new/").context["form"].fields["zoom_meeting_kind"]

    assert "reconnect in Settings → Zoom" in field.help_text


@pytest.mark.django_db
def test_students_are_registered_on_the_webinar_in_batches_of_30_with_their_own_links(webinar_class, connected, zoom):
    meeting = ready_webinar(webinar_class)
    for index in range(31):
        RegistrationFactory(class_session=webinar_class, email=f"student{index}@example.com", first_name=f"S{index}")
    batch_url = f"{WEBINAR_URL}/batch_registrants"

    def batch_answer(request):
        people = json.loads(request.body)["registrants"]
        return (
            201,
            {},
            json.dumps(
                {
                    "registrants": [
                        {
                            "email": person["email"],
                            "registrant_id": f"reg-{person['email']}",
                            "join_url": f"https://us05web.zoom.us/w/{WEBINAR_ID}?tk={person['email']}",
                        }
                        for person in people
                    ]
                }
            ),
        )

    zoom.add(responses.GET, f"{WEBINAR_URL}/registrants", json={"registrants": [], "next_page_token": ""})
    zoom.add_callback(responses.POST, batch_url, callback=batch_answer)
    registrants.registrants_sync_start(meeting=meeting)
    registrants.registrants_sync(meeting_pk=meeting.pk)

    batches = calls_to(zoom, batch_url)
    assert [len(json.loads(call.request.body)["registrants"]) for call in batches] == [30, 1]
    for call in zoom.calls:
        assert "/webinars/" in call.request.url
        assert_matches_zoom_openapi(call.request)
    assert json.loads(batches[0].request.body)["auto_approve"] is True
    links = set(ZoomRegistrant.objects.filter(status=RegistrantStatus.SYNCED).values_list("join_url", flat=True))
    assert len(links) == 31


@pytest.mark.django_db
def test_one_student_confirmed_later_is_a_batch_of_one_approved_at_once(webinar_class, connected, zoom):
    meeting = ready_webinar(webinar_class)
    registration = RegistrationFactory(class_session=webinar_class, email="ada@example.com", first_name="Ada")
    zoom.add(
        responses.POST,
        f"{WEBINAR_URL}/batch_registrants",
        status=201,
        json={
            "registrants": [
                {"email": "ada@example.com", "registrant_id": "reg-ada", "join_url": f"{meeting.join_url}&tk=ada"}
            ]
        },
    )
    registrants.registrant_mark_syncing(registration=registration)

    registrants.registrant_sync(registration_pk=registration.pk)

    [call] = zoom.calls
    assert_matches_zoom_openapi(call.request)
    assert json.loads(call.request.body) == {
        "auto_approve": True,
        "registrants": [{"email": "ada@example.com", "first_name": "Ada", "last_name": registration.last_name}],
    }
    registrant = ZoomRegistrant.objects.get(registration=registration)
    assert (registrant.status, registrant.registrant_id, registrant.join_url) == (
        "synced",
        "reg-ada",
        f"{meeting.join_url}&tk=ada",
    )


@pytest.mark.django_db
def test_class_changes_and_deletion_reach_the_webinar(
    trainer_client, webinar_class, connected, zoom, django_capture_on_commit_callbacks
):
    ready_webinar(webinar_class)
    live = zoom_webinar_body(
        topic=f"{webinar_class.course.title}: Info session",
        start_time=webinar_class.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        duration=60,
    )
    zoom.add(responses.GET, WEBINAR_URL, json=live)
    zoom.add(responses.PATCH, WEBINAR_URL, status=204)
    zoom.add(responses.DELETE, WEBINAR_URL, status=204)

    with django_capture_on_commit_callbacks(execute=True):
        course_services.class_session_update(class_session=webinar_class, title="Open evening")
    page = trainer_client.get(f"/courses/classes/{webinar_class.pk}/delete/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        trainer_client.post(f"/courses/classes/{webinar_class.pk}/delete/", {"delete_zoom_meeting": "on"})

    assert [(call.request.method, call.request.url) for call in zoom.calls] == [
        ("GET", WEBINAR_URL),
        ("PATCH", WEBINAR_URL),
        ("DELETE", WEBINAR_URL),
    ]
    for call in zoom.calls:
        assert_matches_zoom_openapi(call.request)
    assert json.loads(zoom.calls[1].request.body) == {"topic": f"{webinar_class.course.title}: Open evening"}
    assert "Also delete Zoom meeting 912 3456 7890 on Zoom" in page
    assert not ZoomMeeting.objects.exists()


@pytest.mark.django_db
def test_a_poll_is_pushed_to_the_webinar(webinar_class, connected, zoom):
    meeting = ready_webinar(webinar_class)
    polls_url = f"{WEBINAR_URL}/polls"
    zoom.add(
        responses.POST,
        polls_url,
        status=201,
        json={
            "id": "wPoll1",
            "status": "notstart",
            "anonymous": False,
            "poll_type": 1,
            "title": "Warm-up",
            "questions": [{"name": "Which?", "type": "single", "answer_required": True, "answers": ["A", "B"]}],
        },
    )

    polls.poll_create(meeting=meeting, draft=polls.PollDraft(title="Warm-up", question="Which?", answers=["A", "B"]))

    [call] = calls_to(zoom, polls_url)
    assert_matches_zoom_openapi(call.request)


@pytest.mark.django_db
def test_a_webinar_changed_or_deleted_on_zoom_is_taken_as_a_meeting_is(
    client, webinar_class, connected, django_capture_on_commit_callbacks
):
    meeting = ready_webinar(webinar_class)

    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, lifecycle_event(connected, "webinar.updated", duration=45))
    meeting.refresh_from_db()
    assert meeting.zoom_changes["duration"] == {"zoom": 45, "class": 60}

    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, lifecycle_event(connected, "webinar.deleted", topic="x"))
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.DELETED_ON_ZOOM


@pytest.mark.django_db
def test_after_a_conversion_on_zoom_the_class_uses_the_other_api(
    client, webinar_class, connected, zoom, django_capture_on_commit_callbacks
):
    meeting = ready_webinar(webinar_class, kind="meeting", meeting_type=2)
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, lifecycle_event(connected, "meeting.converted_to_webinar"))
    meeting.refresh_from_db()
    assert (meeting.kind, meeting.meeting_type) == ("webinar", 5)
    zoom.add(responses.GET, WEBINAR_URL, json=zoom_webinar_body())
    assert meetings.meeting_start_url(meeting=meeting).startswith("https://us05web.zoom.us/s/")

    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, lifecycle_event(connected, "webinar.converted_to_meeting", zoom_type=2))
    meeting.refresh_from_db()
    assert (meeting.kind, meeting.meeting_type) == ("meeting", 2)
    zoom.add(responses.GET, f"{API}/meetings/{WEBINAR_ID}", json=zoom_webinar_body(type=2))
    meetings.meeting_start_url(meeting=meeting)
    assert [call.request.url for call in zoom.calls] == [WEBINAR_URL, f"{API}/meetings/{WEBINAR_ID}"]
