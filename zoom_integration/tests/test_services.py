"""Refresh, reconnect-needed, disconnect, deauthorization, key rotation and the periodic tasks."""

import json
from datetime import timedelta
from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import MembershipFactory, UserFactory
from zoom_integration import crypto, jobs, tasks
from zoom_integration.connection import services, tokens
from zoom_integration.connection.selectors import connection_features, connection_of
from zoom_integration.exceptions import ZoomNeedsReconnect
from zoom_integration.inbox import drain
from zoom_integration.models import PendingZoomGrant, WebhookEvent, ZoomAccessRemoval, ZoomConnection

from .conftest import API, REVOKE_URL, TOKEN_URL, basic_auth_ok, calls_to, fixture_json, signed_headers, token_body
from .factories import ZoomConnectionFactory

ME = f"{API}/users/me"


def expire(connection, *, in_minutes=-1):
    connection.expires_at = timezone.now() + timedelta(minutes=in_minutes)
    connection.save()


# Reconnect needed ------------------------------------------------------------


def test_refused_refresh_marks_reconnect_needed_and_emails_owners_once(
    zoom, organization, owner, django_capture_on_commit_callbacks
):
    second_owner = MembershipFactory(organization=organization, role="owner").user
    MembershipFactory(organization=organization, role="trainer")
    connection = ZoomConnectionFactory(organization=organization)
    expire(connection)
    zoom.post(TOKEN_URL, status=400, json={"reason": "Invalid Token!", "error": "invalid_grant"})

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ZoomNeedsReconnect):
            tokens.connection_client(connection=connection_of(organization=organization)).users_me()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ZoomNeedsReconnect) as again:
            tokens.connection_client(connection=connection_of(organization=organization)).users_me()

    connection.refresh_from_db()
    assert connection.status == "reconnect_needed"
    assert len(calls_to(zoom, TOKEN_URL)) == 1
    assert not calls_to(zoom, ME)
    assert sorted(message.to[0] for message in mail.outbox) == sorted([owner.email, second_owner.email])
    assert "Reconnect Zoom for Acme Training" in mail.outbox[0].subject
    assert "https://app.cohortstudio.io/settings/zoom/" in mail.outbox[0].body
    assert "Reconnect Zoom to manage this" in again.value.user_message


def test_reconnect_needed_page_shows_troubleshooting_and_connect_button(owner_client, organization):
    ZoomConnectionFactory(organization=organization, status="reconnect_needed")

    page = owner_client.get("/settings/zoom/").content.decode()

    assert "Reconnect needed" in page
    assert "if you changed your Zoom password or were signed out everywhere, the refresh can fail." in page
    assert "Connect Zoom account" in page
    assert "Connected as" not in page


def test_connected_page_shows_features_and_switches_off_those_missing_a_scope(owner_client, organization):
    connection = ZoomConnectionFactory(
        organization=organization, scopes=["user:read:user", "meeting:read:summary", "meeting:delete:summary"]
    )
    connection.last_webhook_at = timezone.now()
    connection.save()

    response = owner_client.get("/settings/zoom/")
    page = response.content.decode()

    features = {feature.key: feature for feature in response.context["overview"].features}
    assert features["profile"].enabled and features["summaries"].enabled
    assert not features["meetings"].enabled
    assert "Switched off: Zoom did not grant meeting:read, meeting:write" in page
    assert f"Connected as {connection.zoom_email}" in page
    assert "No webhook received yet" not in page


def test_classic_scopes_count_too(organization):
    connection = ZoomConnectionFactory(
        organization=organization, scopes=["user:read", "meeting:read", "meeting:write", "recording:read"]
    )
    enabled = {feature.key for feature in connection_features(connection=connection) if feature.enabled}
    assert enabled == {"profile", "meetings", "registrants", "polls", "poll_results", "recordings", "attendance"}


# Scheduled refresh -----------------------------------------------------------


