"""Subscriptions: who watches (or has muted) a claim, a tag, a source or every claim."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from claims.models import Claim, Source, Tag
from core.actors import Actor, require_perm
from core.permissions import VIEW_CLAIM
from notifications.models import Subscription, SubscriptionTarget


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
