"""The webhook scenario of the benchmark: commit-to-receipt latency with a real worker.

    python -m bench.webhooks [--changes 200] [--rate 20] [--endpoints 1000] [--concurrency N]
                             [--json PATH]

A database of its own (``claimtracker_bench_webhooks`` on DATABASE_URL's server, else the
embedded PostgreSQL), dropped and migrated on each run; a real ``celery -A config worker``
(prefork) on CELERY_BROKER_URL (the embedded PostgreSQL queue when unset) and a queue of
its own; a local receiver (ThreadingHTTPServer) that verifies every request with the
``standardwebhooks`` package and records when each webhook-id arrived.

1. One endpoint; ``--changes`` status changes through ``claim_transition`` (in_review and
   unverified in turn on a set of claims, one transaction each) at ``--rate`` a second, on a
   fixed schedule (0: back to back, which measures the queue once changes outrun the
   worker rather than the delivery). The commit time of each is taken in the first
   ``on_commit`` callback of its transaction (before the deliveries are queued), keyed by
   its event's id: latency = receipt - commit.
2. ``--endpoints`` endpoints (the first one disabled); one status change; the time from its
   commit until every endpoint received it.

Every wait is bounded; the worker and the receiver are stopped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import worker as worker_process
from harness.receiver import receiving

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DATABASE_NAME = "claimtracker_bench_webhooks"
SECRET_KEY = "bench-webhooks-only-" + "x" * 40
CLAIMS = 20
WAIT_SECONDS = 120.0


def log(message: str) -> None:
    print(f"bench.webhooks: {message}", flush=True)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = math.ceil(fraction * len(ordered))
    return ordered[max(0, min(len(ordered), rank) - 1)]


def wait_until(check: Callable[[], bool], what: str, timeout: float) -> bool:
    if worker_process.wait_until(check, timeout, interval=0.005):
        return True
    log(f"gave up waiting for {what} after {timeout:g}s")
    return False


# --- The database and the worker ------------------------------------------------------------


def prepare_database() -> str:
    """Drop and create the bench database; its URL."""
    import psycopg

    from bench.harness import server_url, with_database

    url = server_url()
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return with_database(url, DATABASE_NAME)


def process_env(bench_url: str, broker: str, queue: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=bench_url,
        CELERY_BROKER_URL=broker,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        SECRET_KEY=SECRET_KEY,
        DEBUG="false",
        LOG_LEVEL="WARNING",
        WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true",
        EMAIL_URL="dummymail://",
    )
    env.pop("DATABASE_POOL", None)
    return env


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (the worker and its pool)."""
    import psutil

    try:
        root = psutil.Process(pid)
        total = 0.0
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
        return total
    except psutil.Error:
        return 0.0


@dataclass
class Worker:
    pid: int
    log: Path

    def cpu(self) -> float:
        return tree_cpu_seconds(self.pid)


@contextlib.contextmanager
def worker_running(env: dict[str, str], queue: str, concurrency: int) -> Iterator[Worker]:
    log_path = Path(tempfile.mkdtemp(prefix="bench-webhooks-")) / "worker.log"
    process = worker_process.start(
        env=env, queue=queue, name=queue, log=log_path, concurrency=concurrency
    )
    try:
        yield Worker(pid=process.pid, log=log_path)
    finally:
        worker_process.stop(process)


# --- The scenario ---------------------------------------------------------------------------


def transition_committed(claim: Any, actor: Any, to_status: str) -> tuple[str, float]:
    """One status change in its own transaction: (its event's id, the commit time)."""
    from django.db import transaction

    from notifications.models import Event, EventType
    from verification.models import Channel
    from verification.services import claim_transition

    committed: list[float] = []
    with transaction.atomic():
        # Registered first, so it runs first: before the deliveries are queued.
        transaction.on_commit(lambda: committed.append(time.time()))
        change = claim_transition(
            actor=actor, claim=claim, status=to_status, reason="Benchmark.",
            channel=Channel.COMMAND,
        )  # fmt: skip
    event_id = Event.objects.filter(
        type=EventType.CLAIM_STATUS_CHANGED, payload__data__status_change_id=change.pk
    ).values_list("id", flat=True)[0]
    return str(event_id), committed[0]


