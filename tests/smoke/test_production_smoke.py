"""Production smoke test: the Procfile's processes, for real, with DEBUG=0, from `requirements.txt` alone.

They run from a virtualenv built from `requirements.txt` and nothing else, as a production image is (the suite's own
`.venv` carries the dev requirements, which bring along packages production may silently need). gunicorn (gunicorn.conf.py, bound to 127.0.0.1), a Celery worker and beat run as subprocesses against the
PostgreSQL and Redis that `scripts/test.sh` started, on a database of their own (created, migrated by
`manage.py migrate` as the release step does, dropped at the end) and a Redis database of their own (the
suite's cache clears database 0). Signed webhooks go over HTTP to gunicorn and the real worker processes them.
"""

import base64
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements.txt"
# Built once per requirements.txt and Python, then reused; `make clean` removes it.
PRODUCTION_VENVS = ROOT / ".local" / "production-venvs"
INSTALL_TIMEOUT = 900
HOST = "127.0.0.1"
SMOKE_REDIS_DB = 11
START_TIMEOUT = 60
PROCESSING_TIMEOUT = 30
WEBHOOK_SECRET = secrets.token_urlsafe(24)


def _production_venv():
    """The bin directory of a virtualenv holding exactly what `pip install -r requirements.txt` installs."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes() + sys.version.encode()).hexdigest()[:16]
    venv = PRODUCTION_VENVS / digest
    complete = venv / ".complete"
    PRODUCTION_VENVS.mkdir(parents=True, exist_ok=True)
    with open(PRODUCTION_VENVS / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers may reach here together
        if not complete.exists():
            for stale in PRODUCTION_VENVS.iterdir():
                if stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)
            for command in (
                [sys.executable, "-m", "venv", str(venv)],
                [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
            ):
                completed = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
                assert completed.returncode == 0, f"{' '.join(command)} failed:\n{completed.stdout}\n{completed.stderr}"
            complete.touch()
    return venv / "bin"


def _free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _signed(body, *, timestamp=None):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(WEBHOOK_SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json; charset=utf-8",
        "x-zm-request-timestamp": timestamp,
        "x-zm-signature": f"v0={digest}",
    }


def _http(method, url, *, body=None, headers=None):
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class ProductionProcesses:
    """Starts and always stops gunicorn, the worker and beat; `logs()` tells what they said."""

    def __init__(self, *, bin_dir, database_url, redis_url, workdir):
        self.bin = bin_dir
        self.port = _free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.database_url = database_url
        self.workdir = workdir
        self.processes = {}
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ZOOM_", "CELERY_", "DJANGO_")) and key not in ("DATABASE_URL", "REDIS_URL")
        }
        self.env = {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "cohortstudio.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "SITE_URL": self.base_url,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "CERTIFICATE_SIGNING_KEYS": base64.b64encode(secrets.token_bytes(32)).decode(),
            "ZOOM_CLIENT_ID": "smoke-client-id",
            "ZOOM_CLIENT_SECRET": secrets.token_urlsafe(24),
            "ZOOM_WEBHOOK_SECRET_TOKEN": WEBHOOK_SECRET,
            "ZOOM_SIMULATOR": "0",
            # Nothing in this test may reach zoom.us: a closed loopback port instead.
            "ZOOM_OAUTH_URL": "http://127.0.0.1:9",
            "ZOOM_API_URL": "http://127.0.0.1:9/v2",
            "SECURE_SSL_REDIRECT": "0",
            "PORT": str(self.port),
            "PYTHONUNBUFFERED": "1",
        }

    def migrate(self):
        completed = subprocess.run(
            [str(self.bin / "python"), "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert completed.returncode == 0, f"manage.py migrate failed:\n{completed.stdout}\n{completed.stderr}"

    def start(self, name, *command):
        log_path = self.workdir / f"{name}.log"
        with open(log_path, "wb") as log:
            self.processes[name] = subprocess.Popen(
                [str(self.bin / command[0]), *command[1:]],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self, name):
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self):
        return "\n".join(
            f"--- {name} (last lines) ---\n" + "\n".join(self.log(name).splitlines()[-30:]) for name in self.processes
        )

    def wait_for(self, what, condition, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} exited while waiting for {what}:\n{self.logs()}"
            if condition():
                return
            time.sleep(0.2)
        pytest.fail(f"timed out after {timeout} s waiting for {what}:\n{self.logs()}")

    def healthz_answers(self):
        try:
            return _http("GET", f"{self.base_url}/healthz")[0] == 200
        except OSError:
            return False

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)  # whatever of the group is left, pool children included
            except ProcessLookupError:
                pass
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def smoke_database():
    """A database of the smoke test's own on the suite's PostgreSQL, dropped afterwards."""
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not os.environ.get("REDIS_URL"):
        pytest.skip("needs the PostgreSQL and Redis that scripts/test.sh starts (run `make test`)")
    server_url = database_url.rsplit("/", 1)[0]
    name = f"cohortstudio_smoke_{secrets.token_hex(4)}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url}/{name}"
    finally:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def production(smoke_database, tmp_path_factory):
    redis_url = urlunsplit(urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{SMOKE_REDIS_DB}"))
    processes = ProductionProcesses(
        bin_dir=_production_venv(),
        database_url=smoke_database,
        redis_url=redis_url,
        workdir=tmp_path_factory.mktemp("smoke"),
    )
    try:
        processes.migrate()
        processes.start(
            "gunicorn",
            "gunicorn",
            "cohortstudio.wsgi",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"{HOST}:{processes.port}",
        )
        processes.start("worker", "celery", "-A", "cohortstudio", "worker", "--loglevel=INFO", "--concurrency=2")
        processes.start(
            "beat",
            "celery",
            "-A",
            "cohortstudio",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(processes.workdir / "celerybeat-schedule"),
        )
        processes.wait_for("gunicorn to answer /healthz", processes.healthz_answers)
        processes.wait_for("the Celery worker to be ready", lambda: " ready." in processes.log("worker"))
        processes.wait_for("Celery beat to start", lambda: "beat: Starting..." in processes.log("beat"))
        yield processes
    finally:
        processes.stop()


def _event_state(database_url, body):
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT state, error FROM zoom_integration_webhookevent WHERE dedup_key = %s",
            [hashlib.sha256(body).hexdigest()],
        ).fetchone()
    return row


def test_processes_run_from_production_requirements_alone(production):
    """The venv is production's: the dev requirements' packages are absent, so nothing rides in on them."""
    probe = "import importlib.util as u; print([m for m in ('pytest', 'responses', 'packaging') if u.find_spec(m)])"
    found = subprocess.run([str(production.bin / "python"), "-c", probe], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "['packaging']"


def test_worker_answers_ping(production):
    completed = subprocess.run(
        [str(production.bin / "celery"), "-A", "cohortstudio", "inspect", "ping", "--timeout", "10"],
        cwd=ROOT,
        env=production.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0 and "pong" in completed.stdout, f"{completed.stdout}\n{completed.stderr}"


def test_healthz_reports_database_and_redis(production):
    status, body = _http("GET", f"{production.base_url}/healthz")
    answer = json.loads(body)
    assert status == 200, answer
    assert answer["checks"]["database"]["ok"] is True
    assert answer["checks"]["redis"]["ok"] is True
    assert answer["checks"]["redis"].get("configured", True) is True


def test_gunicorn_listens_on_loopback_only(production):
    assert shutil.which("ss"), "ss (iproute2) is missing: `make test` installs it (scripts/system-deps.sh)"
    listening = subprocess.run(["ss", "-Hltn", f"sport = :{production.port}"], capture_output=True, text=True).stdout
    assert f"{HOST}:{production.port}" in listening
    assert f"0.0.0.0:{production.port}" not in listening and f"*:{production.port}" not in listening


def test_url_validation_challenge_is_answered(production):
    plain_token = secrets.token_urlsafe(16)
    body = json.dumps(
        {
            "event": "endpoint.url_validation",
            "event_ts": int(time.time() * 1000),
            "payload": {"plainToken": plain_token},
        },
        separators=(",", ":"),
    ).encode()
    status, answer = _http("POST", f"{production.base_url}/zoom/webhook/", body=body, headers=_signed(body))
    assert status == 200, answer
    expected = hmac.new(WEBHOOK_SECRET.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    assert json.loads(answer) == {"plainToken": plain_token, "encryptedToken": expected}


def test_unsigned_webhook_is_refused(production):
    body = b'{"event":"meeting.ended","payload":{}}'
    headers = {**_signed(body), "x-zm-signature": "v0=" + "0" * 64}
    status, _ = _http("POST", f"{production.base_url}/zoom/webhook/", body=body, headers=headers)
    assert status == 401
    assert _event_state(production.database_url, body) is None


def test_event_is_stored_and_processed_by_the_worker(production):
    now = time.time()
    ended = {
        "event": "meeting.ended",
        "event_ts": int(now * 1000),
        "payload": {
            "account_id": "smokeAccountNobodyConnected",
            "object": {
                "id": "89912345678",
                "uuid": f"{secrets.token_urlsafe(16)}==",
                "host_id": "smokeHostNobodyConnected",
                "topic": "Smoke test meeting",
                "type": 2,
                "start_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3600)),
                "end_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                "timezone": "UTC",
                "duration": 60,
            },
        },
    }
    body = json.dumps(ended, separators=(",", ":")).encode()

    request_id = f"smoke-{secrets.token_hex(8)}"
    headers = {**_signed(body), "X-Request-ID": request_id}
    status, answer = _http("POST", f"{production.base_url}/zoom/webhook/", body=body, headers=headers)

    assert status == 200, answer
    assert _event_state(production.database_url, body) is not None, "the event was not stored before the answer"
    production.wait_for(
        "the worker to process the event",
        lambda: _event_state(production.database_url, body)[0] != "received",
        timeout=PROCESSING_TIMEOUT,
    )
    state, error = _event_state(production.database_url, body)
    assert state == "ignored", f"{state}: {error}\n{production.logs()}"
    assert "zoom_integration.tasks.webhook_event_process_task" in production.log("worker")
    # The worker's lines for the task carry the id of the request that queued it.
    assert request_id in production.log("worker"), production.log("worker")


def test_beat_keeps_running(production):
    assert production.processes["beat"].poll() is None, production.logs()
