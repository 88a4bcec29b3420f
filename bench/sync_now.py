"""Sync now for 500 students against the built-in Zoom simulator served by gunicorn.

    .venv/bin/python -m bench.sync_now

The organization connects to the simulator with a real OAuth code exchange, the class's meeting is created
through the product's service, then 500 confirmed students are pre-registered by `registrants_sync` (the
service behind **Sync now**). Every Zoom API call is counted by method and path; the wall-clock time covers
the whole sync, HTTP included. A second Sync now shows what an idempotent re-run costs.
"""

import sys
import time
from collections import Counter
from datetime import timedelta

from bench.harness import Ports, Stack, bench_arguments, results_section_write, say, section_key_and_title

COMMAND = ".venv/bin/python -m bench.sync_now"
PORTS = Ports.from_env(postgres=55485, redis=56432, web=18485)
STUDENTS = 500
BATCH = 30


def _count_zoom_calls():
    """Wrap the client's one HTTP method so every call to Zoom is counted."""
    from zoom_integration.connection.client import ZoomClient

    calls = Counter()
    send = ZoomClient._send

    def counting_send(self, method, path, **kwargs):
        calls[f"{method} {_path_shape(path)}"] += 1
        return send(self, method, path, **kwargs)

    ZoomClient._send = counting_send
    return calls


def _path_shape(path):
    return "/".join("{id}" if part.isdigit() else part for part in path.split("/"))


def _prepare(base_url):
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from courses.models import ClassSession, Course, Registration
    from orgs.models import Membership, Organization
    from zoom_integration import jobs
    from zoom_integration.connection import services
    from zoom_integration.models import ZoomMeeting
    from zoom_integration.scheduling import meetings
    from zoom_simulator import services as simulator

    User = get_user_model()
    organization = Organization.objects.create(name="Bench Sync Co", slug="bench-sync", timezone="UTC")
    owner = User.objects.create_user(email="owner@bench-sync.example.com", password="bench-owner-password")
    EmailAddress.objects.create(user=owner, email=owner.email, primary=True, verified=True)
    Membership.objects.create(organization=organization, user=owner, role="owner")
    host = simulator.user_get_or_create(email="host@bench-sync.example.com", first_name="Bench", last_name="Host")
    code = simulator.authorization_code_issue(
        user=host, client_id=settings.ZOOM_CLIENT_ID, redirect_uri=f"{base_url}/settings/zoom/callback/"
    )
    services.connection_connect_with_code(organization=organization, user=owner, code=code)
    course = Course.objects.create(organization=organization, title="PMP Exam Prep")
    class_session = ClassSession.objects.create(
        organization=organization,
        course=course,
        title="Week 3",
        starts_at=timezone.now() + timedelta(days=7),
        duration_minutes=90,
        timezone="UTC",
        delivery_mode="virtual",
        capacity=STUDENTS,
    )
    emails = [f"student{number:04d}@students.example.com" for number in range(STUDENTS)]
    users = User.objects.bulk_create([User(email=email, password="!") for email in emails])
    Registration.objects.bulk_create(
        Registration(
            organization=organization,
            class_session=class_session,
            student=user,
            first_name=f"Student{number:04d}",
            last_name="Bench",
            email=user.email,
        )
        for number, user in enumerate(users)
    )
    jobs.meeting_request(class_session=class_session)
    meeting = ZoomMeeting.objects.get(class_session=class_session)
    meetings.meeting_create(meeting_pk=meeting.pk)
    meeting.refresh_from_db()
    return meeting


def _sync(meeting, calls):
    from django.core import mail
    from django.test.utils import override_settings

    from zoom_integration.models import ZoomRegistrant
    from zoom_integration.scheduling import registrants

    calls.clear()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        mail.outbox = []
        started = time.monotonic()
        registrants.registrants_sync(meeting_pk=meeting.pk)
        elapsed = time.monotonic() - started
        emails = len(mail.outbox)
    synced = ZoomRegistrant.objects.filter(meeting=meeting, status="synced").count()
    return elapsed, dict(calls), synced, emails


def main():
    arguments = bench_arguments(__doc__.splitlines()[0])
    key, title = section_key_and_title(
        key="sync_now", title="Sync now for 500 students", database_url_query=arguments.database_url_query
    )
    with Stack(
        name="sync_now", ports=PORTS, zoom_simulator=True, database_url_query=arguments.database_url_query
    ) as stack:
        stack.start_web()
        machine = stack.machine_facts()
        calls = _count_zoom_calls()
        say(f"preparing an organization connected to the simulator and a class of {STUDENTS} students")
        meeting = _prepare(stack.base_url)
        say("Sync now (first run)")
        first = _sync(meeting, calls)
        say("Sync now (second run, nothing left to do)")
        second = _sync(meeting, calls)

    registrant_calls_limit = -(-STUDENTS // BATCH)

    def rows(run):
        elapsed, by_call, synced, emails = run
        registrant_calls = sum(count for call, count in by_call.items() if "registrants" in call)
        listing = "<br>".join(f"`{call}` × {count}" for call, count in sorted(by_call.items()))
        return f"| {elapsed:.2f} s | {sum(by_call.values())} | {registrant_calls} | {listing} | {synced} | {emails} |"

    body = f"""
The simulator runs inside the same gunicorn as the product (3 workers x 4 threads), so every Zoom call below
is a real HTTP request over loopback, checked by the simulator's validation as Zoom would check it.

| run | time | Zoom calls | registrant calls | calls by endpoint | students synced | emails with a unique link |
| --- | --- | --- | --- | --- | --- | --- |
| first Sync now {rows(first)}
| second Sync now {rows(second)}

Must hold: at most ceil({STUDENTS}/{BATCH}) = {registrant_calls_limit} add-registrant calls where batching applies
(the batch endpoint takes {BATCH} people), and a second run adds no one.
"""
    results_section_write(key=key, title=title, command=COMMAND, machine=machine, body=body)
    batch_calls = first[1].get("POST /meetings/{id}/batch_registrants", 0)
    ok = (
        first[2] == STUDENTS
        and batch_calls <= registrant_calls_limit
        and not any("batch_registrants" in call or call.startswith("POST") for call in second[1])
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
