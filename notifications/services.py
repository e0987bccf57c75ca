"""Notifications: the outbox of events and deliveries, subscriptions and webhook endpoints.

The write services that change a claim call ``event_record`` inside their transaction: the
event and one delivery row per recipient commit (or roll back) with the change itself. After
commit a task is queued per delivery; ``deliveries_requeue`` (beat) queues again whatever is
due or looks lost, so a broker outage or a killed worker delays a notification, never loses
it. ``delivery_send`` claims its row atomically, so a duplicate task does nothing.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, Source, Tag
from claims.services import Actor, require_perm
from claims.text import web_address
from notifications import outbound
from notifications.mail import header_line
from notifications.models import (
    SUBSCRIBABLE_EVENT_TYPES,
    Delivery,
    DeliveryAttempt,
    DeliveryChannel,
    DeliveryStatus,
    Event,
    EventType,
    Subscription,
    SubscriptionTarget,
    WebhookEndpoint,
)
from notifications.secrets import secret_decrypt, secret_encrypt, secret_generate, signature

logger = logging.getLogger(__name__)

VIEW_CLAIM = "claims.view_claim"
# Event types that are also emailed to subscribers (the others go to webhooks only).
EMAILED_TYPES = frozenset({EventType.CLAIM_STATUS_CHANGED})
# An attempt longer than this (plus the timeout) is presumed dead with its worker.
LEASE_MARGIN_SECONDS = 5.0
SWEEP_BATCH = 500


def claims_access_missing(user: User) -> str:
    """Why ``user`` may not see claims now, or "" if they may.

    The rule of the API's and the services' checks (require_perm): an active user with
    ``claims.view_claim`` through a role (group) or their own permissions, or a superuser.
    Emails and webhooks about claims go only to users it allows, checked when they are sent.
    """
    if not user.is_active:
        return f"the account of {user.get_username()} is deactivated"
    try:
        require_perm(user, VIEW_CLAIM, "see claims")
    except PermissionDenied:
        return f"{user.get_username()} may no longer see claims (no role with {VIEW_CLAIM})"
    return ""


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def claim_summary(claim: Claim) -> dict[str, Any]:
    return {
        "id": str(claim.pk),
        "text": claim.text,
        "status": claim.status,
        "url": _site_url(reverse("admin:claims_claim_change", args=[claim.pk])),
        "api_url": _site_url(f"/api/v1/claims/{claim.pk}/"),
    }


def _actor_data(user: User | None) -> dict[str, Any] | None:
    return {"id": user.pk, "username": user.username} if user else None


def evidence_data(item: Any) -> dict[str, Any]:
    return {
        "id": str(item.pk),
        "kind": item.kind,
        "stance": item.stance,
        "description": item.description,
        "url": item.url,
        "sha256": item.sha256 or None,
    }


# --- Recording events (inside the caller's transaction) ---------------------------------


# Users who watch a claim (every claim, the claim, one of its tags, its claimant; or
# automatically as its creator or assignee) and have not muted it, are active, have an email
# address and may see claims (superusers; view_claim of their own or of a group: the rule of
# claims_access_missing). Hand-written: built with the ORM, composing this query cost five times
# as long as PostgreSQL took to run it (bench/). A parity test holds it to the rule spelt out
# user by user (tests/notifications/test_access.py).
_SUBSCRIBERS_SQL = """
WITH view_claim AS (
  SELECT p.id FROM auth_permission p
  JOIN django_content_type ct ON ct.id = p.content_type_id
  WHERE ct.app_label = 'claims' AND p.codename = 'view_claim'
)
SELECT u.* FROM auth_user u
WHERE u.is_active AND u.email <> ''
  AND (
    u.id = ANY(%(auto)s)
    OR u.id IN (
      SELECT s.user_id FROM notifications_subscription s
      WHERE s.target = %(all)s
         OR (s.target = %(one_claim)s AND s.claim_id = %(claim)s AND NOT s.muted)
         OR (s.target = %(source)s AND s.source_id = %(claimant)s)
         OR (s.target = %(tag)s AND s.tag_id IN (
               SELECT ct.tag_id FROM claims_claimtag ct WHERE ct.claim_id = %(claim)s))
    )
  )
  AND NOT EXISTS (
    SELECT 1 FROM notifications_subscription m
    WHERE m.user_id = u.id AND m.target = %(one_claim)s AND m.claim_id = %(claim)s AND m.muted)
  AND (
    u.is_superuser
    OR EXISTS (
      SELECT 1 FROM auth_user_user_permissions up
      WHERE up.user_id = u.id AND up.permission_id IN (SELECT id FROM view_claim))
    OR EXISTS (
      SELECT 1 FROM auth_user_groups ug
      JOIN auth_group_permissions gp ON gp.group_id = ug.group_id
      WHERE ug.user_id = u.id AND gp.permission_id IN (SELECT id FROM view_claim))
  )
