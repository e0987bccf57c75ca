"""Broker throughput: messages a second in and out of a queue that holds 10,000 messages.

    python -m bench.broker [--messages 10000] [--readers 2] URL [URL ...]

For each broker URL (``pgqueue+postgresql://…``, ``redis://…``, ``filesystem://`` with
folders in a temporary directory): publish ``--messages`` messages of a Celery task's size
to a queue of its own (the publish rate), then ``--readers`` processes take and acknowledge
them all at once (the consume rate, starting with the whole backlog queued). Every message
is checked to arrive exactly once. Prints one line a broker and, with ``--json``, writes them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import queue as queue_module
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from kombu import Connection

import config.broker  # noqa: F401  (the pgqueue transport)

BODY = "x" * 600  # about a delivery task's message


def connection(url: str, folder: str) -> Connection:
    if url.startswith("filesystem://"):
        options = {
            "data_folder_in": folder,
            "data_folder_out": folder,
            "processed_folder": folder + "-processed",
            "control_folder": folder + "-control",
            "polling_interval": 0.1,
        }
        for path in options.values():
            if isinstance(path, str):
                Path(path).mkdir(parents=True, exist_ok=True)
        return Connection(url, transport_options=options)
    return Connection(url)


def read(url: str, folder: str, queue: str, found: Any, errors: Any) -> None:
    with connection(url, folder) as conn:
        simple = conn.SimpleQueue(queue)
        idle_since = time.monotonic()
        while time.monotonic() - idle_since < 2:
            try:
                message = simple.get(timeout=0.2)
            except simple.Empty:
                continue
            except Exception as error:  # the filesystem transport's half-written files
                errors.put(f"{type(error).__name__}: {error}")
                continue
            found.put(message.payload["n"])
            message.ack()
            idle_since = time.monotonic()


def measure(url: str, messages: int, readers: int) -> dict[str, Any]:
    folder = tempfile.mkdtemp(prefix="bench-broker-")
    queue = f"bench-broker-{uuid.uuid4().hex[:8]}"
    with connection(url, folder) as conn:
        simple = conn.SimpleQueue(queue)
        started = time.perf_counter()
        for number in range(messages):
            simple.put({"n": number, "body": BODY})
        published = time.perf_counter() - started
        queued = simple.qsize()
        simple.close()
    context = multiprocessing.get_context("spawn")
    found, errors = context.Queue(), context.Queue()
    processes = [
        context.Process(target=read, args=(url, folder, queue, found, errors))
        for _ in range(readers)
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    received: list[int] = []
    while len(received) < messages and any(p.is_alive() for p in processes):
        with contextlib.suppress(queue_module.Empty):
            received.append(found.get(timeout=0.5))
    consumed = time.perf_counter() - started
    for process in processes:
        process.join(timeout=30)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    return {
        "broker": url.split("://")[0] + "://",
        "messages": messages,
        "queued_before_reading": queued,
        "publish_per_s": round(messages / published, 1),
        "consume_per_s": round(len(received) / consumed, 1),
        "received": len(received),
        "distinct": len(set(received)),
        "read_errors": len(failures),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    results = []
    for url in options.urls:
        result = measure(url, options.messages, options.readers)
        print(json.dumps(result), flush=True)
        results.append(result)
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
