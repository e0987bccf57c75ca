"""A real Celery worker (with beat) on the test database and broker, and a real receiver."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from harness import worker
from harness.receiver import Receiver, receiving

BASE_DIR = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 45.0


def wait_for(check: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    """Poll ``check`` until it returns something true; fail with ``what`` after ``timeout``."""
    result = worker.wait_until(check, timeout, interval=0.1)
    if not result:
        pytest.fail(f"Timed out waiting for {what}")
    return result


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


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as running:
        yield running


@dataclass
class Workers:
    """Starts and kills real ``celery worker --beat`` processes on a queue of this test."""

    queue: str
    env: dict[str, str]
    folder: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> subprocess.Popen[bytes]:
        number = len(self.processes) + 1
        try:
            process = worker.start(
                env=self.env,
                queue=self.queue,
                name=f"{self.queue}-{number}",
                log=self.folder / f"worker{number}.log",
                beat_schedule=self.folder / f"beat{number}",
            )
        except RuntimeError as failure:
            pytest.fail(str(failure))
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker and its pool at once: no warm shutdown, no ack."""
        worker.kill(process)

    def stop_all(self) -> None:
        for process in self.processes:
            worker.stop(process)

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
