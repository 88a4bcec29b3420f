"""Zoom's webhook endpoint skips the page middleware (BareEndpointsMiddleware); every other page keeps it."""

import json

import pytest
from django.conf import settings

from zoom_integration.models import WebhookEvent

from .conftest import fixture_json, signed_headers

pytestmark = pytest.mark.django_db


def webhook_post(client, **extra):
    raw = json.dumps(fixture_json("meeting.started.json")).encode()
    return client.post(
        "/zoom/webhook/", data=raw, content_type="application/json", headers=signed_headers(raw), **extra
    )


def test_the_webhook_is_stored_without_a_session_a_user_or_a_cookie(client, django_assert_max_num_queries):
    assert "/zoom/webhook/" in settings.BARE_ENDPOINTS
    with django_assert_max_num_queries(1):  # the insert (prepared on the server, so Django may not see it)
        response = webhook_post(client)

    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1
    assert not response.cookies
    assert "Set-Cookie" not in response.headers
    request = response.wsgi_request
    assert not hasattr(request, "session")
    assert not hasattr(request, "user")
    assert not hasattr(request, "organization")
    assert response.headers["X-Request-ID"]  # the middleware before it still runs
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_webhook_still_refuses_a_host_not_allowed_and_a_bad_signature(client):
    assert webhook_post(client, HTTP_HOST="evil.example.com").status_code == 400
    raw = json.dumps(fixture_json("meeting.started.json")).encode()
    headers = signed_headers(raw, secret="not-the-secret")
    response = client.post("/zoom/webhook/", data=raw, content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert not response.cookies
    assert WebhookEvent.objects.count() == 0


def test_a_get_of_the_webhook_is_refused_as_before(client):
    assert client.get("/zoom/webhook/").status_code == 405


def test_other_pages_still_get_the_session_auth_csrf_and_organization_middleware(client, owner):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    request = response.wsgi_request
    assert hasattr(request, "session") and hasattr(request, "user")
    assert settings.CSRF_COOKIE_NAME in response.cookies

    client.force_login(owner)
    response = client.get("/")
    request = response.wsgi_request
    assert request.user == owner
    assert hasattr(request, "session")


def test_a_path_under_the_webhooks_is_not_bare(client):
    response = client.post("/zoom/webhook/more/", data=b"{}", content_type="application/json")
    assert response.status_code in (403, 404)  # CSRF or no such page, through the whole stack
    assert hasattr(response.wsgi_request, "session")
