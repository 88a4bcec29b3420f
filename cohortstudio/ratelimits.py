"""Limits on the forms anyone can send without signing in that make us email an address.

Counted per client IP and per email address in Django's cache (Redis in production, so every web
process shares the counts), in fixed windows. A limited request is refused before anything is
stored or sent, and is not counted.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.adapter import get_adapter
from django.core.cache import cache
from django.utils import timezone


@dataclass(frozen=True)
class EmailFormLimit:
    name: str
    per_ip: int
    per_address: int
    window: timedelta


PUBLIC_REGISTRATION_LIMIT = EmailFormLimit("public_registration", per_ip=20, per_address=10, window=timedelta(hours=1))
PUBLIC_ENROLMENT_LIMIT = EmailFormLimit("public_enrolment", per_ip=20, per_address=10, window=timedelta(hours=1))
SIGN_IN_CODE_LIMIT = EmailFormLimit("sign_in_code", per_ip=20, per_address=5, window=timedelta(minutes=15))
PASSWORD_RESET_LIMIT = EmailFormLimit("password_reset", per_ip=20, per_address=5, window=timedelta(hours=1))
SIGNUP_LIMIT = EmailFormLimit("signup", per_ip=10, per_address=3, window=timedelta(hours=1))


class RateLimited(Exception):
    """Too many requests: the message says from where (or for which address) and for how long."""


def client_ip(request):
    """The client's address as allauth sees it (honours ALLAUTH_TRUSTED_PROXY_COUNT behind a proxy)."""
    return get_adapter().get_client_ip(request)


def _plural_minutes(minutes):
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def email_form_rate_limit(*, request, limit, address):
    """Count one use of an email-sending form by this client for `address`, or raise RateLimited."""
    window = int(limit.window.total_seconds())
    now = timezone.now().timestamp()
    window_start = int(now // window) * window
    ip = client_ip(request)
    address = address.strip().lower()
    address_digest = hashlib.sha256(address.encode()).hexdigest()
    counters = [
        (f"ratelimit:{limit.name}:ip:{ip}:{window_start}", limit.per_ip, f"Too many requests from {ip}"),
        (
            f"ratelimit:{limit.name}:address:{address_digest}:{window_start}",
            limit.per_address,
            f"Too many requests for {address}",
        ),
    ]
    counts = cache.get_many([key for key, _, _ in counters])
    for key, allowed, message in counters:
        if counts.get(key, 0) >= allowed:
            minutes = max(1, math.ceil((window_start + window - now) / 60))
            raise RateLimited(f"{message}; try again in {_plural_minutes(minutes)}.")
    for key, _, _ in counters:
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=window)
