"""Reading Zoom's times: the one place that turns Zoom's timestamps into aware UTC datetimes.

Zoom writes times as RFC 3339 strings (`2021-07-13T21:44:51Z`) in objects, and as epoch
milliseconds in a webhook envelope's `event_ts` (seconds in a few headers). Anything else, or a
number no calendar holds (NaN, 1e30, a year past 9999), reads as None.
"""

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
