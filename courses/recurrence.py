"""A series' dates: a repeat rule expanded in the class's own zone, so a daylight-saving change keeps the local time.

Pure functions on plain values; the series service stores what they return. The limits are Zoom's for a recurring
meeting (at most 60 occurrences, a daily interval of at most 90 days, weekly of at most 12 weeks), so a series can
always be one recurring Zoom meeting.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

SERIES_MAX_CLASSES = 60
DAILY_INTERVAL_MAX = 90
WEEKLY_INTERVAL_MAX = 12

DAILY = "daily"
WEEKLY = "weekly"
# Monday = 0 ... Sunday = 6, as date.weekday() counts.
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class RecurrenceError(ValueError):
    """A rule that yields no class, too many, or one Zoom cannot repeat."""


@dataclass(frozen=True)
class RepeatRule:
    first_date: date
    start_time: time
    zone_name: str
    frequency: str = WEEKLY  # DAILY or WEEKLY
    interval: int = 1  # every N days or weeks
    weekdays: tuple = ()  # WEEKLY only; empty means the first date's weekday
    count: int | None = None
    until: date | None = None  # last date (inclusive), in the class's zone

    def days(self):
        return tuple(sorted(set(self.weekdays))) if self.weekdays else (self.first_date.weekday(),)


def _validate(rule):
    if (rule.count is None) == (rule.until is None):
        raise RecurrenceError("Give either a number of classes or an end date.")
    if rule.count is not None and not 1 <= rule.count <= SERIES_MAX_CLASSES:
        raise RecurrenceError(f"A series has between 1 and {SERIES_MAX_CLASSES} classes.")
    if rule.until is not None and rule.until < rule.first_date:
        raise RecurrenceError("The end date is before the first class.")
    limit = DAILY_INTERVAL_MAX if rule.frequency == DAILY else WEEKLY_INTERVAL_MAX
    unit = "days" if rule.frequency == DAILY else "weeks"
    if rule.frequency not in (DAILY, WEEKLY):
        raise RecurrenceError("Repeat daily or weekly.")
    if not 1 <= rule.interval <= limit:
        raise RecurrenceError(f"Repeat every 1 to {limit} {unit}.")
    if any(day not in range(7) for day in rule.weekdays):
        raise RecurrenceError("Choose days of the week.")


def _local_dates(rule):
    if rule.frequency == DAILY:
        current = rule.first_date
        while True:
            yield current
            current += timedelta(days=rule.interval)
    week_start = rule.first_date - timedelta(days=rule.first_date.weekday())
    while True:
        for day in rule.days():
            candidate = week_start + timedelta(days=day)
            if candidate >= rule.first_date:
                yield candidate
        week_start += timedelta(weeks=rule.interval)


def occurrences(rule):
    """The UTC start of every class of the series, in order."""
    _validate(rule)
    zone = zoneinfo.ZoneInfo(rule.zone_name)
    starts = []
    for local_date in _local_dates(rule):
        if rule.until is not None and local_date > rule.until:
            break
        # fold=0: in the repeated hour of autumn, the earlier of the two; a spring-forward gap moves on by the gap.
        local = datetime.combine(local_date, rule.start_time, tzinfo=zone)
        starts.append(local.astimezone(UTC))
        if rule.count is not None and len(starts) == rule.count:
            break
        if len(starts) > SERIES_MAX_CLASSES:
            raise RecurrenceError(f"A series has at most {SERIES_MAX_CLASSES} classes; choose an earlier end date.")
    return starts


def series_title(pattern, number, course_title=""):
    """`Week {n}: …` with n the class's number in the series; a pattern without {n} gets ` (n)` appended."""
    if "{n}" in pattern:
        return pattern.replace("{n}", str(number)).replace("{course}", course_title).strip()
    return f"{pattern.strip() or course_title} ({number})"
