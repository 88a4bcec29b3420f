"""Class, Zoom and attendance pages at 5 and 500 students: database queries per page and latency through gunicorn.

    .venv/bin/python -m bench.class_pages

For each page in PAGES and each class size, a signed-in trainer's request is made once in-process under
Django's CaptureQueriesContext (the query count), then REQUESTS times one after another over one keep-alive
connection to gunicorn (p50 / p95 / max). The classes are virtual, held yesterday, with every student
pre-registered on the class's Zoom meeting and present in it (attendance recorded through the attendance
service), so every panel of the page has its full content.
"""

import http.client
import sys
import time
from datetime import timedelta

from bench.harness import (
    HOST,
    Ports,
    Stack,
    bench_arguments,
    ms,
    percentile,
    results_section_write,
    say,
    section_key_and_title,
)
from bench.zoom_standin import ZoomStandIn

COMMAND = ".venv/bin/python -m bench.class_pages"
PORTS = Ports.from_env(postgres=55484, redis=56431, web=18484)
CLASS_SIZES = (5, 500)
REQUESTS = 200
WARM_UP_REQUESTS = 10
# (name, path); `{class_id}` is the class's id.
PAGES = (
    ("Class page", "/courses/classes/{class_id}/"),
    ("Zoom page", "/courses/classes/{class_id}/zoom/"),
    ("Attendance page", "/attendance/classes/{class_id}/"),
)
ZOOM_STANDIN_PORT = PORTS.web + 1  # 18485 by default


def attendance_record(*, class_session, meeting):
    """Every student joined within the first minute and left at the end, through the attendance service."""
    from attendance.models import SignalKind
    from attendance.services import presence_signal_record
    from zoom_integration.models import ZoomRegistrant

    started_at = class_session.starts_at
    registrants = ZoomRegistrant.objects.filter(meeting=meeting).select_related("registration")
    for number, registrant in enumerate(registrants):
        registration = registrant.registration
        for kind, occurred_at in (
            (SignalKind.JOIN, started_at + timedelta(seconds=number % 60)),
            (SignalKind.LEAVE, class_session.ends_at),
        ):
            presence_signal_record(
                class_session=class_session,
                source="zoom",
                external_id=f"bench-{registrant.registrant_id}-{kind}",
                session_key=meeting.zoom_uuid,
                kind=kind,
                occurred_at=occurred_at,
                participant_key=registrant.registrant_id,
                registration=registration,
                email=registration.email,
                display_name=registration.full_name,
            )


