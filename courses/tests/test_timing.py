from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from courses.timing import starts_in_words

BERLIN = ZoneInfo("Europe/Berlin")


def _words(now, starts_at, zone=BERLIN):
    return starts_in_words(starts_at=starts_at, zone=zone, now=now)


def test_a_class_later_the_same_day_is_today_not_tomorrow():
    # 00:30 in Berlin, the class at 23:00: the 24-hour reminder goes out 22.5 hours ahead.
    now = datetime(2026, 12, 3, 0, 30, tzinfo=BERLIN)
    assert _words(now, datetime(2026, 12, 3, 23, 0, tzinfo=BERLIN)) == "today at 23:00 CET"


def test_a_class_the_next_day_is_tomorrow():
    now = datetime(2026, 12, 3, 20, 0, tzinfo=BERLIN)
    assert _words(now, datetime(2026, 12, 4, 18, 0, tzinfo=BERLIN)) == "tomorrow at 18:00 CET"


def test_days_are_counted_in_the_class_zone_not_utc():
    new_york = ZoneInfo("America/New_York")
    now = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)  # Dec 3, 22:00 in New York
    assert _words(now, datetime(2026, 12, 4, 9, 0, tzinfo=new_york), new_york) == "tomorrow at 09:00 EST"


def test_summer_time_and_zones_without_a_lettered_abbreviation():
    now = datetime(2026, 7, 1, 8, 0, tzinfo=BERLIN)
    assert _words(now, datetime(2026, 7, 1, 18, 0, tzinfo=BERLIN)) == "today at 18:00 CEST"
    istanbul = ZoneInfo("Europe/Istanbul")
    assert _words(now, datetime(2026, 7, 2, 9, 0, tzinfo=istanbul), istanbul) == "tomorrow at 09:00 (Europe/Istanbul)"


def test_further_ahead_names_the_day():
    now = datetime(2026, 12, 3, 9, 0, tzinfo=BERLIN)
    assert _words(now, datetime(2026, 12, 5, 9, 0, tzinfo=BERLIN)) == "on Saturday, December 5 at 09:00 CET"


@pytest.mark.parametrize(
    ("left", "words"),
    [
        (timedelta(hours=2), "in 2 hours"),
        (timedelta(hours=1, minutes=31), "in 1 hour 30 minutes"),
        (timedelta(hours=1), "in 1 hour"),
        (timedelta(minutes=59, seconds=50), "in 1 hour"),
        (timedelta(minutes=50), "in 50 minutes"),
        (timedelta(minutes=1), "in 1 minute"),
        (timedelta(seconds=20), "now"),
        (timedelta(minutes=-5), "now"),
    ],
)
def test_close_to_the_start_the_time_left_is_counted(left, words):
    now = datetime(2026, 12, 3, 9, 0, tzinfo=BERLIN)
    assert _words(now, now + left) == words


def test_three_hours_or_more_ahead_gives_the_clock_time():
    now = datetime(2026, 12, 3, 9, 0, tzinfo=BERLIN)
    assert _words(now, now + timedelta(hours=3)) == "today at 12:00 CET"
