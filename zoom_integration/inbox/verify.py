"""Zoom webhook verification: size limit, signature, replay window, JSON, URL validation.

Signature: `v0=` + hex HMAC-SHA256 of `v0:{x-zm-request-timestamp}:{raw body}`
keyed with ZOOM_WEBHOOK_SECRET_TOKEN, compared in constant time (API-FACTS 10.1).
"""

import hashlib
import hmac
import time

from django.conf import settings

from ..constants import (
    HEADER_WEBHOOK_SIGNATURE,
    HEADER_WEBHOOK_TIMESTAMP,
    WEBHOOK_SIGNATURE_VERSION,
    WEBHOOK_TIMESTAMP_TOLERANCE,
)
from ..payloads import PayloadUnreadable, payload_load
from ..tuning import WEBHOOK_MAX_BODY_BYTES


class WebhookRejected(Exception):
    def __init__(self, status, reason):
        self.status = status
        self.reason = reason
        super().__init__(reason)


def webhook_body_read(request):
    """The raw body, refused with 413 beyond 1 MiB without reading more than that."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise WebhookRejected(400, "Invalid Content-Length.") from None
    if declared > WEBHOOK_MAX_BODY_BYTES:
        raise WebhookRejected(413, "Body larger than 1 MiB.")
    body = request.read(WEBHOOK_MAX_BODY_BYTES + 1)
    if len(body) > WEBHOOK_MAX_BODY_BYTES:
        raise WebhookRejected(413, "Body larger than 1 MiB.")
    return body


def webhook_signature(*, body, timestamp):
    message = f"{WEBHOOK_SIGNATURE_VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(settings.ZOOM_WEBHOOK_SECRET_TOKEN.encode(), message, hashlib.sha256).hexdigest()
    return f"{WEBHOOK_SIGNATURE_VERSION}={digest}"


def webhook_verify(*, body, headers, now=None):
    """Raise WebhookRejected(401) unless Zoom signed this body within the last 5 minutes."""
    signature = headers.get(HEADER_WEBHOOK_SIGNATURE, "")
    timestamp = headers.get(HEADER_WEBHOOK_TIMESTAMP, "")
    if not signature or not timestamp:
        raise WebhookRejected(401, "Missing signature.")
    expected = webhook_signature(body=body, timestamp=timestamp)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise WebhookRejected(401, "Invalid signature.")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookRejected(401, "Invalid timestamp.") from None
    if sent_at > 10**11:  # milliseconds
        sent_at //= 1000
    now = time.time() if now is None else now
    if abs(now - sent_at) > WEBHOOK_TIMESTAMP_TOLERANCE.total_seconds():
        raise WebhookRejected(401, "Timestamp outside the 5-minute window; refused as a replay.")


def webhook_payload_parse(body):
    try:
        payload = payload_load(body)
    except PayloadUnreadable as unreadable:
        raise WebhookRejected(400, str(unreadable)) from None
    if not isinstance(payload.get("event"), str):
        raise WebhookRejected(400, "Body is not a Zoom event.")
    return payload


def url_validation_answer(payload):
    """Zoom's endpoint.url_validation challenge: echo plainToken with its HMAC-SHA256 (hex)."""
    body = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
    plain_token = body.get("plainToken")
    if not isinstance(plain_token, str) or not plain_token:
        raise WebhookRejected(400, "url_validation without plainToken.")
    encrypted = hmac.new(settings.ZOOM_WEBHOOK_SECRET_TOKEN.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain_token, "encryptedToken": encrypted}
