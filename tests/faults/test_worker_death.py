"""A real Celery worker killed mid-drain: the events it had claimed are processed again within 60 s, once each.

The worker and beat run as subprocesses against this test's PostgreSQL database and a Redis database of
their own, as in production (tasks not eager). The drain renews its claims while it works, so only a dead
worker's claims lapse (after WEBHOOK_CLAIM), and the beat sweeper queues a drain that takes them.
"""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.db import connection

from attendance.models import Participant, PresenceSignal
from zoom_integration.inbox import store
from zoom_integration.models import WebhookEvent, WebhookState
from zoom_integration.tests.zoom_events import RUN_1, STARTS_AT, ZoomEvents, class_with_meeting

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"
WORKER_REDIS_DB = 13
EVENTS = 400
REPROCESSED_WITHIN = 60

pytestmark = pytest.mark.django_db(transaction=True)


def _worker_env():
    database = connection.settings_dict
    database_url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    parts = urlsplit(os.environ["REDIS_URL"])
    redis_url = urlunsplit(parts._replace(path=f"/{WORKER_REDIS_DB}"))
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
    }, redis_url


class Processes:
    def __init__(self, env, workdir):
        self.env, self.workdir, self.running = env, workdir, {}

    def start(self, name, *arguments):
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        self.running[name] = (
            subprocess.Popen(
                [str(CELERY), "-A", "cohortstudio", *arguments],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            ),
            log,
        )

    def kill(self, name):
        process, log = self.running.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        log.close()

    def logs(self):
        return "\n".join(
            f"--- {path.name} ---\n" + "\n".join(path.read_text(errors="replace").splitlines()[-25:])
            for path in sorted(self.workdir.glob("*.log"))
        )

    def stop(self):
        for name in list(self.running):
            self.kill(name)


def _wait(condition, timeout, what, processes):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout} s waiting for {what}\n{processes.logs()}")


def _states():
    """(events processed, events claimed by a drain and not processed yet)."""
    processed = WebhookEvent.objects.filter(state=WebhookState.PROCESSED).count()
    claimed = WebhookEvent.objects.filter(state=WebhookState.RECEIVED, claimed_until__isnull=False).count()
    return processed, claimed


def _mid_drain(processed, claimed):
    return processed >= 20 and claimed > 0


def test_a_worker_killed_mid_drain_leaves_no_event_behind(organization, tmp_path):
    connection_row, _, meeting = class_with_meeting(organization=organization)
    zoom = ZoomEvents(connection=connection_row, zoom_meeting_id=meeting.zoom_meeting_id)
    for number in range(EVENTS):
        body = zoom.joined(
            uuid=RUN_1,
            user_id=16778240 + number,
            name=f"Student {number}",
            at=STARTS_AT + timedelta(seconds=number),
            email=f"student{number}@example.com",
        )
        raw = json.dumps(body).encode()
        store.webhook_event_store(raw_body=raw, payload=body)

    env, redis_url = _worker_env()
    redis.Redis.from_url(redis_url).flushdb()
    processes = Processes(env, tmp_path)
    try:
        processes.start("worker-1", "worker", "--pool=solo", "--loglevel=INFO", "-n", "first@%h")
        subprocess.run(
            [
                str(CELERY),
                "-A",
                "cohortstudio",
                "call",
                "zoom_integration.tasks.webhook_events_drain_task",
                "--kwargs",
                json.dumps({"kind": "look-again"}),
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        _wait(lambda: _mid_drain(*_states()), 90, "a drain mid-way", processes)
        processes.kill("worker-1")
        killed_at = time.monotonic()
        done, claimed = _states()
        assert claimed > 0 and done < EVENTS, "the worker died holding claimed events"

        processes.start("worker-2", "worker", "--pool=solo", "--loglevel=INFO", "-n", "second@%h")
        processes.start("beat", "beat", "--loglevel=INFO", "--schedule", str(tmp_path / "celerybeat-schedule"))
        finished_at = _wait(lambda: _states()[0] == EVENTS, REPROCESSED_WITHIN + 15, "every event processed", processes)
    finally:
        processes.stop()

    print(
        f"killed with {claimed} events claimed, {done} processed; all {EVENTS} processed {finished_at - killed_at:.1f} s later"
    )
    assert finished_at - killed_at <= REPROCESSED_WITHIN, f"took {finished_at - killed_at:.1f} s after the kill"
    assert not WebhookEvent.objects.exclude(state=WebhookState.PROCESSED).exists()
    assert PresenceSignal.objects.count() == EVENTS and Participant.objects.count() == EVENTS, "nothing doubled"
    assert WebhookEvent.objects.filter(attempts=2).count() >= 1, "the dead worker's claims were taken again"