def test_beat_refreshes_only_tokens_expiring_within_ten_minutes(zoom, organization, other_organization):
    soon = ZoomConnectionFactory(organization=organization, refresh_token="zrt-soon")
    expire(soon, in_minutes=8)
    later = ZoomConnectionFactory(organization=other_organization)
    expire(later, in_minutes=30)
    zoom.post(TOKEN_URL, json=token_body("zat-renewed", "zrt-renewed"))

    tasks.tokens_refresh_expiring_task.delay()

    (refresh,) = calls_to(zoom, TOKEN_URL)
    assert basic_auth_ok(refresh.request)
    soon.refresh_from_db()
    assert soon.access_token() == "zat-renewed"
    assert soon.expires_at > timezone.now() + timedelta(minutes=55)


def test_beat_survives_zoom_being_down(zoom, organization):
    connection = ZoomConnectionFactory(organization=organization)
    expire(connection, in_minutes=5)
    zoom.post(TOKEN_URL, status=503)

    assert tokens.tokens_refresh_expiring() == 0

    connection.refresh_from_db()
    assert connection.status == "connected"


# Disconnect ------------------------------------------------------------------


def test_disconnect_confirms_then_deletes_tokens_and_revokes(
    owner_client, organization, owner, zoom, django_capture_on_commit_callbacks
):
    connection = ZoomConnectionFactory(organization=organization, access_token="zat-to-revoke")
    zoom.post(REVOKE_URL, json={"status": "success"})

    confirm = owner_client.get("/settings/zoom/disconnect/").content.decode()
    assert "The encrypted Zoom access and refresh tokens stored by CohortStudio are deleted immediately." in confirm
    assert "Cloud recordings, AI summaries, and registrants stored on Zoom are unaffected" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post("/settings/zoom/disconnect/", follow=True)

    page = response.content.decode()
    assert "Zoom is disconnected." in page
    assert 'badge text-bg-success">Connected<' not in page
    assert "Not connected" in page
    connection.refresh_from_db()
    assert connection.access_token_encrypted == "" and connection.refresh_token_encrypted == ""
    assert connection.status == "disconnected"
    (revoke,) = calls_to(zoom, REVOKE_URL)
    assert basic_auth_ok(revoke.request)
    assert parse_qs(urlparse(revoke.request.url).query)["token"] == ["zat-to-revoke"]
    removal = ZoomAccessRemoval.objects.get()
    assert (removal.reason, removal.removed_by, removal.deleted) == ("disconnected", owner, services.TOKENS_DELETED)


def test_revoke_failure_is_not_a_failed_disconnect(
    owner_client, organization, zoom, django_capture_on_commit_callbacks, caplog
):
    connection = ZoomConnectionFactory(organization=organization)
    zoom.post(REVOKE_URL, status=500, body="Internal error")

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post("/settings/zoom/disconnect/", follow=True)

    assert "Zoom is disconnected." in response.content.decode()
    assert "alert-danger" not in response.content.decode()
    connection.refresh_from_db()
    assert not connection.has_tokens
    assert "zoom revoke failed" in caplog.text


def test_disconnect_page_when_not_connected_redirects(owner_client, organization):
    response = owner_client.get("/settings/zoom/disconnect/")
    assert response.status_code == 302 and response["Location"] == "/settings/zoom/"


# Deauthorization -------------------------------------------------------------


def deauthorization_body(connection, sample="app_deauthorized.json"):
    payload = fixture_json(sample)
    payload["payload"]["user_id"] = connection.zoom_user_id
    payload["payload"]["account_id"] = connection.zoom_account_id
    return json.dumps(payload).encode()


def post_webhook(client, body):
    return client.post("/zoom/webhook/", data=body, content_type="application/json", headers=signed_headers(body))


def test_deauthorization_deletes_tokens_and_tells_the_owner_once(
    client, owner_client, organization, django_capture_on_commit_callbacks
):
    connection = ZoomConnectionFactory(organization=organization)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, deauthorization_body(connection))

    assert response.status_code == 200
    connection.refresh_from_db()
    assert connection.status == "disconnected"
    assert not connection.access_token_encrypted and not connection.refresh_token_encrypted
    event = WebhookEvent.objects.get()
    assert (event.event_type, event.state, event.organization) == ("app_deauthorized", "processed", organization)
    assert event.event_ts.isoformat() == "2024-09-08T15:58:40+00:00"
    removal = ZoomAccessRemoval.objects.get()
    assert removal.reason == "deauthorized"
    assert removal.webhook_event == event
    assert removal.deleted == ["Zoom access token", "Zoom refresh token"]
    assert removal.zoom_reported_at.isoformat() == "2020-06-17T13:52:28.632000+00:00"
    first = owner_client.get("/settings/zoom/").content.decode()
    assert "Zoom reported that the CohortStudio app was removed" in first
    assert "Not connected" in first
    second = owner_client.get("/settings/zoom/").content.decode()
    assert "Zoom reported that the CohortStudio app was removed" not in second
    assert not mail.outbox