ORDER BY u.id
"""


def claim_email_recipients(claim: Claim) -> list[User]:
    """Users who watch ``claim`` (explicitly or automatically), have an email address and
    may see claims."""
    auto = [pk for pk in (claim.created_by_id, claim.assignee_id) if pk]
    params = {
        "auto": auto if settings.NOTIFY_AUTO_WATCH else [],
        "claim": claim.pk,
        "claimant": claim.claimant_id,
        "all": SubscriptionTarget.ALL,
        "one_claim": SubscriptionTarget.CLAIM,
        "source": SubscriptionTarget.SOURCE,
        "tag": SubscriptionTarget.TAG,
    }
    return list(User.objects.raw(_SUBSCRIBERS_SQL, params))


def event_record(
    *,
    type: str,
    claim: Claim | None,
    actor: User | None,
    data: dict[str, Any],
    endpoints: Sequence[WebhookEndpoint] | None = None,
) -> Event:
    """Record an event and its deliveries in the current transaction; queue them after commit.

    Webhooks go to every active endpoint subscribed to ``type`` (or to ``endpoints`` when
    given); email, for the types that are emailed, to every subscriber of the claim but the
    actor, one email per user however many of their subscriptions match.
    """
    now = timezone.now()
    event_id = uuid.uuid4()
    event = Event.objects.create(
        id=event_id,
        type=type,
        claim=claim,
        occurred_at=now,
        payload={
            "id": str(event_id),
            "type": type,
            "occurred_at": now.isoformat(),
            "data": {**data, "actor": _actor_data(actor)},
        },
    )
    if endpoints is None:
        endpoints = list(
            WebhookEndpoint.objects.filter(active=True, event_types__contains=[type]).order_by(
                "created_at"
            )
        )
    rows = [
        Delivery(
            event=event,
            channel=DeliveryChannel.WEBHOOK,
            endpoint=endpoint,
            next_attempt_at=now,
            queued_at=now,
        )
        for endpoint in endpoints
    ]
    if claim is not None and type in EMAILED_TYPES:
        rows += [
            Delivery(
                event=event,
                channel=DeliveryChannel.EMAIL,
                user=user,
                next_attempt_at=now,
                queued_at=now,
            )
            for user in claim_email_recipients(claim)
            if actor is None or user.pk != actor.pk
        ]
    created = Delivery.objects.bulk_create(rows)
    ids = [row.pk for row in created]
    if ids:
        transaction.on_commit(lambda: deliveries_enqueue(delivery_ids=ids))
    return event


def status_change_record(*, change: Any, cited: Iterable[Any]) -> Event:
    """The ``claim.status_changed`` event of a StatusChange (in its transaction)."""
    claim = change.claim
    return event_record(
        type=EventType.CLAIM_STATUS_CHANGED,
        claim=claim,
        actor=change.actor,
        data={
            "claim": claim_summary(claim),
            "from_status": change.from_status,
            "to_status": change.to_status,
            "reason": change.reason,
            "evidence": [evidence_data(item) for item in cited],
            "channel": change.channel,
            "status_change_id": change.pk,
            "version": change.claim_version,
        },
    )


def claim_created_record(*, claim: Claim, actor: User) -> Event:
    return event_record(
        type=EventType.CLAIM_CREATED,
        claim=claim,
        actor=actor,
        data={"claim": claim_summary(claim), "version": claim.version},
    )


def evidence_added_record(*, evidence: Any, actor: User) -> Event:
    claim = evidence.claim
    return event_record(
        type=EventType.EVIDENCE_ADDED,
        claim=claim,
        actor=actor,
        data={"claim": claim_summary(claim), "evidence": evidence_data(evidence)},
    )


# --- Queueing -----------------------------------------------------------------------------


def deliveries_enqueue(*, delivery_ids: Sequence[int]) -> int:
    """Queue a send task per delivery. A broker that is down is logged, not raised: the
    rows are marked unqueued and the sweeper queues them when it is back."""
    from notifications.tasks import delivery_send_task

    failed: list[int] = []
    for position, delivery_id in enumerate(delivery_ids):
        try:
            delivery_send_task.apply_async(
                args=(delivery_id,), queue=settings.CELERY_TASK_DEFAULT_QUEUE, retry=False
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


# --- Sending ------------------------------------------------------------------------------


def _claim(delivery_id: int) -> Delivery | None:
    """Take the delivery for this worker, if it is due and nobody holds it."""
    now = timezone.now()
    lease = timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 2 + LEASE_MARGIN_SECONDS)
    taken = (
        Delivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + lease, attempt_count=F("attempt_count") + 1)
    )
    if not taken:
        return None
    return Delivery.objects.select_related("event", "endpoint__owner", "user").get(pk=delivery_id)


def backoff_seconds(attempt: int) -> float | None:
    """Seconds before the retry after attempt number ``attempt`` (None: no more retries)."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if attempt > len(schedule):
        return None
    base = float(schedule[attempt - 1])
    return base * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not a secret)


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """Retry-After as seconds (a number or an HTTP date), capped at a day."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - now).total_seconds()
    return max(0.0, min(seconds, 86400.0))


def webhook_headers(*, endpoint: WebhookEndpoint, event: Event, body: bytes) -> dict[str, str]:
    timestamp = int(timezone.now().timestamp())
    msg_id = str(event.pk)
    secrets = [secret_decrypt(endpoint.secret_encrypted)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires and expires > timezone.now():
        secrets.append(secret_decrypt(endpoint.previous_secret_encrypted))
    return {
        "content-type": "application/json",
        "user-agent": "claimtracker-webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body)
            for secret in secrets
        ),
    }


def event_body(event: Event) -> bytes:
    return json.dumps(event.payload, separators=(",", ":"), sort_keys=True).encode()


def _email_send(delivery: Delivery) -> None:
    user = delivery.user
    if user is None:
        raise ValueError("An email delivery without a user.")
    payload = delivery.event.payload
    context = {"user": user, "event": payload, "data": payload["data"]}
    data = payload["data"]
    subject = header_line(
        f"[Claim tracker] {data['from_status']} → {data['to_status']}: {data['claim']['text']}"
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notifications/email/status_changed.txt", context),
        to=[user.email],
        headers={"X-Claimtracker-Event-Id": str(delivery.event_id)},
    )
    message.attach_alternative(
        render_to_string("notifications/email/status_changed.html", context), "text/html"
    )
    message.send()


def delivery_send(*, delivery_id: int) -> str:
    """Send one delivery if it is due and free; record the attempt and what comes next.

    Returns what happened (for logs): skipped, withheld, succeeded, retry or dead. The
    recipient (the user, or the endpoint's owner) must still be allowed to see claims now,
    whatever they were when the delivery was written; if not, nothing is sent.
    """
    delivery = _claim(delivery_id)
    if delivery is None:
        return "skipped"
    recipient = delivery.user if delivery.endpoint is None else delivery.endpoint.owner
    if recipient is not None and (missing := claims_access_missing(recipient)):
        return _delivery_withhold(delivery, reason=missing)
    started = timezone.now()
    status_code: int | None = None
    error = ""
    body_text = ""
    duration_ms = 0
    retry_after: float | None = None
    gone = False
    if delivery.channel == DeliveryChannel.EMAIL:
        try:
            _email_send(delivery)
            ok = True
        except Exception as failure:
            ok = False
            error = f"{type(failure).__name__}: {failure}"
    else:
        endpoint = delivery.endpoint
        if endpoint is None or not endpoint.active:
            return _delivery_finish(
                delivery,
                ok=False,
                final=True,
                attempt=None,
                error="The endpoint is disabled; enable it and replay the delivery.",
            )
        body = event_body(delivery.event)
        try:
            reply = outbound.post(
                endpoint.url,
                body=body,
                headers=webhook_headers(endpoint=endpoint, event=delivery.event, body=body),
            )
            status_code = reply.status
            duration_ms = reply.duration_ms
            body_text = reply.body.decode("utf-8", "replace")
            ok = 200 <= reply.status < 300
            if not ok:
                error = f"HTTP {reply.status}"
            if reply.status in (429, 503):
                retry_after = retry_after_seconds(reply.headers.get("retry-after"), now=started)
            gone = reply.status == 410
        except Exception as failure:
            ok = False
            error = f"{type(failure).__name__}: {failure}"
            duration_ms = int((timezone.now() - started).total_seconds() * 1000)
    attempt = DeliveryAttempt(
        delivery=delivery,
        at=started,
        status_code=status_code,
        duration_ms=duration_ms,
        error=error[:2000],
        response_body=body_text,
    )
    return _delivery_finish(
        delivery, ok=ok, final=gone, attempt=attempt, error=error, retry_after=retry_after
    )


@transaction.atomic
def _delivery_finish(
    delivery: Delivery,
    *,
    ok: bool,
    final: bool,
    attempt: DeliveryAttempt | None,
    error: str,
    retry_after: float | None = None,
) -> str:
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    now = timezone.now()
    if attempt is not None:
        attempt.number = DeliveryAttempt.objects.filter(delivery=locked).count() + 1
        attempt.save()
    locked.locked_until = None
    endpoint = delivery.endpoint
    if ok:
        locked.status = DeliveryStatus.SUCCEEDED
        locked.delivered_at = now
        locked.last_error = ""
        outcome = "succeeded"
        if endpoint is not None and endpoint.failing_since is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    else:
        locked.last_error = error[:2000]
        wait = None if final else backoff_seconds(locked.attempt_count)
        if wait is not None and retry_after is not None:
            wait = retry_after
        if wait is None:
            locked.status = DeliveryStatus.DEAD
            outcome = "dead"
        else:
            locked.next_attempt_at = now + timedelta(seconds=wait)
            outcome = "retry"
        if endpoint is not None and attempt is not None:
            _endpoint_failed(endpoint, gone=final and attempt.status_code == 410, now=now)
    locked.save(
        update_fields=[
            "status",
            "delivered_at",
            "last_error",
            "next_attempt_at",
            "locked_until",
        ]
    )
    logger.info("Delivery %s: %s", locked.pk, outcome)
    return outcome


@transaction.atomic
def _delivery_withhold(delivery: Delivery, *, reason: str) -> str:
    """End a delivery unsent, for good (a replay sends it once access is back); pause the
    endpoint it was for, so that no more events are written for it."""
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    locked.status = DeliveryStatus.WITHHELD
    locked.locked_until = None
    locked.last_error = f"Withheld: {reason}."
    locked.save(update_fields=["status", "last_error", "locked_until"])
    if delivery.endpoint_id is not None:
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        if not endpoint.paused_reason:
            endpoint.active = False
            endpoint.paused_reason = (
                f"Paused because {reason}. Enable it again once its owner may see claims, "
                "and replay what was withheld."
            )
            endpoint.paused_at = timezone.now()
            endpoint.save(update_fields=["active", "paused_reason", "paused_at", "updated_at"])
    logger.info("Delivery %s: withheld (%s)", locked.pk, reason)
    return "withheld"


def _endpoint_failed(endpoint: WebhookEndpoint, *, gone: bool, now: datetime) -> None:
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if locked.failing_since is None:
        locked.failing_since = now
    reason = ""
    if gone:
        reason = "The endpoint answered 410 Gone."
    elif locked.failing_since <= now - timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS):
        reason = f"Every delivery failed for {settings.WEBHOOK_DISABLE_AFTER_HOURS:g} hours."
    if reason and locked.active:
        locked.active = False
        locked.disabled_reason = reason
        owner = locked.owner
        url = _site_url(reverse("admin:notifications_webhookendpoint_change", args=[locked.pk]))
        if owner.email and not claims_access_missing(owner):
            transaction.on_commit(
                lambda: EmailMultiAlternatives(
                    subject=header_line(f"[Claim tracker] Webhook endpoint disabled: {locked}"),
                    body=(
                        f"Your webhook endpoint {locked.url} was disabled. {reason}\n\n"
                        f"Fix the receiver, enable the endpoint again and replay what "
                        f"failed: {url}\n"
                    ),
                    to=[owner.email],
                ).send(fail_silently=True)
            )
    locked.save(update_fields=["failing_since", "active", "disabled_reason", "updated_at"])


# --- Replays and tests --------------------------------------------------------------------


def _may_manage(actor: Actor, endpoint: WebhookEndpoint) -> User:
    user = require_perm(actor, "notifications.change_webhookendpoint", "manage webhooks")
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
        require_perm(actor, "notifications.change_delivery", "replay deliveries")
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


def _endpoint_validate(*, url: str, event_types: Sequence[str]) -> None:
    try:
        outbound.url_check(url)
        web_address(url)  # as every URL the project stores: what the schema calls a URI
    except outbound.UnsafeURLError as error:
        raise ValidationError({"url": str(error)}) from error
    except ValidationError as error:
        raise ValidationError({"url": error.messages}) from error
    unknown = sorted(set(event_types) - set(SUBSCRIBABLE_EVENT_TYPES))
    if unknown or not event_types:
        raise ValidationError(
            {
                "event_types": "Choose one or more of: "
                + ", ".join(SUBSCRIBABLE_EVENT_TYPES)
                + (f" (not {', '.join(unknown)})." if unknown else ".")
            }
        )


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
    user = require_perm(actor, "notifications.add_webhookendpoint", "add webhooks")
    _endpoint_validate(url=url, event_types=event_types)
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
    _endpoint_validate(url=locked.url, event_types=locked.event_types)
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


# --- Subscriptions ------------------------------------------------------------------------


@transaction.atomic
def subscription_create(
    *,
    actor: Actor,
    target: str,
    claim: Claim | None = None,
    tag: Tag | None = None,
    source: Source | None = None,
    muted: bool = False,
) -> Subscription:
    """Watch a claim, a tag, a source or every claim (idempotent: returns the existing one).

    ``muted`` (a claim only) stops every email about the claim instead; a user has one row
    per claim, watching or muted, so this changes the existing row.
    """
    user = require_perm(actor, VIEW_CLAIM, "watch claims")
    subject = {"claim": claim, "tag": tag, "source": source}
    given = {name for name, value in subject.items() if value is not None}
    if target not in SubscriptionTarget.values:
        raise ValidationError({"target": f"Use one of: {', '.join(SubscriptionTarget.values)}."})
    expected = set() if target == SubscriptionTarget.ALL else {target}
    if given != expected:
        what = "nothing else" if not expected else f"the {target} only"
        raise ValidationError({target if expected else "target": f"Give {what}."})
    if muted and target != SubscriptionTarget.CLAIM:
        raise ValidationError({"muted": "Only one claim can be muted, not a tag, a source or all."})
    # get_or_create gets the row a concurrent request created meanwhile.
    subscription, _ = Subscription.objects.get_or_create(
        user=user, target=target, **subject, defaults={"muted": muted}
    )
    if subscription.muted != muted:
        subscription.muted = muted
        subscription.save(update_fields=["muted"])
    return subscription


@transaction.atomic
def subscription_delete(*, actor: Actor, subscription: Subscription) -> None:
    user = require_perm(actor, VIEW_CLAIM, "watch claims")
    if subscription.user_id != user.pk:
        raise PermissionDenied("This subscription belongs to someone else.")
    subscription.delete()


def claim_watch(*, actor: Actor, claim: Claim) -> Subscription:
    """Get the claim's emails (and no longer mute it)."""
    return subscription_create(actor=actor, target=SubscriptionTarget.CLAIM, claim=claim)


def claim_unwatch(*, actor: Actor, claim: Claim) -> Subscription:
    """Get no email about the claim, even as its creator or assignee or through a tag, its
    claimant or every claim: the claim is muted until watched again (or the mute deleted)."""
    return subscription_create(
        actor=actor, target=SubscriptionTarget.CLAIM, claim=claim, muted=True
    )


def claim_watched(*, user: User, claim: Claim) -> bool:
    """True if ``user`` watches ``claim``: by a subscription or as its creator or assignee,
    and has not muted it. (Whether an email is sent also depends on the user: see
    _SUBSCRIBERS_SQL.)"""
    own = Subscription.objects.filter(user=user)
    mine = own.filter(target=SubscriptionTarget.CLAIM, claim=claim).first()
    if mine is not None:
        return not mine.muted
    if settings.NOTIFY_AUTO_WATCH and user.pk in (claim.created_by_id, claim.assignee_id):
        return True
    return own.filter(
        Q(target=SubscriptionTarget.ALL)
        | Q(target=SubscriptionTarget.SOURCE, source_id=claim.claimant_id)
        | Q(target=SubscriptionTarget.TAG, tag__claims=claim)
    ).exists()
