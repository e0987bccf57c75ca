"""Merging a duplicate claim into the claim it repeats: the one write path (admin and API).

Everything the duplicate holds moves to the canonical claim: statements, appearances (one
the canonical claim already has, by address, is kept once, its quote filled in from the
duplicate's when it had none), evidence, other publishers' fact checks, tags and watchers; the
claims merged into the duplicate earlier now point at the canonical claim too (a pointer is
never more than one step). The duplicate keeps its history and becomes a read-only pointer
(``Claim.merged_into``: every service refuses to change it, the API and the public pages
redirect to the canonical claim); its watchers are told (``claim.merged``).

Refused, with nothing changed: a claim into itself, into a claim that is itself merged, a
claim already merged, stale versions, a duplicate published (unpublish it first) or with a
verdict awaiting approval, and two outcomes that disagree: both claims past unverified with
different statuses (one review's outcome would be hidden). The canonical claim keeps its
status; the duplicate's status history stays the duplicate's.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from claims.models import (
    CLAIM_MAX_TAGS,
    Appearance,
    Claim,
    ClaimLink,
    ClaimStatus,
    ClaimTag,
    Statement,
)
from claims.search import claim_search_refresh
from claims.services import check_version
from core import permissions
from core.actors import Actor, require_perm
from core.errors import ClaimMergedError, MergeError
from interchange.models import Review
from notifications.models import Subscription, SubscriptionTarget
from notifications.services import claim_merged_record
from publishing.models import Publication
from verification.models import Evidence, ProposalOutcome, VerdictProposal

MERGE_INTO_ITSELF = "A claim cannot be merged into itself."


@transaction.atomic
def claim_merge(
    *, actor: Actor, duplicate: Claim, canonical: Any, version: int, canonical_version: int
) -> Claim:
    """Merge ``duplicate`` (at ``version``) into the claim ``canonical`` names (at
    ``canonical_version``); the canonical claim as it is now."""
    user = require_perm(actor, permissions.CHANGE_CLAIM, "merge claims")
    require_perm(actor, permissions.CHANGE_CLAIM_STATUS, "merge claims")
    canonical_id = canonical.pk if isinstance(canonical, Claim) else canonical
    if str(canonical_id) == str(duplicate.pk):
        raise ValidationError({"canonical": MERGE_INTO_ITSELF})
    locked = {  # both, in one order: two merges of the same pair never deadlock
        str(claim.pk): claim
        for claim in Claim.objects.select_for_update(of=("self",))
        .filter(pk__in=[duplicate.pk, canonical_id])
        .order_by("pk")
    }
    if str(canonical_id) not in locked:
        raise ValidationError({"canonical": f"There is no claim {canonical_id}."})
    into, dup = locked[str(canonical_id)], locked[str(duplicate.pk)]
    if dup.merged_into_id is not None:
        raise ClaimMergedError(canonical_id=dup.merged_into_id)
    if into.merged_into_id is not None:
        raise ValidationError(
            {
                "canonical": f"That claim was itself merged into claim {into.merged_into_id}: "
                "merge into that one."
            }
        )
    check_version(current=dup.version, seen=version)
    check_version(current=into.version, seen=canonical_version)
    _check_mergeable(dup, into)

    claim_merged_record(duplicate=dup, canonical=into, actor=user)  # to the duplicate's watchers
    _parts_move(dup, into)
    Claim.objects.filter(merged_into=dup).update(merged_into=into)
    now = timezone.now()
    Claim.objects.filter(pk=dup.pk).update(
        merged_into=into, merged_at=now, version=F("version") + 1, updated_at=now
    )
    Claim.objects.filter(pk=into.pk).update(version=F("version") + 1, updated_at=now)
    claim_search_refresh(claim_ids=[dup.pk, into.pk])
    into.refresh_from_db()
    return into


def _check_mergeable(duplicate: Claim, canonical: Claim) -> None:
    unverified = ClaimStatus.UNVERIFIED
    if unverified not in (duplicate.status, canonical.status) and (
        duplicate.status != canonical.status
    ):
        raise MergeError(
            f"The duplicate is {duplicate.get_status_display().lower()} and the claim to keep "
            f"is {canonical.get_status_display().lower()}: merging would hide one review's "
            "outcome. Merge only when one of them is still unverified, or both have the same "
            "status."
        )
    if VerdictProposal.objects.filter(claim=duplicate, outcome=ProposalOutcome.PENDING).exists():
        raise MergeError(
            "The duplicate has a verdict awaiting approval: approve or reject it first."
        )
    if Publication.objects.filter(claim=duplicate, unpublished_at__isnull=True).exists():
        raise MergeError(
            "The duplicate is published as a fact check: unpublish it first (its readers are "
            "sent to the claim it is merged into)."
        )
    tags = set(ClaimTag.objects.filter(claim__in=[duplicate, canonical]).values_list("tag_id"))
    if len(tags) > CLAIM_MAX_TAGS:
        raise MergeError(
            f"Together the two claims have {len(tags)} tags, more than a claim may have "
            f"({CLAIM_MAX_TAGS}): remove some first."
        )


def _parts_move(duplicate: Claim, canonical: Claim) -> None:
    Statement.objects.filter(claim=duplicate).update(claim=canonical)
    Evidence.objects.filter(claim=duplicate).update(claim=canonical)
    Review.objects.filter(claim=duplicate).update(claim=canonical)
    kept = {appearance.url: appearance for appearance in canonical.appearances.all()}
    for appearance in Appearance.objects.filter(claim=duplicate):
        same = kept.get(appearance.url)
        if same is None:
            appearance.claim = canonical
            appearance.save(update_fields=["claim"])
            continue
        if appearance.quote and not same.quote:
            same.quote = appearance.quote
            same.save(update_fields=["quote"])
        appearance.delete()
    tagged = set(ClaimTag.objects.filter(claim=canonical).values_list("tag_id", flat=True))
    ClaimTag.objects.bulk_create(
        [
            ClaimTag(claim=canonical, tag_id=tag_id)
            for tag_id in ClaimTag.objects.filter(claim=duplicate).values_list("tag_id", flat=True)
            if tag_id not in tagged
        ]
    )
    ClaimTag.objects.filter(claim=duplicate).delete()
    watching = set(Subscription.objects.filter(claim=canonical).values_list("user_id", flat=True))
    for subscription in Subscription.objects.filter(
        target=SubscriptionTarget.CLAIM, claim=duplicate
    ):
        if subscription.user_id in watching:
            subscription.delete()
        else:
            subscription.claim = canonical
            subscription.save(update_fields=["claim"])
    for link in ClaimLink.objects.filter(Q(claim=duplicate) | Q(other=duplicate)):
        other = link.other_id if link.claim_id == duplicate.pk else link.claim_id
        already = Q(claim=canonical, other_id=other) | Q(claim_id=other, other=canonical)
        if other == canonical.pk or ClaimLink.objects.filter(already).exists():
            link.delete()
        elif link.claim_id == duplicate.pk:
            link.claim = canonical
            link.save(update_fields=["claim"])
        else:
            link.other = canonical
            link.save(update_fields=["other"])
