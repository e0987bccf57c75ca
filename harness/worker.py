"""Real ``celery -A config worker`` processes, each in a process group of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
READY_SECONDS = 60.0


def wait_until(check: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """Poll ``check`` until it returns something true (returned) or ``timeout`` passes (None)."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)
    return result


def start(
    *,
    env: dict[str, str],
    queue: str,
    name: str,
    log: Path,
    concurrency: int = 1,
    beat_schedule: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start a prefork worker on ``queue`` (with beat when given a schedule file), logging to
    ``log``; return it once it says it is ready. RuntimeError with the log's end otherwise."""
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--loglevel", "INFO", "--pool", "prefork", "--concurrency", str(concurrency),
        "-Q", queue, "-n", f"{name}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    if beat_schedule is not None:
        command += ["--beat", "--schedule", str(beat_schedule)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    ready = wait_until(
        lambda: "ready." in log.read_text(errors="replace") or process.poll() is not None,
        READY_SECONDS,
    )
    if not ready or process.poll() is not None:
        stop(process)
        raise RuntimeError(f"The worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
    return process


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool at once: no warm shutdown, no acknowledgement."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGTERM the worker's group (a warm shutdown); SIGKILL it after ``timeout``."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(process)
