"""The time zones people choose from: a few common ones first, then every canonical IANA name.

The canonical names are tzdata's `zone.tab` (one or more zones per country, no backward-compatible
aliases such as "US/Eastern" or "Asia/Calcutta", no "Factory" or "localtime") plus UTC. A zone stored
before the list was curated stays valid: any name zoneinfo knows is accepted, and a form keeps
showing the one already chosen.
"""

import zoneinfo
from functools import cache
from importlib import resources

from django.core.exceptions import ValidationError

COMMON_TIMEZONES = (
    "UTC",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Istanbul",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)


@cache
def canonical_timezones():
    """Every canonical IANA zone name, sorted."""
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    names = {line.split("\t")[2] for line in table.splitlines() if line and not line.startswith("#")}
    return tuple(sorted(names | {"UTC"}))


def _label(name):
    return name.replace("_", " ")


def timezone_choices(*, keep=()):
    """Grouped choices for a select; `keep` holds zones already chosen that must stay selectable."""
    listed = set(canonical_timezones())
    kept = sorted({name for name in keep if name and name not in listed and is_known_timezone(name)})
    groups = [
        ("Common time zones", [(name, _label(name)) for name in COMMON_TIMEZONES]),
        ("All time zones", [(name, _label(name)) for name in canonical_timezones()]),
    ]
    if kept:
        groups.insert(0, ("Currently chosen", [(name, _label(name)) for name in kept]))
    return groups


def is_known_timezone(name):
    return name in zoneinfo.available_timezones()


def validate_timezone(name):
    if not is_known_timezone(name):
        raise ValidationError(f"“{name}” is not a time zone.")
