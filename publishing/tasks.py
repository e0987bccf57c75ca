"""Periodic publishing work (the beat's schedule is in the settings)."""

from __future__ import annotations

from celery import shared_task

from publishing.services import publications_announce


@shared_task(name="publishing.publications_announce_task")
def publications_announce_task() -> int:
    """``claim.published`` for the scheduled fact checks whose time came (safe to run twice)."""
    return publications_announce()
