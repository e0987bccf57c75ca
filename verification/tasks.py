"""Celery tasks of verification: thin, idempotent, named."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from verification import services


@shared_task(name="verification.evidence_orphans_remove_task", ignore_result=True)
def evidence_orphans_remove_task() -> int:
    """Beat: delete evidence files left behind by rolled-back transactions."""
    age = timedelta(hours=settings.EVIDENCE_ORPHAN_HOURS)
    return len(services.evidence_orphans_remove(older_than=age))
