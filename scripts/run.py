"""`make run`: the whole product on one machine, with nothing installed but Python.

Starts the embedded PostgreSQL unless DATABASE_URL is set, migrates, loads the demo data,
makes sure an admin exists, then serves on 127.0.0.1:$PORT with a Celery worker (and beat) on
the embedded broker unless CELERY_BROKER_URL is set. Ctrl-C or SIGTERM stops everything it
started, the database included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
PYTHON = sys.executable
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stop(Exception):
    pass


def on_signal(signum: int, frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, check=True)


def start(name: str, *command: str) -> subprocess.Popen[bytes]:
    print(f"run: starting {name}", flush=True)
    # A session of its own: a Ctrl-C in the terminal reaches only this script, which then
    # stops the children in order.
    return subprocess.Popen(command, cwd=BASE_DIR, start_new_session=True)


def stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for name, process in processes.items():
        if process.poll() is None:
            print(f"run: stopping {name}", flush=True)
            process.terminate()  # the worker's main process shuts its pool down warmly
    deadline = time.monotonic() + 20
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> int:
    for signum in STOP_SIGNALS:
        signal.signal(signum, on_signal)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    port = os.environ.get("PORT", "8000")
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        if not os.environ.get("DATABASE_URL"):
            from config import embedded

            print("run: starting the embedded PostgreSQL (data in var/postgres)", flush=True)
            # This process holds the server; it stops when this process exits.
            os.environ["DATABASE_URL"] = embedded.postgres_url()
        if not os.environ.get("CELERY_BROKER_URL"):
            print("run: using the embedded broker (var/broker)", flush=True)
        manage("migrate", "--noinput")
        manage("loaddemo")
        manage("ensure_admin")
        processes["web"] = start(
            "web server", PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"
        )
        processes["worker"] = start(
            "Celery worker and beat",
            PYTHON, "-m", "celery", "-A", "config", "worker", "--beat",
            "--loglevel", "INFO", "--concurrency", "2",
            "--schedule", str(BASE_DIR / "var" / "celerybeat-schedule"),
        )  # fmt: skip
        print(f"run: ready at http://127.0.0.1:{port}/admin/ (Ctrl-C stops everything)", flush=True)
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"run: {name} exited with {process.returncode}", flush=True)
                    return 1
            time.sleep(0.5)
    except Stop as stopped:
        print(f"run: {stopped}, shutting down", flush=True)
        return 0
    except subprocess.CalledProcessError as error:
        print(f"run: {' '.join(map(str, error.cmd))} failed ({error.returncode})", flush=True)
        return 1
    finally:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        stop(processes)
        # The embedded PostgreSQL is stopped by its handle's exit hook, after this.


if __name__ == "__main__":
    sys.exit(main())
