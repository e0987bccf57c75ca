"""Celery tasks of verification: thin, idempotent, named."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from core.queueing import task_send
from verification import capture, services


@shared_task(name="verification.evidence_orphans_remove_task", ignore_result=True)
def evidence_orphans_remove_task() -> int:
    """Beat: delete evidence files left behind by rolled-back transactions."""
    age = timedelta(hours=settings.EVIDENCE_ORPHAN_HOURS)
    return len(services.evidence_orphans_remove(older_than=age))


@shared_task(name=capture.CAPTURE_TASK, ignore_result=True)
def evidence_capture_task(capture_id: str) -> None:
    """One attempt at capturing a URL evidence item; the next queued if it is to be retried."""
    delay = capture.capture_run(capture_id=capture_id)
    if delay is not None:
        task_send(capture.CAPTURE_TASK, capture_id, countdown=delay)


@shared_task(name="verification.captures_requeue_task", ignore_result=True)
def captures_requeue_task() -> int:
    """Beat: queue the captures that are due (retries, lost messages, dead workers)."""
    return capture.captures_requeue()
