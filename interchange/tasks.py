"""Celery tasks of interchange: thin, idempotent, named."""

from __future__ import annotations

from celery import shared_task

from interchange.models import Import
from interchange.services import IMPORT_RUN_TASK, import_run, imports_requeue


@shared_task(name=IMPORT_RUN_TASK, acks_late=True, ignore_result=True)
def import_run_task(import_id: str) -> str:
    """Run one import; one already run (or running) is left alone."""
    run = Import.objects.filter(pk=import_id).first()
    if run is None:
        return "missing"
    return import_run(run=run).status


@shared_task(name="interchange.imports_requeue_task", ignore_result=True)
def imports_requeue_task() -> int:
    """Beat: imports the broker never delivered are queued again."""
    return imports_requeue()
