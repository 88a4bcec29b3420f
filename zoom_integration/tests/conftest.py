"""Zoom test helpers: Zoom's endpoints faked with `responses`, payloads shaped as Zoom documents them."""

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import responses
from django.test import Client

from zoom_integration.connection.client import ZoomClient
from zoom_integration.inbox.verify import webhook_signature

FIXTURES = Path(__file__).parent / "fixtures"
OAUTH = "https://zoom.us"
API = "https://api.zoom.us/v2"
TOKEN_URL = f"{OAUTH}/oauth/token"
REVOKE_URL = f"{OAUTH}/oauth/revoke"
CLIENT_ID = "testClientId123"
CLIENT_SECRET = "testClientSecret456"
WEBHOOK_SECRET = "testWebhookSecretToken789"
ALL_SCOPES = (
    "user:read:user meeting:write:meeting meeting:read:meeting meeting:update:meeting meeting:delete:meeting "
    "meeting:write:registrant meeting:write:batch_registrants meeting:read:list_registrants "
    "meeting:update:registrant_status meeting:write:poll meeting:read:list_polls meeting:delete:poll "
    "meeting:read:summary meeting:delete:summary cloud_recording:read:list_recording_files "
    "cloud_recording:read:recording meeting:read:participant meeting:read:list_past_participants "
    "meeting:read:list_poll_results"
)

# What a connection granted the webinar feature holds on top (FEATURE_WEBINARS).
WEBINAR_SCOPES = (
    "user:read:settings webinar:write:webinar webinar:read:webinar webinar:update:webinar webinar:delete:webinar "
    "webinar:write:registrant webinar:write:batch_registrants webinar:read:list_registrants "
    "webinar:update:registrant_status webinar:write:poll webinar:read:list_polls webinar:delete:poll "
    "webinar:read:list_past_polls webinar:read:list_past_participants"
)


def fixture_json(name):
    return json.loads((FIXTURES / name).read_text())


def token_body(access_token, refresh_token, scope=ALL_SCOPES, expires_in=3599):
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "refresh_token": refresh_token,
        "expires_in": expires_in,
        "scope": scope,
        "api_url": "https://api.zoom.us",
    }


def form_of(request):
    return {
        key: values[0]
        for key, values in parse_qs(request.body if isinstance(request.body, str) else request.body.decode()).items()
    }


def basic_auth_ok(request):
    expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    return request.headers.get("Authorization") == expected


def signed_headers(body, *, timestamp=None, secret=None):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    if secret is None:
        signature = webhook_signature(body=body, timestamp=timestamp)
    else:
        signature = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"x-zm-signature": signature, "x-zm-request-timestamp": timestamp, "Content-Type": "application/json"}


@pytest.fixture(autouse=True)
def zoom_settings(settings):
    settings.ZOOM_OAUTH_URL = OAUTH
    settings.ZOOM_API_URL = API
    settings.ZOOM_CLIENT_ID = CLIENT_ID
    settings.ZOOM_CLIENT_SECRET = CLIENT_SECRET
    settings.ZOOM_WEBHOOK_SECRET_TOKEN = WEBHOOK_SECRET
    settings.SITE_URL = "https://app.cohortstudio.io"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


@pytest.fixture(autouse=True)
def no_backoff_sleep(monkeypatch):
    """Retries run at once; the waits asked for are recorded."""
    waits = []
    monkeypatch.setattr(ZoomClient, "sleep", staticmethod(waits.append))
    return waits


@pytest.fixture
def meeting_kind():
    """The kind of a class's Zoom meeting in zoom_events' fixtures; a module running its scenarios for webinars
    too overrides it with a parametrized fixture."""
    return "meeting"


@pytest.fixture
def zoom():
    """Zoom's HTTP endpoints, faked at the transport so our real oauth and client code runs."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def calls_to(mock, url):
    return [call for call in mock.calls if call.request.url.split("?")[0] == url]


@pytest.fixture
def client_factory():
    """Another browser: a fresh test client with its own session."""
    return Client
