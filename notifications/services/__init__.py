"""Notifications' write services, one module per concern; callers import them from here.

- outbox: events and their deliveries, written in the caller's transaction;
- queue: a send task per delivery after commit, and the sweeper that queues what is due;
- delivery: the worker's side: lease a delivery, send it, record the attempt, retry;
- webhooks: endpoint management, secret rotation, test events, replays;
- subscriptions: watching and muting.

Reads (who watches a claim, who may see claims) are in notifications/selectors.py.
"""

from notifications.services.delivery import delivery_send
from notifications.services.outbox import (
    claim_assigned_record,
    claim_created_record,
    claim_merged_record,
    claim_published_record,
    claim_unpublished_record,
    event_record,
    evidence_added_record,
    status_change_record,
    verdict_proposed_record,
    verdict_rejected_record,
)
from notifications.services.queue import deliveries_enqueue, deliveries_requeue
from notifications.services.subscriptions import (
    claim_unwatch,
    claim_watch,
    subscription_create,
    subscription_delete,
)
from notifications.services.webhooks import (
    delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_update,
    webhook_secret_rotate,
    webhook_test_send,
)

__all__ = [
    "claim_assigned_record",
    "claim_created_record",
    "claim_merged_record",
    "claim_published_record",
    "claim_unpublished_record",
    "claim_unwatch",
    "claim_watch",
    "deliveries_enqueue",
    "deliveries_requeue",
    "delivery_replay",
    "delivery_send",
    "event_record",
    "evidence_added_record",
    "status_change_record",
    "subscription_create",
    "subscription_delete",
    "verdict_proposed_record",
    "verdict_rejected_record",
    "webhook_endpoint_create",
    "webhook_endpoint_update",
    "webhook_secret_rotate",
    "webhook_test_send",
]
