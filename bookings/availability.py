"""Weekly availability written as text ("Mon 09:00-12:00", one window a line) and the times it offers.

Pure functions of their arguments, so the slot rules are tested without a database.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.core.exceptions import ValidationError

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_LINE = re.compile(r"^\s*([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})\s*$")


def availability_parse(text):
    """[[weekday, "HH:MM", "HH:MM"], ...] from the text, or ValidationError naming each bad line."""
    windows, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        day = match and match.group(1).capitalize()
        if not match or day not in WEEKDAYS:
            errors.append(f"Line {number} (“{line.strip()}”): write a day and two times, like “Mon 09:00-12:00”.")
            continue
        start_h, start_m, end_h, end_m = (int(match.group(i)) for i in range(2, 6))
        if start_h > 23 or end_h > 24 or start_m > 59 or end_m > 59 or (end_h == 24 and end_m):
            errors.append(f"Line {number} (“{line.strip()}”): that is not a time of day.")
            continue
        start, end = f"{start_h:02d}:{start_m:02d}", f"{end_h:02d}:{end_m:02d}"
        if end <= start:
            errors.append(f"Line {number} (“{line.strip()}”): the window must end after it starts.")
            continue
        windows.append([WEEKDAYS.index(day), start, end])
    if errors:
        raise ValidationError(errors)
    return sorted(windows)


def availability_text(windows):
    return "\n".join(f"{WEEKDAYS[day]} {start}-{end}" for day, start, end in windows)


def _minutes(hhmm):
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class Busy:
    starts_at: datetime
    ends_at: datetime


def slot_starts(*, windows, zone, duration, buffer, earliest, latest):
    """Every start (aware, UTC) the weekly windows offer between `earliest` and `latest`.

    Sessions start at a window's start and then every duration + buffer while they fit in the window.
    Local times that do not exist (a clock going forward) are skipped.
    """
    step = duration + buffer
    starts = []
    day = earliest.astimezone(zone).date() - timedelta(days=1)
    last_day = latest.astimezone(zone).date()
    while day <= last_day:
        for weekday, window_start, window_end in windows:
            if weekday != day.weekday():
                continue
            minute, end = _minutes(window_start), _minutes(window_end)
            while minute + duration <= end:
                local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
                # A time skipped by a DST change comes back from UTC as another wall-clock time.
                if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
                    start = local.astimezone(UTC)
                    if earliest <= start <= latest:
                        starts.append(start)
                minute += step
        day += timedelta(days=1)
    return sorted(set(starts))


def slots_free(*, starts, duration, buffer, busy, open_slots=()):
    """The starts no busy time overlaps (with the buffer on both sides), plus group slots with seats left."""
    length, gap = timedelta(minutes=duration), timedelta(minutes=buffer)
    open_slots = set(open_slots)
    free = []
    for start in starts:
        if start in open_slots:
            free.append(start)
            continue
        if any(b.starts_at < start + length + gap and start - gap < b.ends_at for b in busy):
            continue
        free.append(start)
    return free
