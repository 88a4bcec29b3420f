"""wrk, a load generator written in C, driven with requests prepared (and signed) before the clock starts.

The load process then costs little CPU next to the server it measures on the same small machine, which a
Python load generator does not. wrk comes from Debian's packages and is installed, like PostgreSQL, when
missing (`scripts/system-deps.sh`'s way: apt-get as root).

Each request is one of a file of prepared requests (a header line, then the body on one line); wrk's
threads share the file and each sends its own slice in turn, so no body is sent twice while requests
last (make enough of them for the phase).
"""

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import HOST, say

WRK_PACKAGE = "wrk"
WRK_THREADS = 2

_LUA = r"""
local requests = {}
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  local file = io.open(os.getenv("WRK_REQUESTS"), "r")
  local total = tonumber(os.getenv("WRK_THREADS"))
  local index = 0
  while true do
    local head = file:read("*l")
    if head == nil then break end
    local body = file:read("*l")
    if index % total == id - 1 then
      local path, content_type, timestamp, signature = head:match("^(%S+) (%S+) (%S*) (%S*)$")
      local headers = {["Content-Type"] = content_type}
      if timestamp ~= "" then
        headers["x-zm-request-timestamp"] = timestamp
        headers["x-zm-signature"] = signature
      end
      table.insert(requests, wrk.format("POST", path, headers, body))
    end
    index = index + 1
  end
  file:close()
  assert(#requests > 0, "each wrk thread needs at least one prepared request")
  position = 0
end

function request()
  position = position % #requests + 1
  return requests[position]
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_us=%d connect_errors=%d read_errors=%d write_errors=%d " ..
    "status_errors=%d timeouts=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def wrk_ensure():
    """The path of wrk, installed from Debian's packages when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit(f"wrk is missing. Install it with: sudo apt-get install {WRK_PACKAGE}")
    say(f"installing {WRK_PACKAGE} from Debian's packages (apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", WRK_PACKAGE],
        check=True,
        env=env,
        capture_output=True,
    )
    return shutil.which("wrk")


def wrk_version():
    completed = subprocess.run([wrk_ensure(), "-v"], capture_output=True, text=True)
    return (completed.stdout + completed.stderr).strip().splitlines()[0]


@dataclass
class WrkOutcome:
    requests: int
    seconds: float
    errors: dict = field(default_factory=dict)
    p50: float = 0.0
    p99: float = 0.0
    max: float = 0.0

    @property
    def rate(self):
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failures(self):
        return sum(self.errors.values())

    def describe_failures(self):
        shown = {name: count for name, count in self.errors.items() if count}
        return ", ".join(f"{name}: {count}" for name, count in shown.items()) or "none"


def requests_file(requests):
    """Write `(path, headers, body)` requests for the Lua script; returns the file's path (delete it after)."""
    handle, name = tempfile.mkstemp(prefix="cohortstudio-wrk-", suffix=".txt")
    with os.fdopen(handle, "wb") as file:
        for path, headers, body in requests:
            if b"\n" in body:
                raise ValueError("a prepared body must be one line")
            timestamp = headers.get("x-zm-request-timestamp", "")
            signature = headers.get("x-zm-signature", "")
            content_type = headers.get("content-type", "application/octet-stream").split(";")[0]
            file.write(f"{path} {content_type} {timestamp} {signature}\n".encode() + body + b"\n")
    return name


def wrk_run(*, port, requests_path, connections, seconds, threads=WRK_THREADS):
    """Run wrk against 127.0.0.1:`port` for `seconds` with the prepared requests (closed loops)."""
    wrk = wrk_ensure()
    script = Path(tempfile.gettempdir()) / "cohortstudio-wrk.lua"
    script.write_text(_LUA)
    # A slow answer is a latency, not a failure: wrk's default (2 s) would count a thread queued behind others.
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    command += ["-s", str(script)]
    command.append(f"http://{HOST}:{port}/")
    env = {**os.environ, "WRK_REQUESTS": requests_path, "WRK_THREADS": str(threads)}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=seconds + 120)
    match = re.search(r"^RESULT (.*)$", completed.stdout, flags=re.MULTILINE)
    if completed.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    values = {key: int(value) for key, value in (pair.split("=") for pair in match.group(1).split())}
    errors = {name: values[f"{name}_errors"] for name in ("connect", "read", "write", "status")}
    errors["timeouts"] = values["timeouts"]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", completed.stdout)
    if non_2xx:
        errors["non-2xx"] = int(non_2xx.group(1))
    return WrkOutcome(
        requests=values["requests"],
        seconds=values["duration_us"] / 1e6,
        errors=errors,
        p50=values["p50_us"] / 1e6,
        p99=values["p99_us"] / 1e6,
        max=values["max_us"] / 1e6,
    )
