"""Queueing a delivery from a process that never imported the tasks module, as a web server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.notifications.conftest import BASE_DIR
from tests.notifications.conftest import test_database_url as database_url

QUEUE_ONE = """
import django
django.setup()
import sys
from notifications.services.queue import deliveries_enqueue
queued = deliveries_enqueue(delivery_ids=[1])
print("tasks module imported:", "notifications.tasks" in sys.modules)
print("queued:", queued)
"""


@pytest.mark.django_db
def test_a_web_process_queues_the_send_task_by_its_name():
    """The task was looked up in the app's registry, which a web process never fills: every
    delivery waited for the sweeper (NOTIFY_SWEEP_SECONDS) instead of going at once."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": "memory://",
    }
    ran = subprocess.run(
        [sys.executable, "-c", QUEUE_ONE],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "tasks module imported: False" in ran.stdout, ran.stderr[-2000:]
    assert "queued: 1" in ran.stdout, ran.stderr[-2000:]
