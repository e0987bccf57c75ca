"""Queueing Celery tasks by name, from any process.

By name: a web process never imports the tasks modules (which import the services), so its
app does not know the tasks. A broker that is down is logged, not raised: each caller has a
sweeper (beat) that queues again whatever is due, so a message lost is a delay, never a loss.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def task_send(name: str, *args: Any, countdown: float | None = None) -> bool:
    """Queue the task ``name`` now; False (logged) if the broker did not take it."""
    try:
        current_app.send_task(
            name,
            args=args,
            countdown=countdown,
            queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            retry=False,
        )
    except Exception:
        logger.warning("Could not queue %s%r; its sweeper will.", name, args)
        return False
    return True


def task_send_after_commit(name: str, *args: Any) -> None:
    """Queue the task ``name`` once the current transaction commits (never if it rolls back)."""
    transaction.on_commit(lambda: task_send(name, *args))
