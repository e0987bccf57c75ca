"""The outbox: events and their deliveries, written in the caller's transaction.

The write services that change a claim call ``event_record`` inside their transaction: the
event and one delivery row per recipient commit (or roll back) with the change itself. After
commit a task is queued per delivery (queue.py); the sweeper queues again whatever is due or
looks lost, so a broker outage or a killed worker delays a notification, never loses it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim
from core.sites import site_url
from notifications.models import (
    Delivery,
    DeliveryChannel,
    Event,
    EventType,
    Subscription,
    SubscriptionTarget,
    WebhookEndpoint,
)
from notifications.selectors import claim_email_recipients
from notifications.services.queue import deliveries_enqueue

# Event types that are also emailed to subscribers (the others go to webhooks only, and by
# email to the people they are about: a claim's new and previous assignee).
EMAILED_TYPES = frozenset(
    {
        EventType.CLAIM_STATUS_CHANGED,
        EventType.CLAIM_PUBLISHED,
        EventType.CLAIM_VERDICT_PROPOSED,
        EventType.CLAIM_VERDICT_REJECTED,
        EventType.CLAIM_MERGED,
    }
)


def claim_payload(claim: Claim) -> dict[str, Any]:
    """The claim as an event's payload shows it."""
    return {
        "id": str(claim.pk),
        "text": claim.text,
        "status": claim.status,
        "url": site_url(reverse("admin:claims_claim_change", args=[claim.pk])),
        "api_url": site_url(f"/api/v1/claims/{claim.pk}/"),
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


def event_record(
    *,
    type: str,
    claim: Claim | None,
    actor: User | None,
    data: dict[str, Any],
    endpoints: Sequence[WebhookEndpoint] | None = None,
    addressees: Iterable[User] = (),
) -> Event:
    """Record an event and its deliveries in the current transaction; queue them after commit.

    Webhooks go to every active endpoint subscribed to ``type`` (or to ``endpoints`` when
    given); email, for the types that are emailed, to every subscriber of the claim, and for
    every type to the ``addressees`` (the people the event is about: a proposer, an assignee,
    watching or not, unless they muted the claim); never to the actor; one email per user
    however many reasons they have.
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
    due = {"event": event, "next_attempt_at": now, "queued_at": now}
    rows = [
        Delivery(channel=DeliveryChannel.WEBHOOK, endpoint=endpoint, **due)
        for endpoint in endpoints
    ]
    if claim is not None:
        recipients = (
            {user.pk: user for user in claim_email_recipients(claim)}
            if type in EMAILED_TYPES
            else {}
        )
        addressed = [user for user in addressees if user.is_active and user.email]
        muted = set(
            Subscription.objects.filter(
                claim=claim, target=SubscriptionTarget.CLAIM, muted=True, user__in=addressed
            ).values_list("user_id", flat=True)
            if addressed
            else ()
        )
        for user in addressed:
            if user.pk not in muted:  # muting a claim stops every email about it
                recipients.setdefault(user.pk, user)
        rows += [
            Delivery(channel=DeliveryChannel.EMAIL, user=user, **due)
            for user in recipients.values()
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
            "claim": claim_payload(claim),
            "from_status": change.from_status,
            "to_status": change.to_status,
            "reason": change.reason,
            "evidence": [evidence_data(item) for item in cited],
            "channel": change.channel,
            "status_change_id": change.pk,
            "proposal": None if change.proposal is None else proposal_data(change.proposal),
            "version": change.claim_version,
        },
    )


def proposal_data(proposal: Any) -> dict[str, Any]:
    """A verdict proposal as events show it (verification.models.VerdictProposal)."""
    return {
        "id": proposal.pk,
        "verdict": proposal.verdict,
        "reason": proposal.reason,
        "proposed_by": _actor_data(proposal.proposed_by),
        "proposed_at": proposal.proposed_at.isoformat(),
        "outcome": proposal.outcome,
        "decided_by": _actor_data(proposal.decided_by),
        "decision_reason": proposal.decision_reason,
    }


def verdict_proposed_record(*, proposal: Any, cited: Iterable[Any]) -> Event:
    """``claim.verdict_proposed``: a verdict awaits another reviewer's approval."""
    claim = proposal.claim
    return event_record(
        type=EventType.CLAIM_VERDICT_PROPOSED,
        claim=claim,
        actor=proposal.proposed_by,
        data={
            "claim": claim_payload(claim),
            "proposal": proposal_data(proposal),
            "evidence": [evidence_data(item) for item in cited],
            "channel": proposal.channel,
            "version": claim.version,
        },
    )


def verdict_rejected_record(*, proposal: Any) -> Event:
    """``claim.verdict_rejected``: the proposal goes back to its author, who is told."""
    claim = proposal.claim
    return event_record(
        type=EventType.CLAIM_VERDICT_REJECTED,
        claim=claim,
        actor=proposal.decided_by,
        data={
            "claim": claim_payload(claim),
            "proposal": proposal_data(proposal),
            "channel": proposal.decision_channel,
            "version": claim.version,
        },
        addressees=[proposal.proposed_by],
    )


def claim_created_record(*, claim: Claim, actor: User) -> Event:
    return event_record(
        type=EventType.CLAIM_CREATED,
        claim=claim,
        actor=actor,
        data={"claim": claim_payload(claim), "version": claim.version},
    )


def claim_assigned_record(*, claim: Claim, previous: User | None, actor: User) -> Event:
    """``claim.assigned``: the claim's assignee changed (to nobody, when unassigned); emailed
    to the new assignee and to the previous one."""
    return event_record(
        type=EventType.CLAIM_ASSIGNED,
        claim=claim,
        actor=actor,
        data={
            "claim": claim_payload(claim),
            "assignee": _actor_data(claim.assignee),
            "previous_assignee": _actor_data(previous),
            "version": claim.version,
        },
        addressees=[user for user in (claim.assignee, previous) if user is not None],
    )


def evidence_added_record(*, evidence: Any, actor: User) -> Event:
    claim = evidence.claim
    return event_record(
        type=EventType.EVIDENCE_ADDED,
        claim=claim,
        actor=actor,
        data={"claim": claim_payload(claim), "evidence": evidence_data(evidence)},
    )


def claim_published_record(
    *,
    claim: Claim,
    actor: User | None,
    public_url: str,
    rating: dict[str, Any],
    published_at: str,
    correction: dict[str, Any] | None = None,
) -> Event:
    """``claim.published``: the fact check became public (or, with ``correction``, a public
    one was corrected)."""
    return event_record(
        type=EventType.CLAIM_PUBLISHED,
        claim=claim,
        actor=actor,
        data={
            "claim": claim_payload(claim),
            "public_url": public_url,
            "published_at": published_at,
            "rating": rating,
            "correction": correction,
        },
    )


def claim_merged_record(*, duplicate: Claim, canonical: Claim, actor: User) -> Event:
    """``claim.merged``: ``duplicate`` was merged into ``canonical``; emailed to those who
    watched the duplicate (recorded before they are moved to the canonical claim)."""
    return event_record(
        type=EventType.CLAIM_MERGED,
        claim=duplicate,
        actor=actor,
        data={
            "claim": claim_payload(duplicate),
            "canonical": claim_payload(canonical),
            "version": duplicate.version,
        },
    )


def claim_unpublished_record(*, claim: Claim, actor: User, reason: str) -> Event:
    return event_record(
        type=EventType.CLAIM_UNPUBLISHED,
        claim=claim,
        actor=actor,
        data={"claim": claim_payload(claim), "reason": reason},
    )