def test_legacy_deauthorization_payload_without_event_ts(client, organization, django_capture_on_commit_callbacks):
    connection = ZoomConnectionFactory(organization=organization)

    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, deauthorization_body(connection, "app_deauthorized.legacy.json"))

    event = WebhookEvent.objects.get()
    assert event.event_ts is None and event.state == "processed"
    connection.refresh_from_db()
    assert connection.status == "disconnected"


def test_deauthorization_after_disconnect_finds_nothing_to_do(
    client, owner_client, organization, zoom, django_capture_on_commit_callbacks
):
    connection = ZoomConnectionFactory(organization=organization)
    zoom.post(REVOKE_URL, json={"status": "success"})
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post("/settings/zoom/disconnect/")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, deauthorization_body(connection))

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.state == "ignored"
    assert "nothing left to delete" in event.error
    assert ZoomAccessRemoval.objects.count() == 1
    connection.refresh_from_db()
    assert connection.notice == ""
    assert "Zoom reported" not in owner_client.get("/settings/zoom/").content.decode()
    assert not mail.outbox


# Key rotation ----------------------------------------------------------------


def test_rotate_encryption_keys_command(settings, organization, zoom):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    connection = ZoomConnectionFactory(
        organization=organization, access_token="zat-rotate-me", refresh_token="zrt-rotate-me"
    )
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    before = ZoomConnection.objects.get().access_token_encrypted

    dry = StringIO()
    call_command("rotate_encryption_keys", "--dry-run", stdout=dry)
    assert "Would re-encrypt 2 of 2 stored secrets" in dry.getvalue()
    assert ZoomConnection.objects.get().access_token_encrypted == before

    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "Re-encrypted 2 of 2 stored secrets" in out.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    connection.refresh_from_db()
    assert connection.access_token() == "zat-rotate-me"
    assert connection.refresh_token() == "zrt-rotate-me"
    again = StringIO()
    call_command("rotate_encryption_keys", stdout=again)
    assert "Re-encrypted 0 of 2" in again.getvalue()


def test_rotate_reports_secrets_no_key_can_read(settings, organization):
    ZoomConnectionFactory(organization=organization)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(CommandError, match="2 stored secret"):
        call_command("rotate_encryption_keys", stdout=StringIO())


def test_ciphertext_is_fernet_under_the_first_key(settings):
    ciphertext = crypto.encrypt("zat-plain")
    assert ciphertext != "zat-plain"
    assert Fernet(settings.FIELD_ENCRYPTION_KEYS[0]).decrypt(ciphertext.encode()) == b"zat-plain"


# Webhook processing ----------------------------------------------------------


def test_sweeper_processes_events_whose_task_never_ran(organization):
    connection = ZoomConnectionFactory(organization=organization)
    body = deauthorization_body(connection)
    event_id, created = jobs.webhook_event_accept(raw_body=body, payload=json.loads(body))
    assert created
    event = WebhookEvent.objects.get(pk=event_id)
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(minutes=5))

    tasks.webhook_events_sweep_task.delay()

    event.refresh_from_db()
    assert event.state == "processed"
    assert event.attempts == 1
    connection.refresh_from_db()
    assert connection.status == "disconnected"


def test_processing_twice_runs_the_handler_once(organization):
    connection = ZoomConnectionFactory(organization=organization)
    body = deauthorization_body(connection)
    event_id, _ = jobs.webhook_event_accept(raw_body=body, payload=json.loads(body))
    event = WebhookEvent.objects.get(pk=event_id)

    drain.webhook_event_process(event_id=event.pk)
    drain.webhook_event_process(event_id=event.pk)

    event.refresh_from_db()
    assert (event.state, event.attempts) == ("processed", 1)
    assert ZoomAccessRemoval.objects.count() == 1


