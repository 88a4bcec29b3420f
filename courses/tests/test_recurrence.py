import zoneinfo
from datetime import UTC, date, datetime, time

import pytest

from courses.recurrence import DAILY, WEEKLY, RecurrenceError, RepeatRule, occurrences, series_title


def _local(starts, zone="America/New_York"):
    return [start.astimezone(zoneinfo.ZoneInfo(zone)) for start in starts]


def test_eight_weekly_evening_classes_keep_their_local_time_across_the_clock_change():
    # 2026-10-20 is a Tuesday; New York leaves daylight saving on 2026-11-01.
    rule = RepeatRule(date(2026, 10, 20), time(18, 30), "America/New_York", WEEKLY, count=8)
    starts = occurrences(rule)
    assert len(starts) == 8
    assert {(local.hour, local.minute, local.weekday()) for local in _local(starts)} == {(18, 30, 1)}
    assert starts[0] == datetime(2026, 10, 20, 22, 30, tzinfo=UTC)  # EDT, UTC-4
    assert starts[2] == datetime(2026, 11, 3, 23, 30, tzinfo=UTC)  # EST, UTC-5


def test_weekly_on_chosen_days_every_other_week_until_an_end_date():
    rule = RepeatRule(
        date(2026, 1, 5), time(9, 0), "Europe/Berlin", WEEKLY, interval=2, weekdays=(0, 3), until=date(2026, 2, 5)
    )
    local_dates = [local.date() for local in _local(occurrences(rule), "Europe/Berlin")]
    assert local_dates == [
        date(2026, 1, 5),
        date(2026, 1, 8),
        date(2026, 1, 19),
        date(2026, 1, 22),
        date(2026, 2, 2),
        date(2026, 2, 5),
    ]


def test_a_first_date_after_the_first_chosen_weekday_starts_that_week_on_the_next_one():
    rule = RepeatRule(date(2026, 1, 7), time(9, 0), "UTC", WEEKLY, weekdays=(0, 4), count=3)  # a Wednesday
    assert [start.date() for start in occurrences(rule)] == [date(2026, 1, 9), date(2026, 1, 12), date(2026, 1, 16)]


def test_daily_every_three_days():
    rule = RepeatRule(date(2026, 3, 1), time(12, 0), "UTC", DAILY, interval=3, count=3)
    assert [start.day for start in occurrences(rule)] == [1, 4, 7]


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"count": None}, "either a number of classes or an end date"),
        ({"count": 61}, "between 1 and 60"),
        ({"interval": 13}, "every 1 to 12 weeks"),
        ({"count": None, "until": date(2025, 1, 1)}, "before the first class"),
        ({"count": None, "until": date(2030, 1, 1), "frequency": DAILY}, "at most 60 classes"),
    ],
)
def test_rules_zoom_cannot_repeat_are_refused(changes, message):
    values = {"first_date": date(2026, 1, 5), "start_time": time(9), "zone_name": "UTC", "count": 8, **changes}
    with pytest.raises(RecurrenceError, match=message):
        occurrences(RepeatRule(**values))


def test_titles_number_the_classes():
    assert series_title("Week {n}: PMP prep", 3) == "Week 3: PMP prep"
    assert series_title("Evening class", 2) == "Evening class (2)"
    assert series_title("", 1, "PMP Exam Prep") == "PMP Exam Prep (1)"
