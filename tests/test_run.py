"""`make run` (scripts/run.py) supervises what it starts: a killed worker comes back, alone,
and notifications still arrive; Ctrl-C (SIGTERM) stops the whole stack."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import psutil
import pytest

from claims.models import ClaimStatus as S
from harness.receiver import Receiver
from tests import factories as f
from tests.notifications.conftest import BASE_DIR, receiver, wait_for
from tests.notifications.conftest import test_database_url as database_url
from tests.notifications.test_delivery_integration import CHANGED, endpoint_for

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["receiver"]  # the fixture, from the notification tests


class Stack:
    """scripts/run.py in a process group of its own, its output collected line by line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "scripts/run.py"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def pids(self, name: str) -> list[int]:
        found = (re.search(rf"run: {name} started \(pid (\d+)\)", line) for line in self.lines)
        return [int(match.group(1)) for match in found if match]

    def output(self) -> str:
        return "".join(self.lines)[-4000:]

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def beats(self) -> list[int]:
        """Beat processes of this stack, those that outlived their parent included."""

        def command(process: psutil.Process) -> str:
            try:
                return " ".join(process.cmdline())
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                return ""

        return [
            process.pid
            for process in psutil.process_iter()
            if "celery" in command(process)
            and re.search(r" (--)?beat( |$)", command(process))
            and self.schedule in command(process)
        ]

    schedule = ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_killed_worker_is_restarted_alone_and_webhooks_still_arrive(
    settings, tmp_path: Path, receiver: Receiver
):
    queue = f"run-test-{uuid.uuid4().hex[:12]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "VAR_DIR": str(tmp_path),
        "PORT": str(port),
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
        "DJANGO_SUPERUSER_PASSWORD": "a-long-password-for-the-test",
        "SECRET_KEY": settings.SECRET_KEY,
    }
    env.pop("DATABASE_POOL", None)
    stack = Stack(env)
    stack.schedule = str(tmp_path / "celerybeat-schedule")
    try:
        wait_for(lambda: "run: ready at" in stack.output(), f"make run:\n{stack.output()}", 180)
        wait_for(lambda: len(stack.beats()) == 1, "beat")
        [worker] = stack.pids("Celery worker")

        os.kill(worker, signal.SIGKILL)  # its main process only, as a crash would

        wait_for(lambda: len(stack.pids("Celery worker")) == 2, f"a new worker:\n{stack.output()}")
        assert "Celery worker exited with -9; restarting" in stack.output()
        endpoint_for(receiver)
        f.transition(claim=f.claim(), status=S.IN_REVIEW)
        [got] = wait_for(lambda: receiver.of_type(CHANGED), f"the webhook:\n{stack.output()}")
        assert got.verified
        assert len(stack.beats()) == 1
        assert stack.process.poll() is None  # the stack itself never went down
        started = stack.descendants()
    finally:
        stack.process.send_signal(signal.SIGTERM)
        code = stack.process.wait(timeout=60)
    assert code == 0
    assert not [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