def test_sweeper_purges_unclaimed_marketplace_tokens(zoom, organization):
    pending = PendingZoomGrant(
        session_binding="0" * 64,
        zoom_user_id="u1",
        zoom_account_id="a1",
        hold_until=timezone.now() - timedelta(minutes=1),
    )
    pending.set_tokens(
        access_token="zat-unclaimed", refresh_token="zrt-unclaimed", expires_at=timezone.now(), scopes=[]
    )
    pending.save()
    zoom.post(REVOKE_URL, json={"status": "success"})

    tasks.webhook_events_sweep_task.delay()

    assert not PendingZoomGrant.objects.exists()
    (revoke,) = calls_to(zoom, REVOKE_URL)
    assert parse_qs(urlparse(revoke.request.url).query)["token"] == ["zat-unclaimed"]


def test_last_webhook_of_a_connection_is_written_about_once_a_minute_not_once_an_event(organization):
    connection = ZoomConnectionFactory(organization=organization, last_webhook_at=None)
    received = timezone.now()

    def processed(number, *, seconds_later):
        body = json.dumps(
            {
                "event": "meeting.participant_joined",
                "event_ts": number,
                "payload": {
                    "account_id": connection.zoom_account_id,
                    "object": {"id": "1", "host_id": connection.zoom_user_id},
                },
            }
        ).encode()
        event_id, _ = jobs.webhook_event_accept(raw_body=body, payload=json.loads(body))
        WebhookEvent.objects.filter(pk=event_id).update(received_at=received + timedelta(seconds=seconds_later))
        drain.webhook_event_process(event_id=event_id)
        connection.refresh_from_db()
        return connection.last_webhook_at

    assert processed(1, seconds_later=0) == received
    assert processed(2, seconds_later=30) == received, "within the minute it is shown with"
    assert processed(3, seconds_later=61) == received + timedelta(seconds=61)


def test_pruning_deletes_finished_deliveries_past_retention_and_keeps_what_they_produced(organization, monkeypatch):
    connection = ZoomConnectionFactory(organization=organization)
    now = timezone.now()

    def stored(number, *, state, days_ago):
        body = json.dumps({"event": "meeting.participant_joined", "event_ts": number, "payload": {}}).encode()
        event_id, _ = jobs.webhook_event_accept(raw_body=body, payload=json.loads(body))
        WebhookEvent.objects.filter(pk=event_id).update(state=state, received_at=now - timedelta(days=days_ago))
        return event_id

    old_finished = [
        stored(1, state="processed", days_ago=91),
        stored(2, state="ignored", days_ago=120),
        stored(3, state="failed", days_ago=400),
    ]
    old_waiting = stored(4, state="received", days_ago=91)
    recent = stored(5, state="processed", days_ago=89)
    removal = ZoomAccessRemoval.objects.create(
        organization=organization,
        reason="deauthorized",
        zoom_user_id=connection.zoom_user_id,
        zoom_account_id=connection.zoom_account_id,
        removed_at=now,
        webhook_event_id=old_finished[0],
    )
    monkeypatch.setattr(drain, "WEBHOOK_PRUNE_BATCH", 2)

    assert drain.webhook_events_prune(now=now) == 3

    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {old_waiting, recent}
    removal.refresh_from_db()
    assert removal.webhook_event_id is None, "the audit of the removal stays"
    assert drain.webhook_events_prune(now=now) == 0


def test_admin_reprocess_action_runs_a_failed_event_again(client, organization, django_capture_on_commit_callbacks):
    connection = ZoomConnectionFactory(organization=organization)
    body = deauthorization_body(connection)
    event_id, _ = jobs.webhook_event_accept(raw_body=body, payload=json.loads(body))
    event = WebhookEvent.objects.get(pk=event_id)
    WebhookEvent.objects.filter(pk=event.pk).update(state="failed", error="RuntimeError: database was away")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    changelist = client.get("/admin/zoom_integration/webhookevent/").content.decode()
    assert "Failed" in changelist
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/zoom_integration/webhookevent/",
            {"action": "reprocess", "_selected_action": [event.pk]},
        )

    event.refresh_from_db()
    assert (event.state, event.error) == ("processed", "")
    connection.refresh_from_db()
    assert connection.status == "disconnected"
