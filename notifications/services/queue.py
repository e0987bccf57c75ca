"""Queueing deliveries: a send task per delivery after commit, and the sweeper (beat).

The task is queued by its name, so this module (which every event write reaches) needs
neither the worker's code nor the tasks module, which imports the services.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from celery import current_app
from django.conf import settings
from django.db import connection, transaction

from notifications.models import Delivery, DeliveryStatus

logger = logging.getLogger(__name__)

DELIVERY_SEND_TASK = "notifications.delivery_send_task"
SWEEP_BATCH = 500


def deliveries_enqueue(*, delivery_ids: Sequence[int]) -> int:
    """Queue a send task per delivery. A broker that is down is logged, not raised: the
    rows are marked unqueued and the sweeper queues them when it is back."""
    failed: list[int] = []
    for position, delivery_id in enumerate(delivery_ids):
        try:
            # By name: a web process never imports the tasks module, so its app does not
            # know the task (looking it up failed there, and only the sweeper sent).
            current_app.send_task(
                DELIVERY_SEND_TASK,
                args=(delivery_id,),
                queue=settings.CELERY_TASK_DEFAULT_QUEUE,
                retry=False,
            )
        except Exception:
            logger.warning("Could not queue delivery %s; the sweeper will.", delivery_id)
            failed = list(delivery_ids[position:])
            break
    if failed:
        Delivery.objects.filter(pk__in=failed, status=DeliveryStatus.PENDING).update(queued_at=None)
    return len(delivery_ids) - len(failed)


def deliveries_requeue() -> int:
    """Queue every delivery that is due and neither held by a worker nor freshly queued.

    Covers retries whose time has come, tasks the broker never got (it was down), and
    tasks lost with a killed worker (its lease ran out).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
                UPDATE notifications_delivery SET queued_at = now()
                WHERE id IN (
                    SELECT id FROM notifications_delivery
                    WHERE status = 'pending' AND next_attempt_at <= now()
                      AND (locked_until IS NULL OR locked_until < now())
                      AND (queued_at IS NULL OR queued_at < next_attempt_at
                           OR queued_at < now() - make_interval(secs => %s))
                    ORDER BY next_attempt_at
                    LIMIT %s
                    FOR UPDATE SKIP LOCKED
                )
                RETURNING id
                """,
            [settings.NOTIFY_REQUEUE_AFTER_SECONDS, SWEEP_BATCH],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if ids:
        deliveries_enqueue(delivery_ids=ids)
    return len(ids)
