import json
import logging

import pytest

from cohortstudio.observability import ContextFilter, redact


def test_redaction_removes_emails_tokens_and_secrets():
    line = redact(
        "POST /oauth/token refresh_token=abc.def&code=XYZ for ada@example.com Authorization: Bearer eyJhbGciOi.x.y"
    )
    assert "ada@example.com" not in line and "abc.def" not in line and "XYZ" not in line and "eyJhbGciOi" not in line
    assert "refresh_token=[redacted]" in line and "[email]" in line and "Bearer [redacted]" in line


def test_filter_adds_context_and_redacts_args():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "student %s joined", ("grace@example.com",), None)
    assert ContextFilter().filter(record)
    assert record.getMessage() == "student [email] joined"
    assert record.request_id == "-"


@pytest.mark.django_db
def test_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-123").headers["X-Request-ID"] == "lb-123"
    made = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces").headers["X-Request-ID"]
    assert len(made) == 32 and " " not in made


@pytest.mark.django_db
def test_healthz_reports_database_and_redis(client, settings):
    response = client.get("/healthz")
    body = json.loads(response.content)
    assert response.status_code == 200, body
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True


@pytest.mark.django_db
def test_healthz_fails_when_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}


@pytest.mark.django_db
def test_healthz_reports_the_age_of_the_oldest_unprocessed_webhook(client):
    from datetime import timedelta

    from django.utils import timezone

    from zoom_integration.models import WebhookEvent

    event = WebhookEvent.objects.create(event_type="meeting.ended", raw_body="{}", dedup_key="b" * 64)
    body = json.loads(client.get("/healthz").content)
    assert body["checks"]["zoom_webhooks"]["ok"] is True and body["checks"]["zoom_webhooks"]["unprocessed"] == 1
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(minutes=30))
    response = client.get("/healthz")
    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["checks"]["zoom_webhooks"]["oldest_unprocessed_seconds"] >= 1800


def test_request_and_organization_ids_travel_with_a_task_to_the_worker():
    from celery.app.task import Context

    from cohortstudio import observability as obs

    headers = {}
    request_token, organization_token = obs.request_id_var.set("req-42"), obs.organization_id_var.set("7")
    try:
        obs._log_context_into_task(headers=headers)
    finally:
        obs.request_id_var.reset(request_token)
        obs.organization_id_var.reset(organization_token)
    assert headers == {obs.TASK_HEADER_REQUEST_ID: "req-42", obs.TASK_HEADER_ORGANIZATION_ID: "7"}

    class WorkerTask:
        request = Context(is_eager=False, **headers)

    obs._log_context_from_task(task_id="t-1", task=WorkerTask)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "drained", (), None)
    ContextFilter().filter(record)
    assert (record.request_id, record.organization_id) == ("req-42", "7")
    obs._log_context_after_task(task_id="t-1")
    assert (obs.request_id_var.get(), obs.organization_id_var.get()) == ("-", "-")


def test_a_task_queued_outside_a_request_is_tied_to_its_own_id():
    from celery.app.task import Context

    from cohortstudio import observability as obs

    class BeatTask:
        request = Context(is_eager=False, **{obs.TASK_HEADER_REQUEST_ID: "-"})

    obs._log_context_from_task(task_id="t-2", task=BeatTask)
    try:
        assert obs.request_id_var.get() == "task-t-2"
    finally:
        obs._log_context_after_task(task_id="t-2")
