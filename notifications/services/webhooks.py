"""Webhook endpoints: registering and changing them, rotating secrets, test events, and
replaying a delivery."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from claims.text import web_address, web_address_normalise
from core import outbound
from core.actors import Actor, require_perm
from core.permissions import ADD_WEBHOOK_ENDPOINT, CHANGE_DELIVERY, CHANGE_WEBHOOK_ENDPOINT
from notifications.models import (
    EVENT_TYPES_REQUIRED,
    SUBSCRIBABLE_EVENT_TYPES,
    Delivery,
    DeliveryStatus,
    Event,
    EventType,
    WebhookEndpoint,
)
from notifications.secrets import secret_encrypt, secret_generate
from notifications.selectors import claims_access_missing
from notifications.services.outbox import event_record
from notifications.services.queue import deliveries_enqueue


def _may_manage(actor: Actor, endpoint: WebhookEndpoint) -> User:
    user = require_perm(actor, CHANGE_WEBHOOK_ENDPOINT, "manage webhooks")
    if endpoint.owner_id != user.pk and not user.is_superuser:
        raise PermissionDenied("This webhook endpoint belongs to someone else.")
    return user


@transaction.atomic
def delivery_replay(*, actor: Actor, delivery: Delivery) -> Delivery:
    """Send a delivery again (same event id) from now on, with a fresh retry schedule."""
    locked = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .get(pk=delivery.pk)
    )
    if locked.endpoint is not None:
        _may_manage(actor, locked.endpoint)
    else:
        require_perm(actor, CHANGE_DELIVERY, "replay deliveries")
    if locked.status == DeliveryStatus.PENDING:
        raise ValidationError("This delivery is still pending; it will be sent without a replay.")
    now = timezone.now()
    locked.status = DeliveryStatus.PENDING
    locked.attempt_count = 0
    locked.next_attempt_at = now
    locked.queued_at = now
    locked.locked_until = None
    locked.delivered_at = None
    locked.save()
    transaction.on_commit(lambda: deliveries_enqueue(delivery_ids=[locked.pk]))
    return locked


@transaction.atomic
def webhook_test_send(*, actor: Actor, endpoint: WebhookEndpoint) -> Event:
    """Send a ``webhook.test`` event to one endpoint."""
    user = _may_manage(actor, endpoint)
    return event_record(
        type=EventType.WEBHOOK_TEST,
        claim=None,
        actor=user,
        data={"endpoint_id": str(endpoint.pk), "message": "A test event from the claim tracker."},
        endpoints=[endpoint],
    )


# --- Webhook endpoints --------------------------------------------------------------------


def _endpoint_clean(*, url: str, event_types: Sequence[str]) -> str:
    """The endpoint's URL as stored (encoded as every URL the project stores), once the
    outbound guard allows it; refuses unknown event types."""
    url = web_address_normalise(url)
    try:
        outbound.url_check(url)
        web_address(url)  # as every URL the project stores: what the schema calls a URI
    except outbound.UnsafeURLError as error:
        raise ValidationError({"url": str(error)}) from error
    except ValidationError as error:
        raise ValidationError({"url": error.messages}) from error
    if not event_types:
        raise ValidationError({"event_types": EVENT_TYPES_REQUIRED})
    if unknown := sorted(set(event_types) - set(SUBSCRIBABLE_EVENT_TYPES)):
        raise ValidationError({"event_types": f"{EVENT_TYPES_REQUIRED} Not: {', '.join(unknown)}."})
    return url


@transaction.atomic
def webhook_endpoint_create(
    *,
    actor: Actor,
    url: str,
    event_types: Sequence[str],
    description: str = "",
    active: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (shown this once)."""
    user = require_perm(actor, ADD_WEBHOOK_ENDPOINT, "add webhooks")
    url = _endpoint_clean(url=url, event_types=event_types)
    secret = secret_generate()
    endpoint = WebhookEndpoint(
        owner=user,
        url=url,
        description=description,
        event_types=sorted(set(event_types)),
        active=active,
        secret_encrypted=secret_encrypt(secret),
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(
    *, actor: Actor, endpoint: WebhookEndpoint, data: dict[str, Any]
) -> WebhookEndpoint:
    """Change an endpoint's url, description, event types or active flag.

    Enabling it clears why it was disabled or paused; it is refused while its owner may not
    see claims (the endpoint would only be paused again at the next event).
    """
    _may_manage(actor, endpoint)
    locked = (
        WebhookEndpoint.objects.select_for_update(of=("self",))
        .select_related("owner")
        .get(pk=endpoint.pk)
    )
    unknown = set(data) - {"url", "description", "event_types", "active"}
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in unknown})
    enabling = bool(data.get("active")) and not locked.active
    if enabling and (missing := claims_access_missing(locked.owner)):
        raise ValidationError(
            {
                "active": "This endpoint cannot be enabled while its owner may not see "
                f"claims: {missing}. Give them access again first."
            }
        )
    for name, value in data.items():
        setattr(locked, name, sorted(set(value)) if name == "event_types" else value)
    locked.url = _endpoint_clean(url=locked.url, event_types=locked.event_types)
    if data.get("active"):
        locked.disabled_reason = ""
        locked.failing_since = None
        locked.paused_reason = ""
        locked.paused_at = None
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def webhook_secret_rotate(
    *, actor: Actor, endpoint: WebhookEndpoint
) -> tuple[WebhookEndpoint, str]:
    """A new secret (returned once); the old one keeps signing for the grace period."""
    _may_manage(actor, endpoint)
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = secret_generate()
    locked.previous_secret_encrypted = locked.secret_encrypted
    locked.previous_secret_expires_at = timezone.now() + timedelta(
        hours=settings.WEBHOOK_SECRET_GRACE_HOURS
    )
    locked.secret_encrypted = secret_encrypt(secret)
    locked.save()
    return locked, secret
