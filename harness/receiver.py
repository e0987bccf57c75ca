"""A webhook receiver on 127.0.0.1 that verifies every request as a subscriber would.

    with receiving() as receiver:
        endpoint, secret = register(url=receiver.url)    # or receiver.origin + a path of its own
        receiver.secret = secret                         # or receiver.secrets[path], one a path
        ...
        receiver.of_type("claim.status_changed")

Each request is checked with the ``standardwebhooks`` package and recorded (verified or not)
with its arrival time; the answer is the next of ``answers`` (the last one repeats), held
while ``hold`` is set-and-not-released.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

HOLD_SECONDS = 45.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    error: str
    at: float  # time.time() when the body was read

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    path: str = "/hooks"
    origin: str = ""  # http://127.0.0.1:<port>
    url: str = ""  # origin + path
    secret: str = ""  # for a path without a secret of its own
    secrets: dict[str, str] = field(default_factory=dict)
    answers: list[int] = field(default_factory=lambda: [200])
    hold: threading.Event | None = None
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # webhook-id -> path -> first verified arrival: kept as requests come, so that a benchmark
    # polling count() does not scan every request each time (it competed with the worker).
    _first: dict[str, dict[str, float]] = field(default_factory=dict)

    def verified(self) -> list[Received]:
        with self.lock:
            return [item for item in self.received if item.verified]

    def of_type(self, type_: str) -> list[Received]:
        """Every request of this event type, verified or not (see ``Received.verified``)."""
        with self.lock:
            return [item for item in self.received if item.payload.get("type") == type_]

    def arrivals(self, webhook_id: str) -> dict[str, float]:
        """When one event first reached each path (each endpoint), verified."""
        with self.lock:
            return dict(self._first.get(webhook_id, {}))

    def count(self, webhook_id: str) -> int:
        """How many paths (endpoints) received one event, verified."""
        with self.lock:
            return len(self._first.get(webhook_id, ()))

    @property
    def rejected(self) -> int:
        with self.lock:
            return sum(1 for item in self.received if not item.verified)

    @property
    def duplicates(self) -> int:
        """Verified requests of an event an endpoint had already received (at least once)."""
        seen = Counter((item.webhook_id, item.path) for item in self.verified())
        return sum(count - 1 for count in seen.values())

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        at = time.time()
        try:
            Webhook(self.secrets.get(path, self.secret)).verify(body, headers)
            verified, error = True, ""
        except Exception as failure:
            verified, error = False, str(failure)
        item = Received(path, headers, body, verified, error, at)
        with self.lock:
            self.received.append(item)
            if verified:
                paths = self._first.setdefault(item.webhook_id, {})
                paths[path] = min(at, paths.get(path, at))
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = receiver._record(self.path, headers, body)
            if receiver.hold is not None:
                receiver.hold.wait(HOLD_SECONDS)
            self.send_response(answer)
            self.send_header("content-length", "2")
            self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextlib.contextmanager
def receiving(**options: Any) -> Iterator[Receiver]:
    receiver = Receiver(**options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    server.request_queue_size = 1024
    receiver.origin = f"http://127.0.0.1:{server.server_address[1]}"
    receiver.url = receiver.origin + receiver.path
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if receiver.hold is not None:
            receiver.hold.set()
        server.shutdown()
        server.server_close()
