"""What every benchmark shares: throwaway PostgreSQL and Redis, the production environment, gunicorn
and Celery as subprocesses, signed webhooks, the machine's facts and the sections of RESULTS.md.

A benchmark runs `with Stack(...) as stack:`; leaving the block (normally, on an error, on Ctrl-C or
SIGTERM) stops every process the stack started and the services.
"""

import base64
import hashlib
import hmac
import math
import os
import platform
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
RESULTS = REPO / "bench" / "RESULTS.md"
HOST = "127.0.0.1"
WEBHOOK_PATH = "/zoom/webhook/"
TRIVIAL_PATH = "/bench/trivial/"
# Zoom's hosts are replaced by a closed loopback port, so nothing a benchmark does can reach zoom.us.
UNREACHABLE_ZOOM = "http://127.0.0.1:9"
# Settings the shell may carry from `scripts/test.sh` or `make run` that must not leak into production mode.
INHERITED_SETTINGS = (
    "CELERY_TASK_ALWAYS_EAGER",
    "ZOOM_SIMULATOR",
    "ZOOM_SIMULATOR_FORCE",
    "ZOOM_SIMULATOR_WEBHOOK_URL",
    "EMAIL_URL",
    "ZOOM_OAUTH_URL",
    "ZOOM_API_URL",
)
# The Procfile's process commands, with gunicorn bound to loopback only.
GUNICORN = ["gunicorn", "cohortstudio.wsgi", "--config", "gunicorn.conf.py"]
CELERY_CONCURRENCY = 4
WORKER_NICENESS = 10
CELERY_WORKER = ["celery", "-A", "cohortstudio", "worker", "--loglevel=INFO", f"--concurrency={CELERY_CONCURRENCY}"]


def say(message):
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


@dataclass(frozen=True)
class Ports:
    postgres: int
    redis: int
    web: int

    @classmethod
    def from_env(cls, *, postgres, redis, web):
        """These ports, or those of BENCH_PORTS="<postgres>,<redis>,<web>" (so that runs side by side do not clash)."""
        given = os.environ.get("BENCH_PORTS", "").strip()
        if not given:
            return cls(postgres=postgres, redis=redis, web=web)
        try:
            postgres, redis, web = (int(part) for part in given.split(","))
        except ValueError:
            raise SystemExit(f"BENCH_PORTS={given!r}: give three ports, <postgres>,<redis>,<web>.") from None
        return cls(postgres=postgres, redis=redis, web=web)


def port_is_free(port):
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) != 0


