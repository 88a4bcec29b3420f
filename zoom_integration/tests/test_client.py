"""The REST client: retries, rate limits, token refresh on 401 code 124, and Zoom error codes as typed errors."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.utils import timezone

from zoom_integration.connection.client import StaticToken, ZoomClient
from zoom_integration.connection.selectors import connection_of
from zoom_integration.connection.tokens import connection_client
from zoom_integration.exceptions import (
    ZoomMissingScope,
    ZoomNeedsReconnect,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRejected,
    ZoomUnavailable,
)

from .conftest import API, TOKEN_URL, calls_to, fixture_json, form_of, token_body
from .factories import ZoomConnectionFactory

ME = f"{API}/users/me"


def static_client():
    return ZoomClient(tokens=StaticToken("zat-static-token"))


def test_users_me_sends_bearer_token(zoom):
    zoom.get(ME, json=fixture_json("users_me.json"))

    me = static_client().users_me()

    assert me["email"] == "jchill@example.com"
    assert zoom.calls[0].request.headers["Authorization"] == "Bearer zat-static-token"


def test_get_is_retried_on_5xx_with_growing_backoff(zoom, no_backoff_sleep):
    zoom.get(ME, status=503, json={"code": 503, "message": "busy"})
    zoom.get(ME, status=500, body="oops")
    zoom.get(ME, json=fixture_json("users_me.json"))

    assert static_client().users_me()["id"] == "KDcuGIm1QgePTO8WbOqwIQ"

    assert len(zoom.calls) == 3
    assert len(no_backoff_sleep) == 2
    assert 0.25 <= no_backoff_sleep[0] <= 0.5
    assert 0.5 <= no_backoff_sleep[1] <= 1.0


def test_timeouts_and_connection_errors_retry_then_raise_unavailable(zoom):
    zoom.get(ME, body=requests.Timeout("read timed out"))
    zoom.get(ME, body=requests.ConnectionError("refused"))
    zoom.get(ME, body=requests.Timeout("read timed out"))

    with pytest.raises(ZoomUnavailable) as raised:
        static_client().users_me()

    assert len(zoom.calls) == 3
    assert "Zoom is not responding" in raised.value.user_message


def test_non_idempotent_calls_are_not_retried(zoom):
    zoom.post(f"{API}/users/me/meetings", status=503, body="busy")

    with pytest.raises(ZoomUnavailable):
        static_client()._request("POST", "/users/me/meetings", scope="meeting:write:meeting", json={"topic": "PMP"})

    assert len(zoom.calls) == 1


def test_daily_rate_limit_raises_with_retry_at_and_does_not_wait(zoom, no_backoff_sleep):
    zoom.get(
        ME,
        status=429,
        headers={
            "X-RateLimit-Type": "Daily-limit",
            "X-RateLimit-Category": "Light",
            "Retry-After": "2030-01-02T00:00:00Z",
        },
        json={
            "code": 429,
            "message": "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.",
        },
    )

    with pytest.raises(ZoomRateLimited) as raised:
        static_client().users_me()

    assert raised.value.daily is True
    assert raised.value.retry_at == datetime(2030, 1, 2, tzinfo=UTC)
    assert no_backoff_sleep == []
    assert len(zoom.calls) == 1


def test_daily_rate_limit_without_headers_retries_at_midnight_utc(zoom):
    zoom.get(
        ME, status=429, json={"code": 429, "message": "You have reached the maximum daily rate limit for this API."}
    )

    with pytest.raises(ZoomRateLimited) as raised:
        static_client().users_me()

    retry_at = raised.value.retry_at
    assert (retry_at.hour, retry_at.minute) == (0, 0)
    assert timezone.now() < retry_at <= timezone.now() + timedelta(days=1)


def test_per_second_rate_limit_waits_briefly_and_retries(zoom, no_backoff_sleep):
    zoom.get(
        ME,
        status=429,
        headers={"X-RateLimit-Type": "QPS", "Retry-After": "1"},
        json={
            "code": 429,
            "message": "You have reached the maximum per-second rate limit for this API. Try again later.",
        },
    )
    zoom.get(ME, json=fixture_json("users_me.json"))

    assert static_client().users_me()["email"] == "jchill@example.com"
    assert len(no_backoff_sleep) == 1 and 0 < no_backoff_sleep[0] <= 1


def test_per_second_rate_limit_with_a_long_wait_is_raised(zoom, no_backoff_sleep):
    zoom.get(
        ME,
        status=429,
        headers={"X-RateLimit-Type": "QPS", "X-RateLimit-Reset": "30"},
        json={"code": 429, "message": "Too many concurrent requests."},
    )

    with pytest.raises(ZoomRateLimited) as raised:
        static_client().users_me()

    assert raised.value.daily is False
    assert no_backoff_sleep == []


def test_not_found_and_rejected_keep_zooms_code(zoom):
    zoom.get(
        f"{API}/meetings/85746065432",
        status=404,
        json={"code": 3001, "message": "Meeting does not exist: 85746065432."},
    )
    zoom.get(
        ME,
        status=400,
        json={"code": 300, "message": "Validation Failed.", "errors": [{"field": "x", "message": "Invalid field."}]},
    )

    with pytest.raises(ZoomNotFound) as not_found:
        static_client()._request("GET", "/meetings/85746065432", scope="meeting:read:meeting")
    with pytest.raises(ZoomRejected) as rejected:
        static_client().users_me()

    assert not_found.value.code == 3001
    assert rejected.value.code == 300
    assert "Validation Failed." in rejected.value.user_message


def test_missing_scope_names_the_scope_and_does_not_refresh(zoom, organization):
    ZoomConnectionFactory(organization=organization)
    zoom.get(
        ME,
        status=401,
        json={
            "code": 4700,
            "message": "Invalid access token, does not contain scopes:[user:read:user, user:read:admin].",
        },
    )

    with pytest.raises(ZoomMissingScope) as raised:
        connection_client(connection=connection_of(organization=organization)).users_me()

    assert raised.value.scopes == ["user:read:user"]
    assert "user:read:user" in raised.value.user_message
    assert not calls_to(zoom, TOKEN_URL)


def test_missing_scope_without_a_list_names_the_endpoint_scope(zoom):
    zoom.get(ME, status=401, json={"code": 4700, "message": "Invalid access token, does not contain scopes."})

    with pytest.raises(ZoomMissingScope) as raised:
        static_client().users_me()

    assert raised.value.scopes == ["user:read:user"]


def test_401_code_124_refreshes_once_and_retries_once(zoom, organization):
    connection = ZoomConnectionFactory(
        organization=organization, access_token="zat-revoked", refresh_token="zrt-current"
    )
    zoom.get(ME, status=401, json={"code": 124, "message": "Invalid access token."})
    zoom.post(TOKEN_URL, json=token_body("zat-fresh", "zrt-next"))
    zoom.get(ME, json=fixture_json("users_me.json"))

    assert connection_client(connection=connection_of(organization=organization)).users_me()["id"]

    me_calls = calls_to(zoom, ME)
    assert [call.request.headers["Authorization"] for call in me_calls] == ["Bearer zat-revoked", "Bearer zat-fresh"]
    (refresh,) = calls_to(zoom, TOKEN_URL)
    assert form_of(refresh.request) == {"grant_type": "refresh_token", "refresh_token": "zrt-current"}
    connection.refresh_from_db()
    assert connection.access_token() == "zat-fresh"
    assert connection.refresh_token() == "zrt-next"


def test_second_401_after_refresh_needs_reconnect(zoom, organization):
    ZoomConnectionFactory(organization=organization)
    zoom.get(ME, status=401, json={"code": 124, "message": "Invalid access token."})
    zoom.post(TOKEN_URL, json=token_body("zat-fresh", "zrt-next"))

    with pytest.raises(ZoomNeedsReconnect):
        connection_client(connection=connection_of(organization=organization)).users_me()

    assert len(calls_to(zoom, TOKEN_URL)) == 1
    assert len(calls_to(zoom, ME)) == 2


def test_expired_token_is_refreshed_before_the_call(zoom, organization):
    connection = ZoomConnectionFactory(
        organization=organization, access_token="zat-expired", refresh_token="zrt-current"
    )
    connection.expires_at = timezone.now() - timedelta(minutes=1)
    connection.save()
    zoom.post(TOKEN_URL, json=token_body("zat-fresh", "zrt-next"))
    zoom.get(ME, json=fixture_json("users_me.json"))

    connection_client(connection=connection_of(organization=organization)).users_me()

    assert calls_to(zoom, ME)[0].request.headers["Authorization"] == "Bearer zat-fresh"


def test_no_connection_means_reconnect(organization):
    with pytest.raises(ZoomNeedsReconnect) as raised:
        connection_client(connection=connection_of(organization=organization))

    assert "Reconnect Zoom to manage this" in raised.value.user_message
