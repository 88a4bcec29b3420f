"""Attendance finality after a webhook burst: 300 students join within a minute, with rejoins and duplicates.

    .venv/bin/python -m bench.attendance_finality

Creates a connected organization, a virtual class of 300 confirmed registrations and its Zoom meeting with every
student pre-registered, then POSTs a burst of 2,000+ signed Zoom events as Zoom delivers them (some late and out
of order, some twice) to gunicorn with a real Celery worker, and measures the time from the first POST until
every event is processed and every student's attendance is final (recorded, no presence left open). The final
attendance is then compared, student by student, with the seconds the burst describes.

Needs the Zoom participant handlers (`meeting.participant_joined`, `meeting.participant_left`, `meeting.ended`);
without them it says so and exits 2. Writes its section of bench/RESULTS.md; exits 1 when attendance is not
final in time, an event failed, or a student's seconds differ from the burst's.
"""

import json
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, timedelta

from bench import loadgen
from bench.harness import (
    Ports,
    Stack,
    bench_arguments,
    ms,
    percentile,
    results_section_write,
    say,
    section_key_and_title,
)

COMMAND = ".venv/bin/python -m bench.attendance_finality"
PORTS = Ports.from_env(postgres=55483, redis=56430, web=18483)
STUDENTS = 300
MIN_EVENTS = 2000
DUPLICATE_SHARE = 0.12
LATE_SHARE = 0.05
BURST_CONNECTIONS = 32
FINALITY_TIMEOUT = 150
SEED = 20260623
REQUIRED_HANDLERS = ("meeting.participant_joined", "meeting.participant_left", "meeting.ended")
ZOOM_TIME = "%Y-%m-%dT%H:%M:%SZ"
EXIT_CANNOT_RUN = 2


def zoom_time(moment):
    return moment.astimezone(UTC).strftime(ZOOM_TIME)


def missing_handlers():
    from zoom_integration.inbox.dispatch import handler_for

    return [event for event in REQUIRED_HANDLERS if handler_for(event) is None]


@dataclass
class Burst:
    bodies: list = field(default_factory=list)  # in delivery order, duplicates included
    expected_seconds: dict = field(default_factory=dict)  # registration id -> seconds present
    unique: int = 0
    joins: int = 0
    leaves: int = 0
    rejoins: int = 0
    duplicates: int = 0
    late: int = 0


def burst_build(*, meeting, registrants, rng):
    """One run of the meeting as Zoom reports it.

    Every student joins within the first minute, leaves and rejoins one to three times, and is still in the
    meeting when it ends (Zoom then sends their leave before `meeting.ended`). Delivery is in time order except
    for LATE_SHARE of the events, held back by up to 200 positions, and DUPLICATE_SHARE redelivered (same body).
    """
    from bench.data import ZOOM_ACCOUNT_ID

    started_at = meeting.start_time
    ended_at = started_at + timedelta(minutes=meeting.duration)
    meeting_object = {
        "id": str(meeting.zoom_meeting_id),
        "uuid": meeting.zoom_uuid,
        "host_id": meeting.host_id,
        "topic": meeting.topic,
        "type": 2,
        "start_time": zoom_time(started_at),
        "timezone": "UTC",
        "duration": meeting.duration,
    }

    def envelope(event, occurred_at, zoom_object):
        return {
            "event": event,
            "event_ts": int(occurred_at.timestamp() * 1000),
            "payload": {"account_id": ZOOM_ACCOUNT_ID, "object": {**meeting_object, **zoom_object}},
        }

    burst = Burst()
    timeline = [(started_at, 0, envelope("meeting.started", started_at, {}))]
    participant_number = 16778240
    for registrant in registrants:
        registration = registrant.registration
        person = {
            "id": f"zu{registrant.registrant_id}",
            "participant_uuid": f"pu{registrant.registrant_id}",
            "participant_user_id": f"zu{registrant.registrant_id}",
            "user_name": registration.full_name,
            "email": registration.email,
            "registrant_id": registrant.registrant_id,
        }
        first_join = started_at + timedelta(seconds=rng.randint(0, 59))
        rejoins = rng.randint(1, 3)
        cuts = sorted(rng.sample(range(300, 85 * 60), 2 * rejoins))
        moments = [first_join, *(started_at + timedelta(seconds=cut) for cut in cuts), ended_at]
        intervals = list(zip(moments[0::2], moments[1::2], strict=True))
        burst.expected_seconds[registration.pk] = int(sum((leave - join).total_seconds() for join, leave in intervals))
        burst.rejoins += rejoins
        for joined_at, left_at in intervals:
            participant_number += 1
            visit = {**person, "user_id": str(participant_number)}
            joined = {"participant": {**visit, "join_time": zoom_time(joined_at)}}
            reason = "left the meeting" if left_at < ended_at else "the host ended the meeting"
            left = {"participant": {**visit, "leave_time": zoom_time(left_at), "leave_reason": reason}}
            timeline.append((joined_at, 1, envelope("meeting.participant_joined", joined_at, joined)))
            timeline.append((left_at, 1, envelope("meeting.participant_left", left_at, left)))
            burst.joins += 1
            burst.leaves += 1
    timeline.append((ended_at, 2, envelope("meeting.ended", ended_at, {"end_time": zoom_time(ended_at)})))
    timeline.sort(key=lambda item: (item[0], item[1]))

    bodies = [json.dumps(event, separators=(",", ":")).encode() for _, _, event in timeline]
    burst.unique = len(bodies)
    for position in sorted(rng.sample(range(len(bodies) - 1), int(LATE_SHARE * len(bodies))), reverse=True):
        late = bodies.pop(position)
        bodies.insert(min(len(bodies), position + rng.randint(20, 200)), late)
        burst.late += 1
    burst.duplicates = max(int(DUPLICATE_SHARE * len(bodies)), MIN_EVENTS - len(bodies))
    for body in rng.sample(bodies, burst.duplicates):
        later = rng.randint(bodies.index(body) + 1, len(bodies))
        bodies.insert(later, body)
    burst.bodies = bodies
    return burst


