from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from attendance.presence import (
    JOIN,
    LEAVE,
    Presence,
    attended_by_time,
    intervals_union,
    participant_presence,
    presence_merge,
    share_percent,
)

START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


def minute(value):
    return START + timedelta(minutes=value)


def test_join_and_leave_make_one_interval():
    presence = participant_presence(events=[(minute(5), JOIN), (minute(50), LEAVE)], session_ends=[])
    assert presence.intervals == ((minute(5), minute(50)),)
    assert presence.seconds == 45 * 60
    assert (presence.first_joined_at, presence.last_left_at, presence.open_since) == (minute(5), minute(50), None)


def test_leave_and_rejoin_at_the_same_instant_stays_in():
    presence = participant_presence(
        events=[(minute(0), JOIN), (minute(30), LEAVE), (minute(30), JOIN), (minute(60), LEAVE)], session_ends=[]
    )
    assert presence.intervals == ((minute(0), minute(60)),)


def test_join_and_leave_at_the_same_instant_is_a_visit_of_no_minutes():
    presence = participant_presence(events=[(minute(10), LEAVE), (minute(10), JOIN)], session_ends=[])
    assert presence.joined
    assert presence.intervals == ((minute(10), minute(10)),)
    assert presence.seconds == 0


def test_a_leave_without_a_join_adds_nothing():
    presence = participant_presence(events=[(minute(10), LEAVE)], session_ends=[])
    assert not presence.joined
    assert presence.seconds == 0


def test_session_end_closes_what_is_open_and_later_leaves_change_nothing():
    presence = participant_presence(events=[(minute(10), JOIN), (minute(95), LEAVE)], session_ends=[minute(80)])
    assert presence.intervals == ((minute(10), minute(80)),)


def test_open_presence_counts_up_to_now():
    presence = Presence(intervals=((minute(0), minute(10)),), open_since=minute(5))
    assert presence.seconds == 600
    assert presence.seconds_until(minute(30)) == 30 * 60


def test_two_devices_count_once():
    merged = presence_merge(
        [Presence(intervals=((minute(0), minute(60)),)), Presence(intervals=((minute(30), minute(90)),))]
    )
    assert merged.intervals == ((minute(0), minute(90)),)
    assert merged.seconds == 90 * 60


def test_threshold_and_share_are_exact_at_the_boundary():
    assert attended_by_time(seconds=72 * 60, scheduled_minutes=90, threshold_percent=80)
    assert not attended_by_time(seconds=72 * 60 - 1, scheduled_minutes=90, threshold_percent=80)
    assert share_percent(seconds=72 * 60 - 1, scheduled_minutes=90) == 79
    assert share_percent(seconds=200 * 60, scheduled_minutes=90) == 100


events = st.lists(st.tuples(st.integers(0, 120).map(minute), st.sampled_from([JOIN, LEAVE])), max_size=12)
ends = st.lists(st.integers(0, 120).map(minute), max_size=2)


@given(events=events, session_ends=ends, data=st.data())
def test_presence_ignores_arrival_order_and_repeats(events, session_ends, data):
    repeated = data.draw(st.lists(st.sampled_from(events), max_size=4)) if events else []
    shuffled = data.draw(st.permutations(events + repeated))
    assert participant_presence(events=shuffled, session_ends=session_ends) == participant_presence(
        events=events, session_ends=session_ends
    )


@given(events=events, session_ends=ends)
def test_intervals_are_ordered_and_disjoint(events, session_ends):
    presence = participant_presence(events=events, session_ends=session_ends)
    for start, end in presence.intervals:
        assert start <= end
    for (_, previous_end), (next_start, _) in zip(presence.intervals, presence.intervals[1:], strict=False):
        assert previous_end <= next_start
    if presence.open_since is not None and presence.intervals:
        assert presence.intervals[-1][1] <= presence.open_since


@given(st.lists(st.tuples(st.integers(0, 120), st.integers(0, 60)), max_size=8))
def test_union_never_counts_more_than_the_sum_nor_less_than_the_longest(pairs):
    intervals = [(minute(start), minute(start + length)) for start, length in pairs]
    union = intervals_union(intervals)
    total = sum((end - start).total_seconds() for start, end in union)
    lengths = [(end - start).total_seconds() for start, end in intervals]
    assert max(lengths, default=0) <= total <= sum(lengths)
    assert intervals_union(list(reversed(intervals))) == union
