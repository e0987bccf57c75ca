"""Writer and reader processes for the broker tests: ``python -m tests.broker.clients``.

write URL QUEUE PREFIX COUNT          publish COUNT messages {"id": "PREFIX-i"}
read URL QUEUE OUT IDLE DEADLINE      take and acknowledge messages, one id a line in OUT,
                                      until none came for IDLE seconds (or DEADLINE)
hold URL QUEUE                        take one message, print its id, never acknowledge
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kombu import Connection

import config.broker  # noqa: F401  (the pgqueue transport)


def write(url: str, queue: str, prefix: str, count: int) -> None:
    with Connection(url) as connection:
        simple = connection.SimpleQueue(queue)
        for number in range(count):
            simple.put({"id": f"{prefix}-{number}"})
        simple.close()


def read(url: str, queue: str, out: Path, idle: float, deadline: float) -> None:
    stop = time.monotonic() + deadline
    last = time.monotonic()
    with Connection(url) as connection, out.open("a") as lines:
        simple = connection.SimpleQueue(queue)
        while time.monotonic() < stop and time.monotonic() - last < idle:
            try:
                message = simple.get(timeout=0.2)
            except simple.Empty:
                continue
            lines.write(message.payload["id"] + "\n")
            lines.flush()
            message.ack()
            last = time.monotonic()
        simple.close()


def hold(url: str, queue: str) -> None:
    with Connection(url) as connection:
        message = connection.SimpleQueue(queue).get(timeout=30)
        sys.stdout.write(message.payload["id"] + "\n")
        sys.stdout.flush()
        time.sleep(3600)


if __name__ == "__main__":
    command, url, queue, *rest = sys.argv[1:]
    if command == "write":
        write(url, queue, rest[0], int(rest[1]))
    elif command == "read":
        read(url, queue, Path(rest[0]), float(rest[1]), float(rest[2]))
    else:
        hold(url, queue)