def finality_wait(*, class_session, started, timeout):
    """Monotonic time at which every event was processed and every student's attendance closed, or None."""
    from attendance.models import AttendanceRecord
    from zoom_integration.models import WebhookEvent, WebhookState

    deadline = started + timeout
    while time.monotonic() < deadline:
        processed = not WebhookEvent.objects.filter(state=WebhookState.RECEIVED).exists()
        if processed:
            records = AttendanceRecord.objects.filter(class_session=class_session)
            if records.count() == STUDENTS and not records.filter(open_since__isnull=False).exists():
                return time.monotonic()
        time.sleep(0.05)
    return None


def applied_rate():
    """(participant events processed, seconds from the first to the last one processed, events/s)."""
    from django.db.models import Max, Min

    from zoom_integration.models import WebhookEvent, WebhookState

    processed = WebhookEvent.objects.filter(state=WebhookState.PROCESSED, event_type__startswith="meeting.participant")
    span = processed.aggregate(first=Min("processed_at"), last=Max("processed_at"))
    count = processed.count()
    if not count or span["first"] is None:
        return count, None, None
    seconds = (span["last"] - span["first"]).total_seconds()
    return count, seconds, (count / seconds if seconds else None)


def attendance_compare(*, class_session, expected_seconds):
    from attendance.models import AttendanceRecord

    recorded = dict(
        AttendanceRecord.objects.filter(class_session=class_session).values_list("registration_id", "seconds_present")
    )
    return [
        (registration_id, seconds, recorded.get(registration_id))
        for registration_id, seconds in expected_seconds.items()
        if recorded.get(registration_id) != seconds
    ]


