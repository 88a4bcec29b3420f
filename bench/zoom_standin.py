"""A stand-in for api.zoom.us on loopback, for benchmarks that render pages which read Zoom.

It answers at once (so a page's latency is CohortStudio's own; real Zoom adds its round trip) with bodies
shaped as Zoom's API reference documents them, and counts the calls it receives.
"""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.harness import HOST

# GET /meetings/{meetingId}/polls ("List meeting polls"), one single-choice poll.
POLLS = {
    "total_records": 1,
    "polls": [
        {
            "id": "QalIoKWLTJehBJ8e1xRrbQ",
            "status": "notstart",
            "anonymous": False,
            "poll_type": 1,
            "title": "Reading check",
            "questions": [
                {
                    "name": "Which process group does risk identification belong to?",
                    "type": "single",
                    "answer_required": False,
                    "answers": ["Initiating", "Planning", "Executing", "Closing"],
                }
            ],
        }
    ],
}
_POLLS_PATH = re.compile(r"^/v2/meetings/\d+/polls$")


class ZoomStandIn:
    """`with ZoomStandIn(port) as zoom:` serves until the block ends; `zoom.api_url` is ZOOM_API_URL."""

    def __init__(self, port):
        self.port = port
        self.calls = 0
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                with standin._lock:
                    standin.calls += 1
                if _POLLS_PATH.match(self.path.split("?", 1)[0]):
                    self._answer(200, POLLS)
                else:
                    self._answer(404, {"code": 3001, "message": "Meeting does not exist."})

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                """Quiet: the benchmark's output is its table, not one line a request."""

        self.server = ThreadingHTTPServer((HOST, port), Handler)
        self.server.daemon_threads = True

    @property
    def api_url(self):
        return f"http://{HOST}:{self.port}/v2"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()
        return False
