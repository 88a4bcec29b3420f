import hashlib
import hmac

import pytest
import requests
import responses
from django.conf import settings

from zoom_simulator import services
from zoom_simulator.webhooks import webhook_build, webhook_send


def expected_signature(request):
    message = f"v0:{request.headers['x-zm-request-timestamp']}:".encode() + request.body
    return "v0=" + hmac.new(settings.ZOOM_WEBHOOK_SECRET_TOKEN.encode(), message, hashlib.sha256).hexdigest()


def test_signature_is_hmac_over_timestamp_and_raw_body():
    request = webhook_build(event_body={"event": "meeting.started", "payload": {}}, timestamp=1700000000)

    assert request.headers["x-zm-request-timestamp"] == "1700000000"
    assert request.headers["x-zm-signature"] == expected_signature(request)
    assert request.url == f"{settings.SITE_URL}/zoom/webhook/"


@responses.activate
def test_send_posts_the_exact_bytes_and_records_failures(settings):
    settings.ZOOM_SIMULATOR_WEBHOOK_URL = "http://product.test/zoom/webhook/"
    responses.post("http://product.test/zoom/webhook/", status=200)
    request = webhook_send(request=webhook_build(event_body={"event": "meeting.ended", "payload": {}}))

    assert request.status_code == 200
    assert responses.calls[0].request.body == request.body
    assert responses.calls[0].request.headers["x-zm-signature"] == expected_signature(request)

    responses.post("http://product.test/zoom/webhook/", body=requests.ConnectionError("refused"))
    failed = webhook_send(request=webhook_build(event_body={"event": "meeting.ended", "payload": {}}))
    assert failed.status_code is None and "refused" in failed.error


def test_a_class_lifecycle_sends_zoom_shaped_events(meeting, captured):
    registrant = services.registrant_add(
        meeting=meeting, email="stu@example.com", first_name="Stu", last_name="Dent", auto_approve=True
    )

    services.participant_join(meeting=meeting, registrant=registrant)
    services.participant_join(meeting=meeting, name="Anonymous guest")
    services.meeting_end(meeting=meeting)

    events = [request.event for request in captured]
    assert events == [
        "meeting.started",
        "meeting.participant_joined",
        "meeting.participant_joined",
        "meeting.participant_left",
        "meeting.participant_left",
        "meeting.ended",
    ]
    for request in captured:
        assert request.headers["x-zm-signature"] == expected_signature(request)
        assert isinstance(request.payload["event_ts"], int)
        assert request.payload["payload"]["object"]["id"] == str(meeting.meeting_id)
    joined = captured[1].payload["payload"]["object"]["participant"]
    assert joined["registrant_id"] == registrant.registrant_id
    assert joined["email"] == "stu@example.com" and joined["user_name"] == "Stu Dent"
    guest = captured[2].payload["payload"]["object"]["participant"]
    assert "registrant_id" not in guest and guest["id"] == ""
    left = captured[3].payload["payload"]["object"]["participant"]
    assert left["participant_uuid"] == joined["participant_uuid"]
    assert left["leave_reason"] == "left the meeting. Reason : Host ended the meeting."
    assert captured[-1].payload["payload"]["object"]["end_time"]


def test_rejoin_keeps_participant_uuid_but_gets_a_new_user_id(meeting, captured):
    registrant = services.registrant_add(meeting=meeting, email="re@example.com", first_name="Re", auto_approve=True)
    services.participant_join(meeting=meeting, registrant=registrant)
    participant = meeting.instances.get().participants.get()
    services.participant_leave(participant=participant)
    services.participant_join(meeting=meeting, registrant=registrant)

    joins = [request for request in captured if request.event == "meeting.participant_joined"]
    first, second = (request.payload["payload"]["object"]["participant"] for request in joins)
    assert first["participant_uuid"] == second["participant_uuid"]
    assert first["user_id"] != second["user_id"]


def test_meeting_change_on_zoom_side_sends_object_and_old_object(meeting, captured):
    changes = {"topic": "New topic", "password": "xyz"}
    services.meeting_update(meeting=meeting, changes=changes, count_against_limit=False)

    payload = captured[0].payload["payload"]
    assert captured[0].event == "meeting.updated"
    assert payload["object"] == {"id": meeting.meeting_id, "topic": "New topic", "password": "xyz"}
    assert payload["old_object"]["topic"] == "CPR refresher"
    assert payload["operator"] == meeting.host.email


def test_app_deauthorized_has_zooms_shape(zoom_user, tokens, captured):
    services.app_uninstall(user=zoom_user)

    body = captured[0].payload
    assert set(body) == {"event", "payload"}
    expected_keys = {"account_id", "user_id", "signature", "deauthorization_time", "client_id", "event_ts"}
    assert set(body["payload"]) == expected_keys
    assert isinstance(body["payload"]["event_ts"], str)
    assert services.app_uninstall(user=zoom_user) == []


@pytest.mark.django_db
def test_control_room_pages_and_actions(client, meeting, captured):
    registrant = services.registrant_add(meeting=meeting, email="c@example.com", first_name="Cat", auto_approve=True)
    action_url = f"/zoomsim/control/meetings/{meeting.meeting_id}/action/"

    assert client.get("/zoomsim/control/").status_code == 200
    assert client.get(f"/zoomsim/control/meetings/{meeting.meeting_id}/").status_code == 200
    joined = client.post(action_url, {"action": "join_registrant", "registrant": registrant.pk}, follow=True)
    client.post(action_url, {"action": "end"})
    summary = client.post(action_url, {"action": "summary_ready"}, follow=True)

    assert "meeting.participant_joined" in joined.content.decode()
    assert "meeting.summary_completed" in summary.content.decode()
    assert [request.event for request in captured][-1] == "meeting.summary_completed"


@pytest.mark.django_db
def test_join_page_from_a_registrants_link(client, meeting, captured):
    registrant = services.registrant_add(meeting=meeting, email="link@example.com", first_name="Lin", auto_approve=True)
    path = f"/zoomsim/w/{meeting.meeting_id}?tk={registrant.join_token}"

    page = client.get(path)
    joined = client.post(path, {"action": "join"})

    assert "Join as Lin" in page.content.decode()
    assert "You are in the meeting" in joined.content.decode()
    assert captured[-1].payload["payload"]["object"]["participant"]["registrant_id"] == registrant.registrant_id


@pytest.mark.django_db
def test_each_users_meetings_send_webhooks_naming_their_own_host(zoom_user, captured):
    colleague = services.user_get_or_create(
        email="ana@example.com", first_name="Ana", last_name="Trainer", account_of=zoom_user
    )
    theirs = [
        services.meeting_create(host=host, topic=f"Class of {host.first_name}", count_against_limit=False)
        for host in (zoom_user, colleague)
    ]

    for meeting in theirs:
        services.participant_join(meeting=meeting, name="Guest", email="guest@example.com")

    named = [
        (request.event, request.payload["payload"]["account_id"], request.payload["payload"]["object"]["host_id"])
        for request in captured
    ]
    assert named == [
        ("meeting.started", zoom_user.account_id, zoom_user.zoom_user_id),
        ("meeting.participant_joined", zoom_user.account_id, zoom_user.zoom_user_id),
        ("meeting.started", zoom_user.account_id, colleague.zoom_user_id),
        ("meeting.participant_joined", zoom_user.account_id, colleague.zoom_user_id),
    ]