def classes_prepare():
    from django.utils import timezone

    from bench.data import class_with_students, organization_with_trainer

    organization, trainer = organization_with_trainer(name="Bench Training Co")
    yesterday = (timezone.now() - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    classes = {}
    for size in CLASS_SIZES:
        say(f"creating a class of {size} students with Zoom registrants and attendance")
        class_session, meeting = class_with_students(
            organization=organization, students=size, starts_at=yesterday, zoom_meeting_id=86000000000 + size
        )
        attendance_record(class_session=class_session, meeting=meeting)
        zoom_content_record(class_session=class_session, meeting=meeting)
        classes[size] = class_session
    return organization, trainer, classes


def zoom_content_record(*, class_session, meeting):
    """What CohortStudio holds after the meeting: its AI summary and its cloud recording files, shared."""
    from django.utils import timezone

    from zoom_integration.models import ZoomRecordingFile, ZoomSummary

    now = timezone.now()
    ZoomSummary.objects.create(
        organization=class_session.organization,
        meeting=meeting,
        meeting_uuid=meeting.zoom_uuid,
        title=f"{class_session.title} summary",
        content="## Quick recap\nThe class walked through schedule compression.\n\n## Next steps\n- Read chapter 6.",
        meeting_started_at=class_session.starts_at,
        summary_created_at=class_session.ends_at,
        fetched_at=now,
    )
    ZoomRecordingFile.objects.bulk_create(
        ZoomRecordingFile(
            organization=class_session.organization,
            meeting=meeting,
            meeting_uuid=meeting.zoom_uuid,
            file_id=f"{meeting.zoom_meeting_id}-{file_type}",
            file_type=file_type,
            file_extension=extension,
            recording_type=recording_type,
            recording_start=class_session.starts_at,
            recording_end=class_session.ends_at,
            file_size=size,
            status="completed",
            play_url=f"https://zoom.us/rec/play/{meeting.zoom_meeting_id}-{file_type}",
            share_url=f"https://zoom.us/rec/share/{meeting.zoom_meeting_id}",
            shared=True,
            shared_at=now,
        )
        for file_type, extension, recording_type, size in (
            ("MP4", "MP4", "shared_screen_with_speaker_view", 754_000_000),
            ("M4A", "M4A", "audio_only", 43_000_000),
            ("CHAT", "TXT", "chat_file", 4_100),
        )
    )


def signed_in_client(*, organization, trainer, host):
    """Django's test client signed in as the trainer with the organization chosen; its session cookie works on
    gunicorn too (same database, same SECRET_KEY)."""
    from django.test import Client

    from orgs.middleware import SESSION_KEY

    client = Client(HTTP_HOST=host)
    client.force_login(trainer)
    session = client.session
    session[SESSION_KEY] = organization.pk
    session.save()
    return client


def queries_of(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # first request of a page fills per-process caches; count a later one
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} in-process answered {response.status_code}, not 200")
    return len(captured.captured_queries)


def latencies_of(*, port, path, cookie, expected_text):
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Cookie": cookie}
    latencies, size = [], 0
    try:
        for number in range(WARM_UP_REQUESTS + REQUESTS):
            started = time.monotonic()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            elapsed = time.monotonic() - started
            if response.status != 200 or expected_text not in body:
                raise RuntimeError(f"GET {path} through gunicorn answered {response.status}, not the page")
            if number >= WARM_UP_REQUESTS:
                latencies.append(elapsed)
            size = len(body)
    finally:
        connection.close()
    return latencies, size


def main():
    arguments = bench_arguments(__doc__.split("\n", 1)[0])
    rows = []
    with (
        ZoomStandIn(ZOOM_STANDIN_PORT) as zoom,
        Stack(
            name="class_pages", ports=PORTS, database_url_query=arguments.database_url_query, zoom_api_url=zoom.api_url
        ) as stack,
    ):
        from django.conf import settings

        organization, trainer, classes = classes_prepare()
        stack.start_web()
        machine = stack.machine_facts()
        client = signed_in_client(organization=organization, trainer=trainer, host=f"{HOST}:{stack.ports.web}")
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        for page, path_template in PAGES:
            for size, class_session in classes.items():
                path = path_template.format(class_id=class_session.pk)
                queries = queries_of(client, path)
                say(f"{page}, {size} students: {queries} queries; {REQUESTS} requests through gunicorn")
                latencies, size_bytes = latencies_of(
                    port=stack.ports.web, path=path, cookie=cookie, expected_text=class_session.title.encode()
                )
                rows.append((page, size, queries, latencies, size_bytes))
                say(f"  p50 {ms(percentile(latencies, 0.5))}, p95 {ms(percentile(latencies, 0.95))}")
        zoom_calls = zoom.calls

    table = "\n".join(
        f"| {page} | {size} | {queries} | {ms(percentile(latencies, 0.5))} | {ms(percentile(latencies, 0.95))} "
        f"| {ms(max(latencies))} | {size_bytes / 1024:.0f} KiB |"
        for page, size, queries, latencies, size_bytes in rows
    )
    body = f"""
A trainer's GET of each page: queries counted in-process with Django's `CaptureQueriesContext` (a second request,
so per-process caches are warm), latency over {REQUESTS} sequential requests through gunicorn on one keep-alive
connection after {WARM_UP_REQUESTS} warm-up requests. Each class is virtual, held yesterday, every student
pre-registered on its Zoom meeting and recorded present through `attendance.services.presence_signal_record`; its
AI summary and three shared recording files are stored as CohortStudio keeps them.

The Zoom page reads the meeting's polls from Zoom on every load (one call, no retries); here a stand-in for
api.zoom.us on loopback (`bench/zoom_standin.py`) answers at once with Zoom's documented shape, so the figures are
CohortStudio's own cost and real Zoom adds its round trip to the Zoom page. The stand-in answered {zoom_calls} calls.

| page | students | queries | p50 | p95 | max | page size |
| --- | --- | --- | --- | --- | --- | --- |
{table}
"""
    key, title = section_key_and_title(
        key="class_pages",
        title="Class, Zoom and attendance pages at 5 and 500 students",
        database_url_query=arguments.database_url_query,
    )
    command = (
        f"{COMMAND} --database-url-query {arguments.database_url_query}" if arguments.database_url_query else COMMAND
    )
    results_section_write(key=key, title=title, command=command, machine=machine, body=body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
