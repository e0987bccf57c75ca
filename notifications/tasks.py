"""Celery tasks of notifications: thin, idempotent, named."""

from __future__ import annotations

from celery import shared_task

from notifications.services import deliveries_requeue, delivery_send
from notifications.services.queue import DELIVERY_SEND_TASK


@shared_task(name=DELIVERY_SEND_TASK, acks_late=True, ignore_result=True)
def delivery_send_task(delivery_id: int) -> str:
    """Send one delivery. A duplicate (or a delivery already sent) does nothing."""
    return delivery_send(delivery_id=delivery_id)


@shared_task(name="notifications.deliveries_requeue_task", ignore_result=True)
def deliveries_requeue_task() -> int:
    """Beat: queue deliveries that are due (retries) or look lost (broker down, dead worker)."""
    return deliveries_requeue()