def setup_data(count: int) -> tuple[Any, list[Any]]:
    from django.contrib.auth.models import Group, User

    from claims.services import claim_create
    from core import roles

    user = User.objects.create(username="bench-webhooks", is_superuser=True, is_staff=True)
    user.groups.add(Group.objects.get(name=roles.REVIEWER))
    claims = [
        claim_create(actor=user, text=f"Benchmark claim {n} about webhooks.") for n in range(count)
    ]
    return user, claims


def run(options: argparse.Namespace) -> dict[str, Any]:
    queue = f"bench-webhooks-{uuid.uuid4().hex[:8]}"
    bench_url = prepare_database()
    broker = os.environ.get("CELERY_BROKER_URL", "") or f"pgqueue+{bench_url}"
    env = process_env(bench_url, broker, queue)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from claims.models import ClaimStatus
    from notifications import services
    from notifications.models import EventType

    changed = EventType.CLAIM_STATUS_CHANGED
    call_command("migrate", verbosity=0)
    user, claims = setup_data(CLAIMS)
    server = connection.settings_dict
    log(
        f"database {server['NAME']} on {server['HOST'] or 'a local socket'}:{server['PORT']}; "
        f"broker {broker.split('://')[0]}; worker: prefork, concurrency {options.concurrency}"
    )
    result: dict[str, Any] = {
        "available": True,
        "broker": broker.split("://")[0] + "://",
        "database_host": f"{server['HOST']}:{server['PORT']}",
        "concurrency": options.concurrency,
    }
    with receiving() as receiver, worker_running(env, queue, options.concurrency) as worker:
        # 1. Latency: one endpoint, status changes one after the other.
        first, secret = services.webhook_endpoint_create(
            actor=user, url=receiver.url, event_types=[changed]
        )
        receiver.secret = secret
        # Warm up the worker's processes (imports, connections) outside the figures.
        for n in range(options.concurrency * 2):
            claim = claims[n % len(claims)]
            target = ClaimStatus.IN_REVIEW if claim.status != "in_review" else "unverified"
            event_id, _ = transition_committed(claim, user, target)
            claim.status = target
            wait_until(lambda e=event_id: receiver.count(e) >= 1, "the warm-up webhook", 30)
        commits: dict[str, float] = {}
        log(f"{options.changes} status changes to one endpoint")
        cpu = worker.cpu(), time.process_time()
        started = time.time()
        interval = 1 / options.rate if options.rate else 0.0
        for n in range(options.changes):
            delay = started + n * interval - time.time()
            if delay > 0:
                time.sleep(delay)
            claim = claims[n % len(claims)]
            target = ClaimStatus.UNVERIFIED if claim.status == "in_review" else "in_review"
            event_id, at = transition_committed(claim, user, target)
            claim.status = target
            commits[event_id] = at
        produced = time.time() - started
        wait_until(lambda: all(receiver.count(e) for e in commits), "every webhook", WAIT_SECONDS)
        worker_cpu, own_cpu = worker.cpu() - cpu[0], time.process_time() - cpu[1]
        got = {e: min(receiver.arrivals(e).values()) for e in commits if receiver.count(e)}
        latencies = [(got[e] - commits[e]) * 1000 for e in commits if e in got]
        span = max(got.values()) - min(commits.values()) if got else 0.0
        result.update(
            changes=len(commits),
            received=len(latencies),
            p50_ms=round(statistics.median(latencies), 1) if latencies else None,
            p95_ms=round(percentile(latencies, 0.95), 1) if latencies else None,
            p99_ms=round(percentile(latencies, 0.99), 1) if latencies else None,
            max_ms=round(max(latencies), 1) if latencies else None,
            rate_per_s=options.rate,
            changes_per_s=round(len(commits) / produced, 1),
            latency_run_deliveries_per_s=round(len(latencies) / span, 1) if span else None,
            worker_cpu_ms_per_delivery=round(worker_cpu * 1000 / max(1, len(latencies)), 1),
            bench_cpu_ms_per_change=round(own_cpu * 1000 / max(1, len(commits)), 1),
        )
        log(
            f"commit to receipt over {len(latencies)}/{len(commits)} changes: "
            f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms "
            f"({result['changes_per_s']} changes/s)"
        )

        # 2. Fan-out: one status change to --endpoints endpoints.
        if options.endpoints:
            services.webhook_endpoint_update(actor=user, endpoint=first, data={"active": False})
            log(f"creating {options.endpoints} endpoints")
            for n in range(1, options.endpoints + 1):
                path = f"/hooks/{n}"
                _, secret = services.webhook_endpoint_create(
                    actor=user, url=receiver.origin + path, event_types=[changed]
                )
                receiver.secrets[path] = secret
            claim = claims[0]
            target = ClaimStatus.UNVERIFIED if claim.status == "in_review" else "in_review"
            cpu = worker.cpu(), time.process_time()
            event_id, at = transition_committed(claim, user, target)
            complete = wait_until(
                lambda: receiver.count(event_id) >= options.endpoints,
                f"{options.endpoints} deliveries",
                WAIT_SECONDS,
            )
            worker_cpu, own_cpu = worker.cpu() - cpu[0], time.process_time() - cpu[1]
            times = list(receiver.arrivals(event_id).values())
            last = max(times) if times else at
            seconds = last - at
            result.update(
                endpoints=options.endpoints,
                endpoints_received=len(times),
                endpoints_complete=complete,
                endpoints_1000_seconds=round(seconds, 2) if options.endpoints == 1000 else None,
                endpoints_seconds=round(seconds, 2),
                endpoints_first_ms=round((min(times) - at) * 1000, 1) if times else None,
                per_s=round(len(times) / seconds, 1) if seconds > 0 else None,
                endpoints_worker_cpu_ms_per_delivery=round(
                    worker_cpu * 1000 / max(1, len(times)), 1
                ),
                endpoints_receiver_cpu_ms_per_delivery=round(
                    own_cpu * 1000 / max(1, len(times)), 1
                ),
            )
            log(
                f"{len(times)}/{options.endpoints} endpoints received one change in "
                f"{seconds:.2f}s ({result['per_s']} deliveries/s)"
            )
        else:
            result["per_s"] = result["latency_run_deliveries_per_s"]
        result.update(rejected=receiver.rejected, duplicates=receiver.duplicates)
    result["note"] = (
        f"commit to webhook received over {result['received']}/{result['changes']} status "
        f"changes at {result['changes_per_s']}/s ({result['broker']} broker, prefork worker "
        f"x{options.concurrency}): "
        f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms. "
        + (
            f"One change to {options.endpoints} endpoints: all received in "
            f"{result['endpoints_seconds']} s ({result['per_s']} deliveries/s, the req/s column)."
            if options.endpoints
            else ""
        )
    )
    from django.db import connections

    connections.close_all()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=int(os.environ.get("CHANGES", 200)))
    parser.add_argument("--endpoints", type=int, default=int(os.environ.get("ENDPOINTS", 1000)))
    parser.add_argument(
        "--concurrency",
        type=int,
        default=int(os.environ.get("CONCURRENCY", (os.cpu_count() or 1) * 2)),
        help="worker processes (default: twice the cores)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=float(os.environ.get("RATE", 20)),
        help="status changes a second in the latency run (0: back to back)",
    )
    parser.add_argument("--json", help="also write the result to this file")
    options = parser.parse_args()
    result = run(options)
    text = json.dumps(result, indent=2)
    print(text)
    if options.json:
        Path(options.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
