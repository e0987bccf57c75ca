from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from search.indexer import log_prune


@shared_task(name="search.log_prune_task", ignore_result=True)
def log_prune_task() -> int:
    """Beat: delete the search changes every index has applied, or older than the retention."""
    return log_prune(retention=timedelta(days=settings.SEARCH_CHANGE_RETENTION_DAYS)).changes
