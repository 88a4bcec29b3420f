"""A small HTTP/1.1 load generator on asyncio streams, for loopback only.

Two shapes, both bounded in request count and in time:
- `fixed_rate`: an open loop that sends request i at start + i / rate whatever the answers do, and measures each
  latency from its scheduled time (a slow server cannot hide its queue by slowing the sender down).
- `saturate`: closed loops on many keep-alive connections in several processes, as fast as the server answers.

Requests come from picklable factories (`TrivialRequests`, `ParticipantJoinedRequests`) so each process builds
and signs its own, each with a unique body.
"""

import asyncio
import json
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

from bench.harness import HOST, TRIVIAL_PATH, WEBHOOK_PATH, webhook_signed_headers

REQUEST_TIMEOUT = 10.0
# gunicorn.conf.py closes a keep-alive connection idle for 5 s; like any client, reuse one only well before that
# (a request sent as the server closes would be lost).
IDLE_REUSE_SECONDS = 4.0


class HttpError(Exception):
    pass


class Connection:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None
        self.last_used = 0.0

    async def request(self, method, path, headers, body):
        if self.writer is not None and time.monotonic() - self.last_used > IDLE_REUSE_SECONDS:
            self.close()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_and_headers = await self.reader.readuntil(b"\r\n\r\n")
        lines = status_and_headers.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        response_headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                response_headers[name.strip().lower()] = value.strip()
        if "content-length" in response_headers:
            await self.reader.readexactly(int(response_headers["content-length"]))
        elif response_headers.get("transfer-encoding", "").lower() == "chunked":
            await self._read_chunked()
        else:
            raise HttpError("response without Content-Length")
        self.last_used = time.monotonic()
        if response_headers.get("connection", "").lower() == "close":
            self.close()
        return status

    async def _read_chunked(self):
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await self.reader.readexactly(size + 2)
            if size == 0:
                return

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# Requests ------------------------------------------------------------------------------------


class TrivialRequests:
    """POSTs of a body as large as a webhook's to the bench-only trivial view (nothing reads it)."""

    label = "trivial view"

    def __init__(self, *, body_size=700):
        self.body = b"x" * body_size

    def __call__(self, sequence):
        return "POST", TRIVIAL_PATH, {"content-type": "application/octet-stream"}, self.body


@dataclass
class ParticipantJoinedRequests:
    """Signed `meeting.participant_joined` events shaped as Zoom sends them, each body unique."""

    secret: str
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    account_id: str = "benchAccount0000000000"
    host_id: str = "benchHost000000000000"
    meeting_id: str = "85012345678"
    label = "webhook"

    def __call__(self, sequence):
        now_ms = int(time.time() * 1000)
        joined = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now_ms / 1000))
        event = {
            "event": "meeting.participant_joined",
            "event_ts": now_ms,
            "payload": {
                "account_id": self.account_id,
                "object": {
                    "id": self.meeting_id,
                    "uuid": "bench4AAAiAAAAAiAiAiiA==",
                    "host_id": self.host_id,
                    "topic": "Week 3: Schedule management",
                    "type": 2,
                    "start_time": joined,
                    "timezone": "UTC",
                    "duration": 90,
                    "participant": {
                        "user_id": str(16778240 + sequence),
                        "user_name": f"Student {self.tag}-{sequence}",
                        "id": f"p{self.tag}{sequence:08d}",
                        "participant_uuid": f"{self.tag}-{sequence:08d}",
                        "join_time": joined,
                        "email": f"student.{self.tag}.{sequence}@students.example.com",
                        "registrant_id": f"r{self.tag}{sequence:08d}",
                        "participant_user_id": f"u{self.tag}{sequence:08d}",
                    },
                },
            },
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        return "POST", WEBHOOK_PATH, webhook_signed_headers(secret=self.secret, body=body), body


@dataclass
class PreparedRequests:
    """Prepared bodies sent in order, each signed at the moment it is sent."""

    secret: str
    bodies: list
    label = "webhook burst"

    def __call__(self, sequence):
        body = self.bodies[sequence]
        return "POST", WEBHOOK_PATH, webhook_signed_headers(secret=self.secret, body=body), body


# Results -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    sent: int = 0
    ok: int = 0
    statuses: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    latencies: list = field(default_factory=list)
    first_sent_at: float | None = None  # wall clock
    last_done_at: float | None = None  # wall clock

    def add(self, other):
        self.sent += other.sent
        self.ok += other.ok
        for name in ("statuses", "errors"):
            mine = getattr(self, name)
            for key, count in getattr(other, name).items():
                mine[key] = mine.get(key, 0) + count
        self.latencies.extend(other.latencies)
        starts = [value for value in (self.first_sent_at, other.first_sent_at) if value is not None]
        ends = [value for value in (self.last_done_at, other.last_done_at) if value is not None]
        self.first_sent_at = min(starts, default=None)
        self.last_done_at = max(ends, default=None)

    @property
    def failures(self):
        return self.sent - self.ok

    @property
    def elapsed(self):
        if self.first_sent_at is None or self.last_done_at is None:
            return 0.0
        return self.last_done_at - self.first_sent_at

    def describe_failures(self):
        parts = [f"HTTP {status}: {count}" for status, count in sorted(self.statuses.items()) if status != 200]
        parts += [f"{name}: {count}" for name, count in sorted(self.errors.items())]
        return ", ".join(parts) or "none"


async def _send(connection, factory, sequence, outcome, started, expected_status):
    method, path, headers, body = factory(sequence)
    try:
        status = await asyncio.wait_for(connection.request(method, path, headers, body), REQUEST_TIMEOUT)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, HttpError, ValueError) as error:
        connection.close()
        name = type(error).__name__
        outcome.errors[name] = outcome.errors.get(name, 0) + 1
        return False
    finally:
        outcome.last_done_at = time.time()
    latency = time.monotonic() - started
    outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
    if status == expected_status:
        outcome.ok += 1
        outcome.latencies.append(latency)
        return True
    return False


