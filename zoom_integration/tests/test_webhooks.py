"""The webhook contract, probed from outside over HTTP against a running server."""

import hashlib
import hmac
import json
import time

import pytest
import requests
from kombu.exceptions import OperationalError

from zoom_integration import tasks
from zoom_integration.inbox import dispatch as handlers
from zoom_integration.models import WebhookEvent

from .conftest import WEBHOOK_SECRET, fixture_json, signed_headers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def endpoint(live_server):
    return f"{live_server.url}/zoom/webhook/"


def post(endpoint, body, headers):
    return requests.post(endpoint, data=body, headers=headers, timeout=10)


def meeting_started_body():
    return json.dumps(fixture_json("meeting.started.json")).encode()


def test_url_validation_is_answered_with_the_hmac_of_the_plain_token(endpoint):
    body = json.dumps(fixture_json("endpoint.url_validation.json")).encode()

    response = post(endpoint, body, signed_headers(body))

    assert response.status_code == 200
    expected = hmac.new(WEBHOOK_SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert response.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}
    assert not WebhookEvent.objects.exists()


def test_unsigned_url_validation_is_refused(endpoint):
    body = json.dumps(fixture_json("endpoint.url_validation.json")).encode()

    response = post(endpoint, body, {"Content-Type": "application/json"})

    assert response.status_code == 401
    assert "encryptedToken" not in response.text


def test_unsigned_event_is_refused(endpoint):
    response = post(
        endpoint,
        meeting_started_body(),
        {"Content-Type": "application/json", "x-zm-request-timestamp": str(int(time.time()))},
    )
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_wrong_signature_is_refused(endpoint):
    body = meeting_started_body()
    response = post(endpoint, body, signed_headers(body, secret="not-the-secret-token"))
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_stale_timestamp_is_refused_as_a_replay(endpoint):
    body = meeting_started_body()
    response = post(endpoint, body, signed_headers(body, timestamp=int(time.time()) - 6 * 60))
    assert response.status_code == 401
    assert "replay" in response.json()["error"]
    assert not WebhookEvent.objects.exists()


def test_body_altered_after_signing_is_refused(endpoint):
    body = meeting_started_body()
    headers = signed_headers(body)
    altered = body.replace(b"My Meeting", b"My Meetinh")

    response = post(endpoint, altered, headers)

    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_malformed_json_is_400(endpoint):
    body = b'{"event": "meeting.started", "payload": '
    response = post(endpoint, body, signed_headers(body))
    assert response.status_code == 400


def test_oversized_body_is_413(endpoint):
    body = b'{"event": "meeting.started", "padding": "' + b"x" * (1024 * 1024) + b'"}'
    response = post(endpoint, body, signed_headers(body))
    assert response.status_code == 413
    assert not WebhookEvent.objects.exists()


def test_event_for_an_unknown_meeting_is_stored_ignored_and_answered_200(endpoint):
    body = meeting_started_body()

    response = post(endpoint, body, signed_headers(body))

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.event_type == "meeting.started"
    assert event.state == "ignored"
    assert event.raw_body.encode() == body
    assert event.dedup_key == hashlib.sha256(body).hexdigest()
    assert event.event_ts.isoformat() == "2021-07-14T02:44:51.572000+00:00"
    assert event.organization is None


def test_duplicate_delivery_is_processed_once(endpoint, monkeypatch):
    handled = []
    monkeypatch.setitem(
        handlers._handlers,
        "meeting.started",
        handlers.Handler(function=lambda *, context: handled.append(context.event.pk), needs_connection=False),
    )
    body = meeting_started_body()

    first = post(endpoint, body, signed_headers(body))
    retry = post(endpoint, body, signed_headers(body))

    assert (first.status_code, retry.status_code) == (200, 200)
    event = WebhookEvent.objects.get()
    assert event.state == "processed"
    assert handled == [event.pk]


def test_event_is_stored_and_acknowledged_when_the_queue_is_down(endpoint, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(tasks.webhook_event_process_task, "apply_async", broker_down)
    body = meeting_started_body()

    response = post(endpoint, body, signed_headers(body))

    assert response.status_code == 200
    assert WebhookEvent.objects.get().state == "received"


def test_only_post_is_allowed(endpoint):
    assert requests.get(endpoint, timeout=10).status_code == 405
