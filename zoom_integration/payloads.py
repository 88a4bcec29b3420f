"""Reading Zoom's payloads: webhook bodies as JSON, and Zoom's timestamps as aware UTC datetimes.

Zoom writes times as RFC 3339 strings (`2021-07-13T21:44:51Z`) in objects, and as epoch
milliseconds in a webhook envelope's `event_ts` (seconds in a few headers). Anything else, or a
number no calendar holds (NaN, 1e30, a year past 9999), reads as None.
"""

import json
import math
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

# Epoch numbers above this are milliseconds (10**11 seconds is the year 5138).
EPOCH_MILLISECONDS_FROM = 10**11


def zoom_time(value):
    """A Zoom time (RFC 3339 string, or epoch seconds or milliseconds) as an aware datetime; None when unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, (int, float)):
        return _epoch_time(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parse_datetime(value.strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def _epoch_time(number):
    if not math.isfinite(number) or number < 0:
        return None
    seconds = number / 1000 if number > EPOCH_MILLISECONDS_FROM else number
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def event_time(payload):
    """A webhook's event time: the envelope's `event_ts`, or the one inside `payload` (app_deauthorized)."""
    inner = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
    return zoom_time(payload.get("event_ts", inner.get("event_ts")))


# Zoom documents its events as UTF-8 JSON; a body in another encoding is refused, not guessed at.
SECRET_FIELDS = ("download_token",)


class PayloadUnreadable(ValueError):
    pass


def _no_constant(name):
    raise PayloadUnreadable(f"{name} is not a JSON number.")


def _without_nul(value):
    """Strings without NUL characters (PostgreSQL cannot store them, and no name or id needs one)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def payload_load(body):
    """A webhook body (UTF-8 bytes or text) as a dict; PayloadUnreadable for anything else.

    NaN and Infinity are refused (they are not JSON), and NUL characters are dropped from strings.
    """
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            raise PayloadUnreadable("Body is not UTF-8.") from None
    try:
        payload = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise PayloadUnreadable("Body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise PayloadUnreadable("Body is not a JSON object.")
    return _without_nul(payload) if "\x00" in body or "\\u0000" in body else payload


def payload_without_secrets(payload):
    """The envelope as it is stored: without `download_token` (a 24-hour bearer for recording files)."""
    inner = payload.get("payload")
    if not any(field in payload for field in SECRET_FIELDS) and not (
        isinstance(inner, dict) and any(field in inner for field in SECRET_FIELDS)
    ):
        return None
    kept = {key: value for key, value in payload.items() if key not in SECRET_FIELDS}
    if isinstance(inner, dict):
        kept["payload"] = {key: value for key, value in inner.items() if key not in SECRET_FIELDS}
    return kept
