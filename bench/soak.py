"""Soak `make run`: an hour of transitions, webhooks and API traffic on a loaded machine.

    python -m bench.soak [--minutes 60] [--checkout .] [--port 8011] [--load 1] [--json PATH]

Starts `make run` in the checkout (its embedded PostgreSQL and broker), makes an API token for
the demo reviewer, registers a webhook endpoint on a local receiver that verifies every
signature, then for ``--minutes`` runs: writers that create claims and move them between
unverified and in_review (each with If-Match), readers that list, search and read claims,
and ``--load`` busy processes. At the end it waits for the last webhooks and reports what
was sent and received, every server error, and every restart `make run` logged. Exits 1
when a webhook is missing, a request got a 5xx, or a process had to be restarted.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from harness.receiver import Receiver, receiving

BASE_DIR = Path(__file__).resolve().parent.parent
WORDS = ["troops", "border", "grain", "sanctions", "Київ", "войска", "frontière", "Truppen"]


def arrivals(receiver: Receiver) -> dict[str, float]:
    """When each status change (``claim id:version``) first arrived, signature verified."""
    first: dict[str, float] = {}
    for item in receiver.verified():
        data = item.payload["data"]
        key = f"{data['claim']['id']}:{data['version']}"
        first[key] = min(item.at, first.get(key, item.at))
    return first


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        request = urllib.request.Request(  # noqa: S310 (this machine's server, over http)
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                status, answer, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, answer, raw = error.code, dict(error.headers), error.read()
        except OSError as error:
            status, answer, raw = 0, {}, str(error).encode()
        with self.lock:
            self.statuses[status] += 1
            if status == 0 or status >= 500:
                self.errors.append(f"{method} {path}: {status} {raw[:200]!r}")
        try:
            return status, answer, json.loads(raw) if raw else None
        except ValueError:
            return status, answer, None


def writer(
    api: Api, stop: float, sent: dict[str, float], lock: threading.Lock, pace: float
) -> None:
    """Create a claim, then move it back and forth; remember when each change was accepted."""
    status, _, claim = api.call(
        "POST", "/claims/", {"text": f"Soak claim {random.random()}: {random.choice(WORDS)}"}
    )
    if status != 201:
        return
    path = f"/claims/{claim['id']}/"
    target = "in_review"
    while time.monotonic() < stop:
        status, headers, _ = api.call("GET", path)
        etag = headers.get("ETag", "")
        status, _, body = api.call(
            "POST",
            path + "transitions/",
            {"status": target, "reason": "Soak: checking again."},
            {"If-Match": etag},
        )
        if status == 200:
            with lock:
                sent[f"{claim['id']}:{body['version']}"] = time.time()
            target = "unverified" if target == "in_review" else "in_review"
        time.sleep(pace)


def reader(api: Api, stop: float) -> None:
    while time.monotonic() < stop:
        choice = random.random()
        if choice < 0.4:
            api.call("GET", "/claims/?page_size=50&status=in_review")
        elif choice < 0.7:
            api.call("GET", f"/claims/?q={urllib.request.quote(random.choice(WORDS))}")
        else:
            _, _, page = api.call("GET", "/claims/?page_size=10")
            for item in (page or {}).get("results", [])[:3]:
                api.call("GET", f"/claims/{item['id']}/")
        time.sleep(0.05)


def burn(stop: float) -> None:
    os.nice(5)
    while time.monotonic() < stop:
        sum(i * i for i in range(10_000))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--checkout", type=Path, default=BASE_DIR)
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--writers", type=int, default=6)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--load", type=int, default=1, help="busy processes")
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    checkout = options.checkout.resolve()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        PORT=str(options.port),
        DJANGO_SUPERUSER_PASSWORD=secrets.token_urlsafe(),
        API_THROTTLE_USER="100000/minute",  # the soak's clients share one reviewer's token
    )
    log_path = checkout / "var" / "soak-run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        stack = subprocess.Popen(
            ["make", "run"], cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    started = time.monotonic()
    while "run: ready at" not in log_path.read_text(errors="replace"):
        if stack.poll() is not None or time.monotonic() - started > 600:
            print(log_path.read_text(errors="replace")[-3000:])
            return 1
        time.sleep(0.5)
    print(f"soak: make run ready in {time.monotonic() - started:.1f} s", flush=True)
    token = subprocess.run(
        [str(checkout / ".venv/bin/python"), "manage.py", "create_api_token", "demo-reviewer",
         "--name", "soak", "--expires-days", "1"],
        cwd=checkout, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    api = Api(f"http://127.0.0.1:{options.port}/api/v1", token)
    with receiving() as receiver:
        status, _, endpoint = api.call(
            "POST",
            "/webhooks/",
            {"url": receiver.url, "event_types": ["claim.status_changed"], "description": "soak"},
        )
        if status != 201:
            raise SystemExit(f"soak: could not register the endpoint: {status} {endpoint}")
        receiver.secret = endpoint["secret"]
        sent: dict[str, float] = {}
        lock = threading.Lock()
        stop = time.monotonic() + options.minutes * 60
        burners = [multiprocessing.Process(target=burn, args=(stop,)) for _ in range(options.load)]
        for burner in burners:
            burner.start()
        threads = [
            threading.Thread(target=writer, args=(api, stop, sent, lock, 0.5))
            for _ in range(options.writers)
        ] + [threading.Thread(target=reader, args=(api, stop)) for _ in range(options.readers)]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            time.sleep(60)
            print(
                f"soak: {len(sent)} changes accepted, {len(arrivals(receiver))} webhooks received, "
                f"{sum(api.statuses.values())} requests, {len(api.errors)} errors",
                flush=True,
            )
        for burner in burners:
            burner.join()
        deadline = time.monotonic() + 180
        while len(arrivals(receiver)) < len(sent) and time.monotonic() < deadline:
            time.sleep(1)
        run_log = log_path.read_text(errors="replace")
        restarts = re.findall(r"run: .* exited with .*", run_log)
        os.killpg(stack.pid, signal.SIGTERM)
        stack.wait(timeout=60)
        arrived = arrivals(receiver)
        missing = sorted(set(sent) - set(arrived))
        latencies = sorted(arrived[key] - sent[key] for key in sent if key in arrived)
        result = {
            "minutes": options.minutes,
            "changes_accepted": len(sent),
            "changes_per_s": round(len(sent) / (options.minutes * 60), 2),
            "webhooks_received": len(arrived),
            "webhooks_missing": missing[:20],
            "duplicates": receiver.duplicates,
            "bad_signatures": receiver.rejected,
            "latency_p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
            "latency_p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1)
            if latencies
            else None,
            "requests_by_status": dict(sorted(api.statuses.items())),
            "server_errors": api.errors[:20],
            "restarts": restarts,
            "stack_exit_code": stack.returncode,
            "load_average_end": os.getloadavg(),
        }
        print(json.dumps(result, indent=2))
        if options.json:
            options.json.write_text(json.dumps(result, indent=2))
    failed = missing or api.errors or restarts or result["bad_signatures"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