# Open loop at a fixed rate -------------------------------------------------------------------


async def _fixed_rate(*, port, factory, rate, count, max_connections, expected_status):
    outcome = Outcome()
    idle = []
    slots = asyncio.Semaphore(max_connections)

    async def one(sequence, scheduled):
        # A request still waiting for a free connection REQUEST_TIMEOUT after its scheduled time is a timeout too,
        # so a server slower than the offered rate cannot stretch the run without bound.
        try:
            await asyncio.wait_for(slots.acquire(), scheduled + REQUEST_TIMEOUT - time.monotonic())
        except TimeoutError:
            outcome.errors["TimeoutError"] = outcome.errors.get("TimeoutError", 0) + 1
            return
        try:
            connection = idle.pop() if idle else Connection(port)
            await _send(connection, factory, sequence, outcome, scheduled, expected_status)
            idle.append(connection)
        finally:
            slots.release()

    start = time.monotonic() + 0.05
    outcome.first_sent_at = time.time() + 0.05
    pending = []
    for sequence in range(count):
        scheduled = start + sequence / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        outcome.sent += 1
        pending.append(asyncio.create_task(one(sequence, scheduled)))
    await asyncio.gather(*pending)
    for connection in idle:
        connection.close()
    return outcome


def fixed_rate(*, port, factory, rate, seconds, max_connections=128, expected_status=200):
    """Offer `rate` requests per second for `seconds`, open loop; latencies are from each scheduled send time."""
    return asyncio.run(
        _fixed_rate(
            port=port,
            factory=factory,
            rate=rate,
            count=int(rate * seconds),
            max_connections=max_connections,
            expected_status=expected_status,
        )
    )


def burst(*, port, factory, count, connections, expected_status=200):
    """Send `count` prepared requests in order over `connections` keep-alive connections, as fast as answered."""

    async def run():
        outcome = Outcome(first_sent_at=time.time())
        queue = iter(range(count))

        async def loop():
            connection = Connection(port)
            for sequence in queue:
                outcome.sent += 1
                await _send(connection, factory, sequence, outcome, time.monotonic(), expected_status)
            connection.close()

        await asyncio.gather(*(loop() for _ in range(connections)))
        return outcome

    return asyncio.run(run())


# Closed loops at saturation ------------------------------------------------------------------


async def _saturate(*, port, factory, connections, start_at, seconds, max_requests, expected_status):
    outcome = Outcome()
    await asyncio.sleep(max(0.0, start_at - time.time()))
    outcome.first_sent_at = time.time()
    deadline = time.monotonic() + seconds
    counter = iter(range(max_requests))

    async def loop():
        connection = Connection(port)
        for sequence in counter:
            if time.monotonic() >= deadline:
                break
            outcome.sent += 1
            await _send(connection, factory, sequence, outcome, time.monotonic(), expected_status)
        connection.close()

    await asyncio.gather(*(loop() for _ in range(connections)))
    return outcome


def _saturate_process(kwargs):
    return asyncio.run(_saturate(**kwargs))


def saturate(*, port, factories, connections_per_process, seconds, max_requests_per_process, expected_status=200):
    """Closed loops in one process per factory, all starting at the same instant; returns the merged Outcome."""
    start_at = time.time() + 2.0  # time for the processes to start
    jobs = [
        {
            "port": port,
            "factory": factory,
            "connections": connections_per_process,
            "start_at": start_at,
            "seconds": seconds,
            "max_requests": max_requests_per_process,
            "expected_status": expected_status,
        }
        for factory in factories
    ]
    merged = Outcome()
    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=get_context("spawn")) as pool:
        for outcome in pool.map(_saturate_process, jobs):
            merged.add(outcome)
    return merged
