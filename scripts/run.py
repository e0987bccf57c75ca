"""`make run`: the whole product on one machine, with nothing installed but Python.

Starts the embedded PostgreSQL unless DATABASE_URL is set, migrates, loads the demo data,
makes sure an admin exists, then serves on 127.0.0.1:$PORT with a Celery worker and beat on
the embedded broker unless CELERY_BROKER_URL is set, and the search indexer. It supervises
what it starts: a process that exits is logged, its whole process group is killed (a
worker's pool children, say), and it is started again after a backoff. Only Ctrl-C or SIGTERM
stops everything, the database included.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
PYTHON = sys.executable
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Seconds before restarting a process that exited: doubling up to the last, and back to the
# first once it has run for STABLE_SECONDS.
BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
STABLE_SECONDS = 60.0


class Stop(Exception):
    pass


def on_signal(signum: int, frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


def log(message: str) -> None:
    print(f"run: {message}", flush=True)


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, check=True)


@dataclass
class Child:
    """One supervised command, run in a process group (a session) of its own."""

    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None

    def start(self) -> None:
        # A session of its own: a Ctrl-C in the terminal reaches only this script, and the
        # whole group (a worker and its pool) can be killed at once.
        self.process = subprocess.Popen(self.command, cwd=BASE_DIR, start_new_session=True)
        self.started_at = time.monotonic()
        self.restart_at = None
        log(f"{self.name} started (pid {self.process.pid})")

    def check(self) -> None:
        """Restart the process if it exited, after killing what is left of its group."""
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.start()
            return
        if self.process is None or self.process.poll() is None:
            return
        code = self.process.returncode
        kill_group(self.process.pid, signal.SIGKILL)
        if now - self.started_at >= STABLE_SECONDS:
            self.failures = 0
        delay = BACKOFF[min(self.failures, len(BACKOFF) - 1)]
        self.failures += 1
        self.restart_at = now + delay
        log(f"{self.name} exited with {code}; restarting in {delay:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            log(f"stopping {self.name}")
            # To the main process: a worker shuts its pool down warmly. What is left of the
            # group when it has exited, or after the deadline, is killed.
            self.process.terminate()

    def wait(self, deadline: float) -> None:
        if self.process is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        kill_group(self.process.pid, signal.SIGKILL)
        self.process.wait()


def kill_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
        os.killpg(pgid, signum)


def children(port: str) -> list[Child]:
    var = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
    celery = [PYTHON, "-m", "celery", "-A", "config"]
    return [
        Child("web server", [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]),
        Child("Celery worker", [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"]),
        # Beat apart from the worker: a worker restarted never starts a second beat.
        Child(
            "Celery beat",
            [*celery, "beat", "--loglevel", "INFO", "--schedule", str(var / "celerybeat-schedule")],
        ),
        # Keeps this host's search index (SEARCH_INDEX_DIR) in step with the database.
        Child("search indexer", [PYTHON, "manage.py", "search_index"]),
        # And the similar-claim index (SIMILAR_INDEX_DIR): the claims' embeddings.
        Child("similar-claim indexer", [PYTHON, "manage.py", "search_index", "--index", "similar"]),
    ]


def main() -> int:
    for signum in STOP_SIGNALS:
        signal.signal(signum, on_signal)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    port = os.environ.get("PORT", "8000")
    supervised: list[Child] = []
    try:
        if not os.environ.get("DATABASE_URL"):
            from config import embedded

            log("starting the embedded PostgreSQL (data in var/postgres)")
            # This process holds the server; it stops when this process exits. migrate runs
            # as the owner of the tables, everything else as a role that owns nothing.
            urls = embedded.postgres_urls()
            os.environ["DATABASE_URL"] = urls.runtime
            os.environ["DATABASE_OWNER_URL"] = urls.owner
            if not os.environ.get("CELERY_BROKER_URL"):
                log("using the embedded broker (a queue in the embedded PostgreSQL)")
                os.environ["CELERY_BROKER_URL"] = embedded.broker_url()
        manage("migrate", "--noinput")
        manage("loaddemo")
        manage("import_claimreviews", "examples/fact-checks.json")  # other publishers' reviews
        manage("ensure_admin")
        supervised = children(port)
        for child in supervised:
            child.start()
        log(f"ready at http://127.0.0.1:{port}/admin/ (Ctrl-C stops everything)")
        while True:
            for child in supervised:
                child.check()
            time.sleep(0.5)
    except Stop as stopped:
        log(f"{stopped}, shutting down")
        return 0
    except subprocess.CalledProcessError as error:
        log(f"{' '.join(map(str, error.cmd))} failed ({error.returncode})")
        return 1
    finally:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        for child in supervised:
            child.stop()
        deadline = time.monotonic() + 20
        for child in supervised:
            child.wait(deadline)
        # The embedded PostgreSQL is stopped by its handle's exit hook, after this.


if __name__ == "__main__":
    sys.exit(main())
