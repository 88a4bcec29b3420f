"""Presence arithmetic, free of the database.

Services feed these functions the stored signals, so the same set of signals
always gives the same result whatever order (or how many times) they arrived.
"""

from dataclasses import dataclass
from datetime import datetime

JOIN = "join"
LEAVE = "leave"


@dataclass(frozen=True)
class Presence:
    """When someone was in a meeting.

    `intervals` are closed, sorted and non-overlapping; a join and leave at the
    same instant is kept as a zero-length interval so the visit still counts as
    "joined". `open_since` is set while someone is still in the meeting.
    """

    intervals: tuple = ()
    open_since: datetime | None = None

    @property
    def joined(self):
        return bool(self.intervals) or self.open_since is not None

    @property
    def first_joined_at(self):
        starts = [start for start, _ in self.intervals]
        if self.open_since is not None:
            starts.append(self.open_since)
        return min(starts, default=None)

    @property
    def last_left_at(self):
        return max((end for _, end in self.intervals), default=None)

    @property
    def seconds(self):
        return _seconds(self.intervals)

    def seconds_until(self, now):
        """Seconds present, counting a still-open presence up to `now`."""
        if self.open_since is None:
            return self.seconds
        return _seconds(intervals_union([*self.intervals, (self.open_since, max(now, self.open_since))]))


def _seconds(intervals):
    return int(sum((end - start).total_seconds() for start, end in intervals))


def participant_presence(*, events, session_ends):
    """One participant's presence from its `(occurred_at, JOIN|LEAVE)` events.

    Events are taken in time order, not arrival order. A second join while in
    the meeting and a leave while out of it change nothing (duplicates, lost
    counterparts). Both a join and a leave at one instant mean "left and came
    back" when in the meeting and "a zero-length visit" when out of it. A
    session end closes whatever is open at that instant.
    """
    joins, leaves = set(), set()
    for occurred_at, kind in events:
        (joins if kind == JOIN else leaves).add(occurred_at)
    ends = set(session_ends)
    intervals = []
    open_since = None
    for instant in sorted(joins | leaves | ends):
        joined, left = instant in joins, instant in leaves
        if open_since is None:
            if joined and left:
                intervals.append((instant, instant))
            elif joined:
                open_since = instant
        elif left and not joined:
            intervals.append((open_since, instant))
            open_since = None
        if instant in ends and open_since is not None:
            intervals.append((open_since, instant))
            open_since = None
    return Presence(intervals=tuple(intervals), open_since=open_since)


def intervals_union(intervals):
    """Merge overlapping or touching intervals: two devices at once count once."""
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def presence_merge(presences):
    """One person's presence across devices and meeting restarts."""
    presences = list(presences)
    intervals = intervals_union([interval for presence in presences for interval in presence.intervals])
    open_starts = [presence.open_since for presence in presences if presence.open_since is not None]
    return Presence(intervals=intervals, open_since=min(open_starts, default=None))


def intervals_to_json(intervals):
    return [[start.isoformat(), end.isoformat()] for start, end in intervals]


def intervals_from_json(data):
    return tuple((datetime.fromisoformat(start), datetime.fromisoformat(end)) for start, end in data)


def attended_by_time(*, seconds, scheduled_minutes, threshold_percent):
    """Present for at least `threshold_percent` of the scheduled time."""
    return seconds * 100 >= threshold_percent * scheduled_minutes * 60


def share_percent(*, seconds, scheduled_minutes):
    """Whole percent of the scheduled time present, rounded down, at most 100."""
    return min(100, seconds * 100 // (scheduled_minutes * 60))
