"""The one module that speaks HTTP to Zoom's REST API.

A `ZoomClient` is bound to a token source: normally a connection
(`tokens.connection_client(connection=...)`, `tokens.meeting_client(meeting=...)`), or a bare access token while
a connection is being made. Every call has timeouts, is logged in one line
without tokens, and fails only with the typed errors of exceptions.py.

Adding an endpoint is a few lines: a method that calls `self._request` with
the HTTP method, the path, the granular scope Zoom requires for it, and a
query or JSON body.
"""

import logging
import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import requests
from django.conf import settings
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from ..constants import (
    CODE_INVALID_ACCESS_TOKEN,
    CODE_MISSING_SCOPE,
    HEADER_RATE_LIMIT_RESET,
    HEADER_RATE_LIMIT_TYPE,
    HEADER_RETRY_AFTER,
    KIND_MEETING,
    KIND_WEBINAR,
    NOT_FOUND_CODES,
    RATE_LIMIT_TYPE_DAILY,
)
from ..exceptions import (
    ZoomMissingScope,
    ZoomNeedsReconnect,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRejected,
    ZoomUnavailable,
)
from ..payloads import zoom_time
from ..tuning import (
    HTTP_BACKOFF_BASE_SECONDS,
    HTTP_BACKOFF_MAX_SECONDS,
    HTTP_MAX_ATTEMPTS,
    HTTP_TIMEOUT,
    IDEMPOTENT_METHODS,
    PAST_PARTICIPANTS_PAGE_SIZE,
    RATE_LIMIT_MAX_WAIT_SECONDS,
    REGISTRANTS_PAGE_SIZE,
)
from .guard import outside_transaction_check

logger = logging.getLogger(__name__)

_SCOPES_IN_MESSAGE = re.compile(r"scopes?\s*:?\s*\[([^\]]*)\]", re.IGNORECASE)


@dataclass(frozen=True)
class EndpointFamily:
    """Where one kind of Zoom meeting lives: its paths and the granular scope of each operation."""

    create: str
    item: str
    past: str
    scopes: dict


# The one place that tells a meeting's endpoints from a webinar's (the bodies and answers are alike).
FAMILIES = {
    KIND_MEETING: EndpointFamily(
        create="/users/me/meetings",
        item="/meetings",
        past="/past_meetings",
        scopes={
            "create": "meeting:write:meeting",
            "read": "meeting:read:meeting",
            "update": "meeting:update:meeting",
            "delete": "meeting:delete:meeting",
            "registrant_add": "meeting:write:registrant",
            "batch_add": "meeting:write:batch_registrants",
            "registrants": "meeting:read:list_registrants",
            "registrant_status": "meeting:update:registrant_status",
            "past_participants": "meeting:read:list_past_participants",
            "polls": "meeting:read:list_polls",
            "poll_create": "meeting:write:poll",
            "poll_delete": "meeting:delete:poll",
            "past_polls": "meeting:read:list_poll_results",
        },
    ),
    KIND_WEBINAR: EndpointFamily(
        create="/users/me/webinars",
        item="/webinars",
        past="/past_webinars",
        scopes={
            "create": "webinar:write:webinar",
            "read": "webinar:read:webinar",
            "update": "webinar:update:webinar",
            "delete": "webinar:delete:webinar",
            "registrant_add": "webinar:write:registrant",
            "batch_add": "webinar:write:batch_registrants",
            "registrants": "webinar:read:list_registrants",
            "registrant_status": "webinar:update:registrant_status",
            "past_participants": "webinar:read:list_past_participants",
            "polls": "webinar:read:list_polls",
            "poll_create": "webinar:write:poll",
            "poll_delete": "webinar:delete:poll",
            "past_polls": "webinar:read:list_past_polls",
        },
    ),
}


