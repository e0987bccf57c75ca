"""A real Celery worker (with beat) on the test database and broker, and a real receiver."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from standardwebhooks import Webhook

BASE_DIR = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 45.0


def wait_for(check: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    """Poll ``check`` until it returns something true; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}")
        time.sleep(0.1)


def test_database_url() -> str:
    """The URL of the test database pytest-django created, for the worker process."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    url = f"postgresql://{auth}@{host}{port}/{db['NAME']}"
    socket_dir = db.get("OPTIONS", {}).get("host")
    if socket_dir:
        url += f"?host={quote(socket_dir, safe='/')}"
    return url


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool
    error: str = ""

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A local webhook receiver that verifies signatures with the standardwebhooks package."""

    url: str = ""
    secret: str = ""
    received: list[Received] = field(default_factory=list)
    # Status codes to answer, in order; the last one is repeated.
    answers: list[int] = field(default_factory=lambda: [200])
    hold: threading.Event | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of_type(self, type_: str) -> list[Received]:
        with self.lock:
            return [item for item in self.received if item.payload.get("type") == type_]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                Webhook(receiver.secret).verify(body, headers)
                verified, error = True, ""
            except Exception as failure:
                verified, error = False, str(failure)
            with receiver.lock:
                receiver.received.append(Received(headers, body, verified, error))
                answer = (
                    receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                )
            if receiver.hold is not None:
                receiver.hold.wait(WAIT_SECONDS)
            self.send_response(answer)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    if receiver.hold is not None:
        receiver.hold.set()
    server.shutdown()
    server.server_close()


@dataclass
class Workers:
    """Starts and kills real ``celery worker --beat`` processes on a queue of this test."""

    queue: str
    env: dict[str, str]
    folder: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> subprocess.Popen[bytes]:
        number = len(self.processes) + 1
        log = self.folder / f"worker{number}.log"
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--beat",
            "--loglevel", "INFO", "--concurrency", "1", "--pool", "prefork",
            "-Q", self.queue, "-n", f"{self.queue}-{number}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--schedule", str(self.folder / f"beat{number}"),
        ]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        wait_for(
            lambda: "ready." in log.read_text(errors="replace") or process.poll() is not None,
            "the worker to be ready",
        )
        if process.poll() is not None:
            pytest.fail(f"The worker exited:\n{log.read_text(errors='replace')[-3000:]}")
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker and its pool at once: no warm shutdown, no ack."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def emails(self) -> list[Any]:
        messages = []
        for path in sorted((self.folder / "mail").glob("*.log")):
            for chunk in path.read_bytes().split(b"-" * 79):
                if chunk.strip():
                    messages.append(message_from_bytes(chunk.strip(), policy=policy.default))
        return messages


@pytest.fixture
def workers(transactional_db: None, settings: Any, tmp_path: Path) -> Iterator[Workers]:
    """A worker factory; each worker runs beat, which runs the sweeper every half second."""
    queue = f"notify-test-{uuid.uuid4().hex[:12]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    settings.NOTIFY_REQUEUE_AFTER_SECONDS = 1.0
    (tmp_path / "mail").mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "NOTIFY_SWEEP_SECONDS": "0.5",
        "NOTIFY_REQUEUE_AFTER_SECONDS": "1",
        "WEBHOOK_TIMEOUT_SECONDS": "2",
        "WEBHOOK_RETRY_SCHEDULE": "0.5,0.5",
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
        "EMAIL_URL": f"filemail:///{tmp_path / 'mail'}",
        "SECRET_KEY": settings.SECRET_KEY,
        "LOG_LEVEL": "INFO",
    }
    env.pop("DATABASE_POOL", None)
    pool = Workers(queue=queue, env=env, folder=tmp_path)
    yield pool
    pool.stop_all()