def webhook_signed_headers(*, secret, body, timestamp=None):
    """Zoom's headers: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` (timestamp in seconds)."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json; charset=utf-8",
        "x-zm-request-timestamp": timestamp,
        "x-zm-signature": f"v0={digest}",
    }


class _Terminated(Exception):
    pass


def _raise_terminated(signum, frame):
    raise _Terminated(f"stopped by signal {signum}")


class Stack:
    """PostgreSQL + Redis (scripts/test-services.sh), a migrated database, and on request gunicorn and a worker."""

    def __init__(self, *, name, ports, zoom_simulator=False, database_url_query="", zoom_api_url=None):
        self.name = name
        self.ports = ports
        self.zoom_simulator = zoom_simulator
        # A stand-in for api.zoom.us on loopback (bench/zoom_standin.py); otherwise Zoom is unreachable.
        self.zoom_api_url = zoom_api_url
        # Options django-environ reads from DATABASE_URL's query string, e.g. "conn_max_age=60".
        self.database_url_query = database_url_query
        self.state_dir = Path(f"/tmp/cohortstudio-bench-{name}-{ports.postgres}")
        self.webhook_secret = secrets.token_urlsafe(24)
        self.processes = []
        self.services_started = False
        self.env = None

    @property
    def base_url(self):
        return f"http://{HOST}:{self.ports.web}"

    def __enter__(self):
        signal.signal(signal.SIGTERM, _raise_terminated)
        try:
            self._services_start()
            self._database_prepare()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc_info):
        for name, process in reversed(self.processes):
            _process_stop(process)
            say(f"stopped {name} (pid {process.pid})")
        self.processes.clear()
        if self.services_started:
            self._services_script("stop", check=False)
            self.services_started = False
            say("stopped PostgreSQL and Redis")
        return False

    # Services and database ----------------------------------------------------------------

    def _services_script(self, action, *, check=True):
        env = {
            **os.environ,
            "TEST_PG_PORT": str(self.ports.postgres),
            "TEST_REDIS_PORT": str(self.ports.redis),
            "TEST_SERVICES_DIR": str(self.state_dir),
        }
        return subprocess.run(
            ["bash", str(REPO / "scripts" / "test-services.sh"), action],
            env=env,
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def _services_start(self):
        for port in (self.ports.postgres, self.ports.redis, self.ports.web):
            if not port_is_free(port):
                raise SystemExit(f"Port {port} on {HOST} is in use; stop what listens there and run again.")
        say(f"starting PostgreSQL on {HOST}:{self.ports.postgres} and Redis on {HOST}:{self.ports.redis}")
        self.services_started = True
        started = self._services_script("start")
        exported = dict(re.findall(r"^export (\w+)=(\S+)$", started.stdout, flags=re.MULTILINE))
        self.database_url = exported["DATABASE_URL"]
        database_url = (
            f"{self.database_url}?{self.database_url_query}" if self.database_url_query else self.database_url
        )
        self.env = self._production_env(database_url=database_url, redis_url=exported["REDIS_URL"])
        # The benchmark process itself uses Django (to create rows, count queries) with the same settings.
        for name in INHERITED_SETTINGS:
            os.environ.pop(name, None)
        os.environ.update(self.env)

    def _production_env(self, *, database_url, redis_url):
        from cryptography.fernet import Fernet

        env = {key: value for key, value in os.environ.items() if key not in INHERITED_SETTINGS}
        env.update(
            DJANGO_SETTINGS_MODULE="bench.settings",
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS=HOST,
            SITE_URL=self.base_url,
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            CELERY_TASK_ALWAYS_EAGER="0",
            FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
            CERTIFICATE_SIGNING_KEYS=base64.b64encode(secrets.token_bytes(32)).decode(),
            ZOOM_CLIENT_ID="bench-client-id",
            ZOOM_CLIENT_SECRET=secrets.token_urlsafe(24),
            ZOOM_WEBHOOK_SECRET_TOKEN=self.webhook_secret,
            ZOOM_SIMULATOR="1" if self.zoom_simulator else "0",
            SECURE_SSL_REDIRECT="0",
            PORT=str(self.ports.web),
            PYTHONUNBUFFERED="1",
        )
        if self.zoom_simulator:
            env["ZOOM_SIMULATOR_FORCE"] = "1"
        else:
            env.update(ZOOM_OAUTH_URL=UNREACHABLE_ZOOM, ZOOM_API_URL=self.zoom_api_url or f"{UNREACHABLE_ZOOM}/v2")
        return env

    def _database_prepare(self):
        import psycopg

        server_url, database = self.database_url.rsplit("/", 1)
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
        say("migrating and collecting static files (the Procfile's release step)")
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            self.run_manage(*command)
        import django

        django.setup()

    def run_manage(self, *arguments):
        completed = subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", *arguments],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{completed.stdout}\n{completed.stderr}")

    # gunicorn and Celery --------------------------------------------------------------------

    def _spawn(self, name, command, *, niceness=0):
        log = open(self.state_dir / f"{name}.log", "wb")  # noqa: SIM115  (closed with the process)
        command = [str(VENV_BIN / command[0]), *command[1:]]
        if niceness:
            command = ["nice", "-n", str(niceness), *command]
        process = subprocess.Popen(
            command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        process.log_path = log.name
        log.close()
        self.processes.append((name, process))
        say(f"started {name} (pid {process.pid}): {shlex.join([Path(command[0]).name, *command[1:]])}")
        return process

    def start_web(self):
        process = self._spawn("gunicorn", [*GUNICORN, "--bind", f"{HOST}:{self.ports.web}"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{log_tail(process)}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        say(f"gunicorn answers on {self.base_url}")
                        return process
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz within 60 s:\n{log_tail(process)}")

    def start_worker(self, *, name="celery-worker", node=None):
        """A Celery worker as the Procfile runs it; `node` names a second one apart (as on another machine)."""
        # Web before background work: on one small machine the worker yields the CPU to gunicorn,
        # as it would run on machines of its own in a deployment.
        command = CELERY_WORKER if node is None else [*CELERY_WORKER, "-n", node]
        process = self._spawn(name, command, niceness=WORKER_NICENESS)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited at start:\n{log_tail(process)}")
            if b" ready." in Path(process.log_path).read_bytes():
                say("Celery worker ready")
                return process
            time.sleep(0.2)
        raise RuntimeError(f"the Celery worker was not ready within 60 s:\n{log_tail(process)}")

    def stop(self, process):
        """Stop one process this stack started (its whole process group)."""
        for index, (name, started) in enumerate(self.processes):
            if started is process:
                _process_stop(process)
                del self.processes[index]
                say(f"stopped {name} (pid {process.pid})")
                return

    def web_settings(self):
        """gunicorn's worker model as gunicorn.conf.py resolves it in this environment."""
        return {
            "workers": int(self.env.get("WEB_CONCURRENCY", "3")),
            "threads": int(self.env.get("GUNICORN_THREADS", "4")),
        }

    # The machine ------------------------------------------------------------------------------

    def machine_facts(self):
        import django
        import psycopg
        import redis

        with psycopg.connect(self.database_url) as connection:
            postgres_version = connection.execute("SHOW server_version").fetchone()[0]
        redis_version = redis.Redis.from_url(self.env["REDIS_URL"]).info("server")["redis_version"]
        web = self.web_settings()
        return {
            "CPU": _cpu_model(),
            "nproc": str(len(os.sched_getaffinity(0))),
            "memory": f"{_memory_gib():.1f} GiB",
            "OS": _os_name(),
            "Python": platform.python_version(),
            "Django": django.get_version(),
            "PostgreSQL": (
                f"{postgres_version} (fsync=off, synchronous_commit=off, as scripts/test-services.sh starts it)"
            ),
            "Redis": redis_version,
            "gunicorn": f"{web['workers']} workers x {web['threads']} threads (gthread), gunicorn.conf.py defaults",
            "Celery worker": (
                f"prefork, concurrency {CELERY_CONCURRENCY} (the Procfile's default), at nice {WORKER_NICENESS} "
                "(web first, as on separate machines)"
            ),
            "load average (1, 5, 15 min) at start": load_average(),
            "DATABASE_URL options": self.database_url_query
            or "none (the settings keep connections for 60 s: CONN_MAX_AGE)",
            "code": _code_version(),
            "run at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        }


def load_average():
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def log_tail(process, lines=40):
    try:
        text = Path(process.log_path).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _process_stop(process, timeout=15):
    """SIGTERM the process group this process leads, then SIGKILL it if it lingers."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
        except ProcessLookupError:
            pass
    # Pool children outlive a master that exited on its own; the group id is still ours.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib():
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _os_name():
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))}, Linux {platform.release()}"
    except OSError:
        pass
    return platform.platform()


def _code_version():
    def git(*arguments):
        return subprocess.run(["git", *arguments], cwd=REPO, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{commit} with uncommitted changes" if git("status", "--porcelain") else commit


# Statistics and RESULTS.md ---------------------------------------------------------------------


def percentile(values, fraction):
    """Nearest-rank percentile of `values` (any order); None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def ms(seconds):
    return "n/a" if seconds is None else f"{seconds * 1000:.1f} ms"


RESULTS_HEADER = """# Benchmark results

Each section below is written by the command it names, run from the repository root; running the command again
replaces its section. Every benchmark starts its own PostgreSQL and Redis on loopback (`scripts/test-services.sh`),
migrates a fresh database, runs `collectstatic`, and serves the app with gunicorn exactly as the `Procfile` does
(`gunicorn.conf.py`, bound to 127.0.0.1 only) with `DEBUG=0` and production settings; a real Celery worker runs
where the benchmark needs one. Everything is stopped at the end.

The settings module is `bench/settings.py`: the production settings plus the trivial view the webhook endpoint is
compared with.
"""


def bench_arguments(description):
    """The options every benchmark takes."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--database-url-query",
        default="",
        metavar="OPTIONS",
        help="query string added to DATABASE_URL for every process, as a deployment would set it, e.g. "
        '"conn_max_age=60" (its results get a section of their own)',
    )
    return parser.parse_args()


def section_key_and_title(*, key, title, database_url_query):
    if not database_url_query:
        return key, title
    return f"{key}?{database_url_query}", f"{title}, with DATABASE_URL?{database_url_query}"


def _shared_machine_caution(machine):
    """A warning when other work kept the machine busy as the run began (before any load was sent)."""
    cpus = int(machine["nproc"])
    load = float(machine["load average (1, 5, 15 min) at start"].split()[0])
    if load <= cpus:
        return ""
    return (
        f"**Caution:** the machine was already busy with other work when this run began (1-minute load average "
        f"{load:.1f} on {cpus} CPUs, before any load was sent), so these figures understate what the same code "
        "does on a machine of its own.\n\n"
    )


def results_section_write(*, key, title, command, machine, body):
    """Replace (or add) the section `key` of RESULTS.md."""
    start, end = f"<!-- bench:{key}:start -->", f"<!-- bench:{key}:end -->"
    machine = {**machine, "load average (1, 5, 15 min) at end": load_average()}
    facts = "\n".join(f"| {name} | {value} |" for name, value in machine.items())
    section = (
        f"{start}\n## {title}\n\n"
        f"Command: `{command}`\n\n"
        f"| machine | |\n| --- | --- |\n{facts}\n\n"
        f"{_shared_machine_caution(machine)}"
        f"{body.strip()}\n{end}"
    )
    text = RESULTS.read_text() if RESULTS.exists() else RESULTS_HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), flags=re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda match: section, text)
    else:
        text = f"{text.rstrip()}\n\n{section}\n"
    RESULTS.write_text(text)
    say(f"wrote the '{title}' section of {RESULTS.relative_to(REPO)}")