class StaticToken:
    """A bare access token (while connecting, before any connection exists); it cannot be refreshed."""

    def __init__(self, access_token):
        self._access_token = access_token

    def __repr__(self):
        return "StaticToken(<hidden>)"

    def access_token(self):
        return self._access_token

    def access_token_refreshed(self, *, stale_access_token):
        raise ZoomNeedsReconnect()


class ZoomClient:
    """Zoom REST calls on behalf of one connected Zoom user.

    `tokens` provides `access_token()` (valid now, refreshed if about to
    expire) and `access_token_refreshed(stale_access_token=...)` (after Zoom
    answered 401 code 124).
    """

    sleep = staticmethod(time.sleep)

    def __init__(self, *, tokens, max_attempts=HTTP_MAX_ATTEMPTS):
        self.tokens = tokens
        # A page waiting on Zoom asks once; background work retries with backoff.
        self.max_attempts = max_attempts
        self.http = requests.Session()

    def __repr__(self):
        return f"ZoomClient(tokens={self.tokens!r})"

    def users_me(self):
        return self._request("GET", "/users/me", scope="user:read:user")

    def users_me_settings(self):
        """The user's settings; `feature.webinar` says whether they hold Zoom's Webinar add-on (API-FACTS 9)."""
        return self._request("GET", "/users/me/settings", scope="user:read:settings")

    # Meetings (API-FACTS 3) and webinars (API-FACTS 9): `kind` picks the endpoint family (see FAMILIES)

    def meeting_create(self, *, body, kind=KIND_MEETING):
        family = FAMILIES[kind]
        return self._request("POST", family.create, scope=family.scopes["create"], json=body)

    def meeting_get(self, *, meeting_id, kind=KIND_MEETING):
        family = FAMILIES[kind]
        return self._request("GET", f"{family.item}/{meeting_id}", scope=family.scopes["read"])

    def meeting_update(self, *, meeting_id, body, occurrence_id=None, kind=KIND_MEETING):
        """PATCH the meeting, or with `occurrence_id` only that occurrence of a recurring meeting."""
        family = FAMILIES[kind]
        params = {"occurrence_id": occurrence_id} if occurrence_id else None
        return self._request(
            "PATCH", f"{family.item}/{meeting_id}", scope=family.scopes["update"], params=params, json=body
        )

    def meeting_delete(self, *, meeting_id, occurrence_id=None, kind=KIND_MEETING):
        """DELETE the meeting, or with `occurrence_id` only that occurrence (the others stay)."""
        family = FAMILIES[kind]
        params = {"occurrence_id": occurrence_id} if occurrence_id else None
        return self._request("DELETE", f"{family.item}/{meeting_id}", scope=family.scopes["delete"], params=params)

    # Registrants (API-FACTS 4)

    def registrant_add(self, *, meeting_id, body, kind=KIND_MEETING):
        family = FAMILIES[kind]
        return self._request(
            "POST", f"{family.item}/{meeting_id}/registrants", scope=family.scopes["registrant_add"], json=body
        )

    def registrants_batch_add(self, *, meeting_id, body, kind=KIND_MEETING):
        family = FAMILIES[kind]
        return self._request(
            "POST", f"{family.item}/{meeting_id}/batch_registrants", scope=family.scopes["batch_add"], json=body
        )

    def registrants_list(self, *, meeting_id, status="approved", kind=KIND_MEETING):
        """Every registrant with that status, across Zoom's pages."""
        family = FAMILIES[kind]
        params = {"status": status, "page_size": REGISTRANTS_PAGE_SIZE}
        while True:
            page = self._request(
                "GET", f"{family.item}/{meeting_id}/registrants", scope=family.scopes["registrants"], params=params
            )
            yield from page.get("registrants", [])
            if not page.get("next_page_token"):
                return
            params = {**params, "next_page_token": page["next_page_token"]}

    def registrants_status_update(self, *, meeting_id, action, registrants, kind=KIND_MEETING):
        family = FAMILIES[kind]
        return self._request(
            "PUT",
            f"{family.item}/{meeting_id}/registrants/status",
            scope=family.scopes["registrant_status"],
            json={"action": action, "registrants": registrants},
        )

    # Attendance (API-FACTS 8.1)

    def past_meeting_participants(self, *, meeting_id_or_uuid, kind=KIND_MEETING):
        """Every participant row of an ended meeting instance (a rejoin is a new row), across Zoom's pages."""
        family = FAMILIES[kind]
        params = {"page_size": PAST_PARTICIPANTS_PAGE_SIZE}
        path = f"{family.past}/{encode_uuid(str(meeting_id_or_uuid))}/participants"
        while True:
            page = self._request("GET", path, scope=family.scopes["past_participants"], params=params)
            yield from page.get("participants", [])
            if not page.get("next_page_token"):
                return
            params = {**params, "next_page_token": page["next_page_token"]}

    # Polls (API-FACTS 5)

    def polls_list(self, *, meeting_id, kind=KIND_MEETING):
        family = FAMILIES[kind]
        return self._request("GET", f"{family.item}/{meeting_id}/polls", scope=family.scopes["polls"])

    def poll_create(self, *, meeting_id, body, kind=KIND_MEETING):
        family = FAMILIES[kind]
        return self._request("POST", f"{family.item}/{meeting_id}/polls", scope=family.scopes["poll_create"], json=body)

    def poll_delete(self, *, meeting_id, poll_id, kind=KIND_MEETING):
        family = FAMILIES[kind]
        return self._request(
            "DELETE",
            f"{family.item}/{meeting_id}/polls/{quote(str(poll_id), safe='')}",
            scope=family.scopes["poll_delete"],
        )

    def past_meeting_poll_results(self, *, meeting_id_or_uuid, kind=KIND_MEETING):
        """Who answered what in the polls of an ended meeting instance: one item per respondent (API-FACTS 5)."""
        family = FAMILIES[kind]
        path = f"{family.past}/{encode_uuid(str(meeting_id_or_uuid))}/polls"
        return self._request("GET", path, scope=family.scopes["past_polls"])

    # AI Companion summaries and cloud recordings take a meeting's or a webinar's id or uuid alike.

    # AI Companion summaries (API-FACTS 6): by instance uuid, or by meeting id for its latest instance

    def meeting_summary_get(self, *, meeting_id_or_uuid):
        path = f"/meetings/{encode_uuid(str(meeting_id_or_uuid))}/meeting_summary"
        return self._request("GET", path, scope="meeting:read:summary")

    def meeting_summary_delete(self, *, meeting_id_or_uuid):
        path = f"/meetings/{encode_uuid(str(meeting_id_or_uuid))}/meeting_summary"
        return self._request("DELETE", path, scope="meeting:delete:summary")

    # Cloud recordings (API-FACTS 7.1): by instance uuid, or by meeting id for its latest instance

    def recordings_get(self, *, meeting_id_or_uuid):
        path = f"/meetings/{encode_uuid(str(meeting_id_or_uuid))}/recordings"
        return self._request("GET", path, scope="cloud_recording:read:list_recording_files")

    def _request(self, method, path, *, scope, params=None, json=None):
        token = self.tokens.access_token()
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send(method, path, token=token, params=params, json=json, attempt=attempt)
            except (requests.Timeout, requests.ConnectionError):
                if method in IDEMPOTENT_METHODS and attempt < self.max_attempts:
                    self._back_off(attempt)
                    continue
                raise ZoomUnavailable() from None
            status = response.status_code
            if status < 400:
                return _json_or_none(response)
            code, message = _error_of(response)
            if status == 401:
                if code == CODE_MISSING_SCOPE:
                    raise ZoomMissingScope(_scopes_named(message) or [scope])
                if code == CODE_INVALID_ACCESS_TOKEN and not refreshed:
                    token = self.tokens.access_token_refreshed(stale_access_token=token)
                    refreshed = True
                    attempt -= 1
                    continue
                raise ZoomNeedsReconnect()
            if status == 429:
                retry_at, daily = _rate_limit_of(response, message)
                wait = (retry_at - timezone.now()).total_seconds()
                if not daily and wait <= RATE_LIMIT_MAX_WAIT_SECONDS and attempt < self.max_attempts:
                    self.sleep(max(wait, 0))
                    continue
                raise ZoomRateLimited(retry_at, daily=daily)
            if status >= 500:
                if method in IDEMPOTENT_METHODS and attempt < self.max_attempts:
                    self._back_off(attempt)
                    continue
                raise ZoomUnavailable()
            if status == 404 or code in NOT_FOUND_CODES:
                raise ZoomNotFound(code, message)
            raise ZoomRejected(code, message)

    @sensitive_variables("token")
    def _send(self, method, path, *, token, params, json, attempt):
        outside_transaction_check()
        started = time.monotonic()
        outcome = "error"
        try:
            response = self.http.request(
                method,
                f"{settings.ZOOM_API_URL}{path}",
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=HTTP_TIMEOUT,
            )
        except requests.RequestException as error:
            outcome = type(error).__name__
            raise
        else:
            outcome = response.status_code
            return response
        finally:
            logger.info(
                "zoom api %s %s status=%s attempt=%d duration_ms=%d",
                method,
                path,
                outcome,
                attempt,
                (time.monotonic() - started) * 1000,
            )

    def _back_off(self, attempt):
        """Exponential backoff with jitter, short enough for a worker to wait."""
        ceiling = min(HTTP_BACKOFF_MAX_SECONDS, HTTP_BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        self.sleep(ceiling / 2 + random.uniform(0, ceiling / 2))


def _json_or_none(response):
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ZoomUnavailable() from None


def _error_of(response):
    """Zoom's `{"code": ..., "message": ...}`, tolerant of bodies that are not JSON."""
    try:
        body = response.json()
    except ValueError:
        return None, ""
    if not isinstance(body, dict):
        return None, ""
    code = body.get("code")
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    return code, str(body.get("message") or "")


def _scopes_named(message):
    """User-level scopes listed in a 4700 message such as "does not contain scopes:[a, b]"."""
    match = _SCOPES_IN_MESSAGE.search(message or "")
    if not match:
        return []
    scopes = [scope.strip() for scope in match.group(1).split(",") if scope.strip()]
    return [scope for scope in scopes if not scope.endswith((":admin", ":master"))] or scopes


def _rate_limit_of(response, message):
    """(retry_at, daily) from Zoom's headers, which come as seconds, epochs or dates (API-FACTS 11)."""
    now = timezone.now()
    daily = (
        response.headers.get(HEADER_RATE_LIMIT_TYPE, "").lower() == RATE_LIMIT_TYPE_DAILY or "daily" in message.lower()
    )
    retry_at = _moment(response.headers.get(HEADER_RETRY_AFTER), now) or _moment(
        response.headers.get(HEADER_RATE_LIMIT_RESET), now
    )
    if retry_at is None:
        if daily:
            # Zoom's daily limits reset at 00:00 UTC.
            retry_at = (now + timedelta(days=1)).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            retry_at = now + timedelta(seconds=1)
    return retry_at, daily


def _moment(value, now):
    """A rate-limit header: a delay in seconds, or a moment (epoch, RFC 3339 or HTTP date)."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit() and int(value) < 10**9:
        return now + timedelta(seconds=int(value))
    moment = zoom_time(value)
    if moment is None:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, UTC)
    return moment


def encode_uuid(meeting_id_or_uuid):
    """A meeting id or instance uuid as a path segment: uuids starting with "/" or holding "//" are encoded twice."""
    encoded = quote(meeting_id_or_uuid, safe="")
    if meeting_id_or_uuid.startswith("/") or "//" in meeting_id_or_uuid:
        encoded = quote(encoded, safe="")
    return encoded
