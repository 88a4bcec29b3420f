"""The weekly availability text and the times it offers (no database)."""

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from bookings.availability import Busy, availability_parse, availability_text, slot_starts, slots_free

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def test_availability_text_round_trips_and_sorts():
    windows = availability_parse("wed 14:00-17:30\nMon 9:00 – 12:00\n\n")
    assert windows == [[0, "09:00", "12:00"], [2, "14:00", "17:30"]]
    assert availability_parse(availability_text(windows)) == windows


def test_bad_lines_are_named_and_nothing_is_kept():
    with pytest.raises(ValidationError) as raised:
        availability_parse("Mon 09:00-12:00\nFunday 09:00-10:00\nTue 12:00-11:00\nWed 25:00-26:00")
    messages = raised.value.messages
    assert len(messages) == 3
    assert "Line 2" in messages[0] and "Line 3" in messages[1] and "end after it starts" in messages[1]
    assert "Line 4" in messages[2]


def test_sessions_start_every_length_plus_buffer_while_they_fit():
    starts = slot_starts(
        windows=[[0, "09:00", "11:00"]],  # Monday
        zone=BERLIN,
        duration=30,
        buffer=10,
        earliest=datetime(2027, 1, 4, 0, 0, tzinfo=UTC),
        latest=datetime(2027, 1, 10, 0, 0, tzinfo=UTC),
    )
    # 09:00, 09:40, 10:20 fit (10:20 ends 10:50); 11:00 would end after the window. Berlin is UTC+1 in January.
    assert starts == [
        datetime(2027, 1, 4, 8, 0, tzinfo=UTC),
        datetime(2027, 1, 4, 8, 40, tzinfo=UTC),
        datetime(2027, 1, 4, 9, 20, tzinfo=UTC),
    ]


def test_a_time_the_clock_skips_is_not_offered_and_summer_time_is_followed():
    # Europe/Berlin skips 02:00-03:00 on Sunday 28 March 2027.
    starts = slot_starts(
        windows=[[6, "02:00", "04:00"]],
        zone=BERLIN,
        duration=60,
        buffer=0,
        earliest=datetime(2027, 3, 27, 0, 0, tzinfo=UTC),
        latest=datetime(2027, 3, 29, 0, 0, tzinfo=UTC),
    )
    assert starts == [datetime(2027, 3, 28, 1, 0, tzinfo=UTC)]  # 03:00 CEST


def test_busy_times_block_their_neighbours_within_the_buffer_and_open_group_slots_stay():
    nine = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    starts = [nine.replace(hour=hour) for hour in (9, 10, 11, 12)]
    busy = [
        Busy(starts_at=nine.replace(hour=10, minute=35), ends_at=nine.replace(hour=10, minute=50)),
        Busy(starts_at=nine.replace(hour=12), ends_at=nine.replace(hour=12, minute=30)),
    ]
    free = slots_free(starts=starts, duration=30, buffer=10, busy=busy, open_slots=[nine.replace(hour=12)])
    # 10:00 ends 10:30 + 10 min buffer reaches 10:40 > 10:35: blocked. 11:00 - 10 min = 10:50: just free.
    assert free == [nine, nine.replace(hour=11), nine.replace(hour=12)]