def main():
    arguments = bench_arguments(__doc__.split("\n", 1)[0])
    with Stack(name="attendance_finality", ports=PORTS, database_url_query=arguments.database_url_query) as stack:
        missing = missing_handlers()
        if missing:
            say(
                "CANNOT RUN YET: no webhook handler is registered for "
                + ", ".join(missing)
                + " (zoom_integration.inbox.dispatch.handler_for). Attendance from Zoom's participant webhooks "
                "(issue 6) must be wired to the endpoint first; nothing was measured and RESULTS.md is unchanged."
            )
            return EXIT_CANNOT_RUN
        from django.db.models import Count
        from django.utils import timezone

        from bench.data import class_with_students, organization_with_trainer
        from zoom_integration.models import WebhookEvent, WebhookState, ZoomRegistrant

        say(f"creating a connected organization and a class of {STUDENTS} students pre-registered on Zoom")
        organization, _ = organization_with_trainer(name="Bench Training Co")
        starts_at = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
        class_session, meeting = class_with_students(
            organization=organization, students=STUDENTS, starts_at=starts_at, zoom_meeting_id=87012345678
        )
        registrants = list(ZoomRegistrant.objects.filter(meeting=meeting).select_related("registration").order_by("pk"))
        burst = burst_build(meeting=meeting, registrants=registrants, rng=random.Random(SEED))
        say(
            f"burst: {len(burst.bodies)} POSTs ({burst.unique} distinct events: {burst.joins} joins, {burst.leaves} "
            f"leaves, {burst.rejoins} rejoins; {burst.duplicates} redelivered, {burst.late} late)"
        )
        stack.start_web()
        stack.start_worker()
        machine = stack.machine_facts()

        say(f"sending the burst over {BURST_CONNECTIONS} connections; timing until attendance is final")
        started = time.monotonic()
        outcome = loadgen.burst(
            port=stack.ports.web,
            factory=loadgen.PreparedRequests(secret=stack.webhook_secret, bodies=burst.bodies),
            count=len(burst.bodies),
            connections=BURST_CONNECTIONS,
        )
        sent_seconds = time.monotonic() - started
        say(f"burst sent in {sent_seconds:.1f} s: {outcome.ok} accepted, failures: {outcome.describe_failures()}")
        final_at = finality_wait(class_session=class_session, started=started, timeout=FINALITY_TIMEOUT)
        final_seconds = None if final_at is None else final_at - started
        states = dict(WebhookEvent.objects.order_by().values_list("state").annotate(count=Count("id")))
        applied = applied_rate()
        mismatches = attendance_compare(class_session=class_session, expected_seconds=burst.expected_seconds)
        failed = states.get(WebhookState.FAILED, 0)

    p50, p99 = percentile(outcome.latencies, 0.5), percentile(outcome.latencies, 0.99)
    accepted_rate = outcome.ok / outcome.elapsed if outcome.elapsed else 0.0
    state_text = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
    final_text = f"{final_seconds:.1f} s" if final_seconds is not None else f"not final within {FINALITY_TIMEOUT} s"
    mismatch_text = (
        "every student's seconds present equal the burst's"
        if not mismatches
        else f"{len(mismatches)} of {STUDENTS} students differ from the burst's seconds, e.g. registration "
        + ", ".join(
            f"{registration_id}: expected {want}, recorded {got}" for registration_id, want, got in mismatches[:3]
        )
    )
    applied_count, applied_seconds, applied_per_second = applied
    applied_text = (
        f"{applied_count} in {applied_seconds:.1f} s from the first to the last processed: "
        f"**{applied_per_second:.0f} events/s** (while the burst still arrived, on the same CPUs)"
        if applied_per_second
        else f"{applied_count}"
    )
    body = f"""
{STUDENTS} students, all pre-registered, join within the meeting's first minute, leave and rejoin one to three
times and are still in when the meeting ends. The burst is delivered as Zoom does: in time order except
{burst.late} events held back by 20 to 200 positions, and {burst.duplicates} events delivered twice (same body),
over {BURST_CONNECTIONS} keep-alive connections as fast as the endpoint answers, with a real Celery worker
processing meanwhile. Seed {SEED}.

| figure | value |
| --- | --- |
| POSTs | {len(burst.bodies)} ({burst.unique} distinct events: {burst.joins} joins, {burst.leaves} leaves, meeting started and ended; {burst.duplicates} redelivered) |
| accepted (HTTP 200) | {outcome.ok}, i.e. {accepted_rate:.1f} events/s over {sent_seconds:.1f} s |
| errors | {outcome.failures} ({outcome.describe_failures()}) |
| endpoint latency p50 / p99 / max | {ms(p50)} / {ms(p99)} / {ms(max(outcome.latencies, default=None))} |
| **time from the first POST until attendance is final** | **{final_text}** |
| participant events applied by the worker | {applied_text} |
| stored events by state | {state_text} |
| attendance checked | {mismatch_text} |
"""
    key, title = section_key_and_title(
        key="attendance_finality",
        title=f"Attendance finality after a {len(burst.bodies)}-event burst",
        database_url_query=arguments.database_url_query,
    )
    command = (
        f"{COMMAND} --database-url-query {arguments.database_url_query}" if arguments.database_url_query else COMMAND
    )
    results_section_write(key=key, title=title, command=command, machine=machine, body=body)
    say(f"accepted {accepted_rate:.1f} events/s, p50 {ms(p50)}, p99 {ms(p99)}; attendance final after {final_text}")
    return 0 if final_seconds is not None and not failed and not mismatches and not outcome.failures else 1


if __name__ == "__main__":
    sys.exit(main())
