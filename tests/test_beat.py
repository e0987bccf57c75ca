"""The beat schedule (settings) names its tasks by the names the task modules give them."""

from __future__ import annotations

from django.conf import settings

from config.celery import app


def test_every_scheduled_task_is_a_registered_task() -> None:
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled == {
        "notifications.deliveries_requeue_task",
        "search.log_prune_task",
        "publishing.publications_announce_task",
        "verification.evidence_orphans_remove_task",
        "interchange.imports_requeue_task",
        "verification.captures_requeue_task",
    }
    assert scheduled <= set(app.tasks)
