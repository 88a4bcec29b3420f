"""Signed webhook requests, built and delivered as Zoom does.

Every simulator action builds its events with `webhook_build` and hands them to
`webhooks_dispatch`, which POSTs them with `requests`, or, inside
`webhooks_captured()`, only collects them so a test can feed them through Django's
test client. Deliveries are remembered in memory for the control room.
"""

import collections
import contextlib
import contextvars
import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass, field

import requests
from django.conf import settings

from zoom_simulator import constants

logger = logging.getLogger(__name__)

RECENT_DELIVERIES = collections.deque(maxlen=50)

_captured = contextvars.ContextVar("zoom_simulator_captured_webhooks", default=None)


@dataclass
class WebhookRequest:
    url: str
    body: bytes
    headers: dict
    event: str
    status_code: int | None = None
    error: str = ""
    sent_at: float | None = field(default=None, repr=False)

    @property
    def payload(self):
        return json.loads(self.body)

    @property
    def delivered(self):
        return self.status_code is not None and 200 <= self.status_code < 300


def webhook_url():
    return getattr(settings, "ZOOM_SIMULATOR_WEBHOOK_URL", f"{settings.SITE_URL}/zoom/webhook/")


def webhook_signature(*, timestamp, body):
    message = f"v0:{timestamp}:".encode() + body
    digest = hmac.new(settings.ZOOM_WEBHOOK_SECRET_TOKEN.encode(), message, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def webhook_build(*, event_body, timestamp=None):
    """The exact request Zoom would send: compact JSON body, signature over the raw bytes."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    body = json.dumps(event_body, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Zoom Marketplace/1.0a",
        "x-zm-request-timestamp": timestamp,
        "x-zm-signature": webhook_signature(timestamp=timestamp, body=body),
    }
    return WebhookRequest(url=webhook_url(), body=body, headers=headers, event=event_body["event"])


def webhook_send(*, request):
    """POST one request; failures are recorded on it, never raised (Zoom just logs and retries)."""
    request.sent_at = time.time()
    try:
        response = requests.post(
            request.url, data=request.body, headers=request.headers, timeout=constants.WEBHOOK_TIMEOUT_SECONDS
        )
    except requests.RequestException as error:
        request.error = f"{type(error).__name__}: {error}"
        logger.warning("zoom simulator webhook %s to %s failed: %s", request.event, request.url, request.error)
    else:
        request.status_code = response.status_code
        logger.info("zoom simulator webhook %s to %s answered %s", request.event, request.url, response.status_code)
    RECENT_DELIVERIES.appendleft(request)
    return request


@contextlib.contextmanager
def webhooks_captured():
    """Collect the webhooks built inside the block instead of sending them."""
    captured = []
    reset_token = _captured.set(captured)
    try:
        yield captured
    finally:
        _captured.reset(reset_token)


def webhooks_dispatch(*, requests_to_send, background=False):
    """Send (or capture) the requests in order.

    `background` is for events caused by an API call: the caller is the product itself,
    which may still hold its database transaction, so the response must not wait for them.
    """
    captured = _captured.get()
    if captured is not None:
        captured.extend(requests_to_send)
        return requests_to_send
    if background:
        threading.Thread(target=_send_all, args=(requests_to_send,), daemon=True).start()
    else:
        _send_all(requests_to_send)
    return requests_to_send


def _send_all(requests_to_send):
    for request in requests_to_send:
        webhook_send(request=request)


def webhooks_describe(*, sent):
    """One sentence for the person clicking: which webhooks went out and how they were answered."""
    if not sent:
        return "No webhook was sent."
    parts = []
    for request in sent:
        if request.status_code is not None:
            outcome = f"answered {request.status_code}"
        else:
            outcome = request.error or "queued"
        parts.append(f"{request.event} ({outcome})")
    return "Webhooks: " + ", ".join(parts) + "."
