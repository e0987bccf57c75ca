"""Two transactions at the same moment, in real threads: the second meets the first's lock."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def wait_until_blocked_on_lock(attempts: int = 500) -> None:
    """Poll PostgreSQL until some other session waits on a lock."""
    event = threading.Event()
    for _ in range(attempts):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
        event.wait(0.01)
    raise AssertionError("the second transaction never waited for the first one's lock")


def race(
    first: Callable[[], None],
    second: Callable[[], None],
    *,
    first_holds: threading.Event,
    release_first: threading.Event,
) -> None:
    """Run ``first`` until it holds its lock (it sets ``first_holds``, then waits for
    ``release_first``), then ``second`` until it waits on that lock; then let both finish."""
    one = threading.Thread(target=first)
    one.start()
    assert first_holds.wait(timeout=30)
    two = threading.Thread(target=second)
    two.start()
    wait_until_blocked_on_lock()
    release_first.set()
    one.join(timeout=30)
    two.join(timeout=30)
