"""The delivery worker: lease a due delivery, send it (email or signed webhook), record the
attempt and what comes next (retry with backoff, dead letter, a disabled endpoint).

``delivery_send`` leases its row atomically, so a duplicate task does nothing.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core import outbound
from core.sites import site_url
from notifications.mail import header_line
from notifications.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryChannel,
    DeliveryStatus,
    Event,
    EventType,
    WebhookEndpoint,
)
from notifications.secrets import secret_decrypt, signature
from notifications.selectors import claims_access_missing

logger = logging.getLogger(__name__)

# An attempt longer than this (plus the timeout) is presumed dead with its worker.
LEASE_MARGIN_SECONDS = 5.0


def _lease(delivery_id: int) -> Delivery | None:
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


def _email_subject(payload: dict[str, Any], user: User) -> str:
    data = payload["data"]
    text = data["claim"]["text"]
    if payload["type"] == EventType.CLAIM_ASSIGNED:
        mine = (data["assignee"] or {}).get("id") == user.pk
        return f"[Claim tracker] {'Assigned to you' if mine else 'No longer yours'}: {text}"
    if payload["type"] == EventType.CLAIM_PUBLISHED:
        what = "Correction published" if data.get("correction") else "Fact check published"
        return f"[Claim tracker] {what} ({data['rating']['label']}): {text}"
    if payload["type"] == EventType.CLAIM_VERDICT_PROPOSED:
        return f"[Claim tracker] Approve or reject: {data['proposal']['verdict']}? {text}"
    if payload["type"] == EventType.CLAIM_MERGED:
        return f"[Claim tracker] Merged into another claim: {text}"
    if payload["type"] == EventType.CLAIM_VERDICT_REJECTED:
        return f"[Claim tracker] Rejected: {data['proposal']['verdict']}: {text}"
    return f"[Claim tracker] {data['from_status']} → {data['to_status']}: {text}"


# The email of each event type that is emailed (notifications/services/outbox.py).
_EMAIL_TEMPLATES = {
    EventType.CLAIM_STATUS_CHANGED: "notifications/email/status_changed",
    EventType.CLAIM_PUBLISHED: "notifications/email/published",
    EventType.CLAIM_VERDICT_PROPOSED: "notifications/email/verdict_proposed",
    EventType.CLAIM_VERDICT_REJECTED: "notifications/email/verdict_rejected",
    EventType.CLAIM_ASSIGNED: "notifications/email/assigned",
    EventType.CLAIM_MERGED: "notifications/email/merged",
}


def _email_send(delivery: Delivery) -> None:
    user = delivery.user
    if user is None:
        raise ValueError("An email delivery without a user.")
    payload = delivery.event.payload
    context = {"user": user, "event": payload, "data": payload["data"]}
    template = _EMAIL_TEMPLATES[payload["type"]]
    message = EmailMultiAlternatives(
        subject=header_line(_email_subject(payload, user)),
        body=render_to_string(f"{template}.txt", context),
        to=[user.email],
        headers={"X-Claimtracker-Event-Id": str(delivery.event_id)},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()


def delivery_send(*, delivery_id: int) -> str:
    """Send one delivery if it is due and free; record the attempt and what comes next.

    Returns what happened (for logs): skipped, withheld, succeeded, retry or dead. The
    recipient (the user, or the endpoint's owner) must still be allowed to see claims now,
    whatever they were when the delivery was written; if not, nothing is sent.
    """
    delivery = _lease(delivery_id)
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
        url = site_url(reverse("admin:notifications_webhookendpoint_change", args=[locked.pk]))
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
