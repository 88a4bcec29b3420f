"""Zoom's OAuth endpoints: authorize URL (state + PKCE S256), code exchange, refresh, revoke.

With client.py, the only module that speaks HTTP to Zoom. Client credentials
go as HTTP Basic on every token call (API-FACTS 1.1). Failures come out as the
typed errors of exceptions.py; tokens are never logged.
"""

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from oauthlib.oauth2 import OAuth2Error, WebApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from ..constants import OAUTH_INVALID_TOKEN_REASON, OAUTH_TERMINAL_ERRORS
from ..exceptions import ZoomAuthorizationFailed, ZoomNeedsReconnect, ZoomRejected, ZoomUnavailable
from ..tuning import HTTP_TIMEOUT, PKCE_VERIFIER_LENGTH
from .guard import outside_transaction_check

logger = logging.getLogger(__name__)

# requests-oauthlib logs whole token requests and responses at DEBUG level.
logging.getLogger("requests_oauthlib").setLevel(logging.INFO)


@dataclass(frozen=True, repr=False)
class TokenGrant:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scopes: tuple

    def __repr__(self):
        return f"TokenGrant(expires_at={self.expires_at.isoformat()}, scopes={list(self.scopes)})"


def redirect_uri():
    return settings.SITE_URL + reverse("zoom:callback")


def pkce_verifier_create():
    return WebApplicationClient(settings.ZOOM_CLIENT_ID).create_code_verifier(PKCE_VERIFIER_LENGTH)


def authorize_url_build(*, state, code_verifier):
    challenge = WebApplicationClient(settings.ZOOM_CLIENT_ID).create_code_challenge(code_verifier, "S256")
    url, _ = _session().authorization_url(
        f"{settings.ZOOM_OAUTH_URL}/oauth/authorize",
        state=state,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    return url


@sensitive_variables()
def token_exchange(*, code, code_verifier=None):
    """Trade an authorization code for tokens; `code_verifier` only when we started the flow (Option A)."""
    outside_transaction_check()
    extra = {"code_verifier": code_verifier} if code_verifier else {}
    session = _session()
    started = time.monotonic()
    session.register_compliance_hook("access_token_response", _response_check("exchange", started, _exchange_refused))
    try:
        token = session.fetch_token(
            f"{settings.ZOOM_OAUTH_URL}/oauth/token",
            code=code,
            auth=_client_credentials(),
            timeout=HTTP_TIMEOUT,
            **extra,
        )
    except requests.RequestException as error:
        _log("exchange", None, started, error=type(error).__name__)
        raise ZoomUnavailable() from None
    except OAuth2Error as error:
        raise _exchange_refused(error.error, error.description or "") from None
    return _grant_from(token, failure=_exchange_refused)


@sensitive_variables()
def token_refresh(*, refresh_token):
    """Exchange the latest refresh token for a new pair (Zoom rotates refresh tokens)."""
    outside_transaction_check()
    session = _session()
    started = time.monotonic()
    session.register_compliance_hook("refresh_token_response", _response_check("refresh", started, _refresh_refused))
    try:
        token = session.refresh_token(
            f"{settings.ZOOM_OAUTH_URL}/oauth/token",
            refresh_token=refresh_token,
            auth=_client_credentials(),
            timeout=HTTP_TIMEOUT,
        )
    except requests.RequestException as error:
        _log("refresh", None, started, error=type(error).__name__)
        raise ZoomUnavailable() from None
    except OAuth2Error as error:
        raise _refresh_refused(error.error, error.description or "") from None
    return _grant_from(token, failure=_refresh_refused)


@sensitive_variables()
def token_revoke(*, access_token):
    """Ask Zoom to revoke our grant; Zoom then removes the app and sends `app_deauthorized`."""
    outside_transaction_check()
    started = time.monotonic()
    try:
        response = requests.post(
            f"{settings.ZOOM_OAUTH_URL}/oauth/revoke",
            params={"token": access_token},
            auth=_client_credentials(),
            timeout=HTTP_TIMEOUT,
        )
    except requests.RequestException as error:
        _log("revoke", None, started, error=type(error).__name__)
        raise ZoomUnavailable() from None
    error, reason = _error_fields(response) if response.status_code >= 400 else ("", "")
    _log("revoke", response.status_code, started, error=error, reason=reason)
    if response.status_code >= 500:
        raise ZoomUnavailable()
    if response.status_code >= 400:
        raise ZoomRejected(error, reason)


def _session():
    if not settings.ZOOM_OAUTH_URL.startswith("https://"):
        if not settings.ZOOM_SIMULATOR:
            raise ImproperlyConfigured("ZOOM_OAUTH_URL must be an https:// URL (Zoom's is https://zoom.us).")
        # The built-in simulator is served over plain HTTP, which oauthlib otherwise refuses.
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    return OAuth2Session(client=WebApplicationClient(settings.ZOOM_CLIENT_ID), redirect_uri=redirect_uri())


def _client_credentials():
    return HTTPBasicAuth(settings.ZOOM_CLIENT_ID, settings.ZOOM_CLIENT_SECRET)


def _response_check(operation, started, refused):
    """A requests-oauthlib hook: logs the call and turns non-2xx answers into our errors before oauthlib parses them."""

    def check(response):
        error, reason = _error_fields(response) if response.status_code >= 400 else ("", "")
        _log(operation, response.status_code, started, error=error, reason=reason)
        if response.status_code >= 500 or response.status_code == 429:
            raise ZoomUnavailable()
        if response.status_code >= 400:
            raise refused(error, reason)
        return response

    return check


def _error_fields(response):
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = str(body.get("error") or body.get("code") or "")
    reason = str(body.get("reason") or body.get("error_description") or body.get("message") or "")
    return error, reason


def _exchange_refused(error, reason):
    detail = reason or error or "no reason given"
    return ZoomAuthorizationFailed(
        f"Zoom did not accept the authorization ({detail}). Zoom's authorization is valid for 5 minutes and "
        "works once. Click Connect Zoom account to try again."
    )


def _refresh_refused(error, reason):
    if error in OAUTH_TERMINAL_ERRORS or reason == OAUTH_INVALID_TOKEN_REASON:
        return ZoomNeedsReconnect()
    return ZoomRejected(error, reason)


def _grant_from(token, *, failure):
    access_token = token.get("access_token")
    refresh_token = token.get("refresh_token")
    expires_in = token.get("expires_in")
    if not access_token or not refresh_token or expires_in is None:
        raise failure("incomplete_token", "Zoom's answer lacked a token or its lifetime")
    scope = token.get("scope") or []
    scopes = scope.split() if isinstance(scope, str) else list(scope)
    return TokenGrant(
        access_token=access_token,
        refresh_token=refresh_token,
        expires_at=timezone.now() + timedelta(seconds=int(expires_in)),
        scopes=tuple(sorted(set(scopes))),
    )


def _log(operation, status, started, *, error="", reason=""):
    logger.info(
        "zoom oauth %s status=%s error=%s reason=%s duration_ms=%d",
        operation,
        status if status is not None else "none",
        error or "none",
        reason or "none",
        (time.monotonic() - started) * 1000,
    )
