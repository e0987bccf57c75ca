"""Writes of publication: publish (now or at a time), unpublish, and announce what became public.

Publishing copies the verdict as readers will see it (the active scale's label and value, the
reviewers' explanation) into the claim's publication; publishing again with another rating is
a correction, recorded with its reason and shown on the page. Each step bumps the claim's
version (ETags, the search index's change log) and writes a PublicationChange.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from claims.models import Claim, ClaimStatus
from claims.services import check_version, claim_lock, claim_touch
from claims.text import text_clean
from core import permissions
from core.actors import Actor, require_perm
from core.errors import PublicationError
from notifications.services import claim_published_record, claim_unpublished_record
from publishing import selectors
from publishing.models import (
    SLUG_MAX_LENGTH,
    Publication,
    PublicationAction,
    PublicationChange,
    PublicationState,
)
from verification.models import REASON_MAX_LENGTH, Channel
from verification.workflow import VERDICTS

NO_VERDICT = (
    "Only a claim with a verdict ({verdicts}) can be published; this one is {status}. "
    "Change its status first."
)
PUBLISH_AT_PAST = "{moment} is in the past. Give a future time, or leave it out to publish now."


def slug_for(text: str) -> str:
    """A readable slug of the claim's text, in its own script (the id keeps the URL unique)."""
    slug = slugify(text, allow_unicode=True)[:SLUG_MAX_LENGTH].rstrip("-")
    if "-" in slug and len(slug) == SLUG_MAX_LENGTH:
        slug = slug.rsplit("-", 1)[0]  # a whole word at the end
    return slug or "claim"


def _rating(verdict: str) -> dict[str, Any]:
    label = selectors.rating_label(verdict)
    if label is None:
        raise PublicationError(
            f"The active rating scale has no label for the verdict {verdict!r}: add one in the "
            "admin (Publishing, Rating scales) first."
        )
    scale = label.scale
    if not scale.worst_rating <= label.value <= scale.best_rating:
        raise PublicationError(
            f"The label “{label.label}” has the value {label.value}, outside its scale "
            f"({scale.worst_rating} to {scale.best_rating}): correct it in the admin "
            "(Publishing, Rating scales) first."
        )
    return {
        "verdict": verdict,
        "rating_label": label.label,
        "rating_value": label.value,
        "best_rating": label.scale.best_rating,
        "worst_rating": label.scale.worst_rating,
    }


def _has_been_public(publication: Publication, now: datetime) -> bool:
    """Whether readers could see it: now, or until it was unpublished (announced or not)."""
    until = publication.unpublished_at or now
    return publication.first_published_at is not None or publication.publish_at <= until


def rating_data(publication: Publication) -> dict[str, Any]:
    """The published rating as events show it."""
    return {
        "verdict": publication.verdict,
        "label": publication.rating_label,
        "value": publication.rating_value,
        "best": publication.best_rating,
        "worst": publication.worst_rating,
    }


def _announce(publication: Publication, *, actor: Any, correction: dict[str, Any] | None) -> None:
    now = timezone.now()
    publication.announced_at = now
    if publication.first_published_at is None:
        publication.first_published_at = publication.publish_at
    publication.save(update_fields=["announced_at", "first_published_at"])
    claim_published_record(
        claim=publication.claim,
        actor=actor,
        public_url=selectors.public_url(publication.claim_id, publication.slug),
        rating=rating_data(publication),
        published_at=publication.first_published_at.isoformat(),
        correction=correction,
    )


@transaction.atomic
def claim_publish(
    *,
    actor: Actor,
    claim: Claim,
    channel: Channel,
    publish_at: datetime | None = None,
    reason: str = "",
    version: int | None = None,
) -> Publication:
    """Publish the claim's verdict now, or at ``publish_at`` (an embargo until then).

    A claim published before is published again: with another rating, or another
    explanation, while it is or has been public, that is a correction (``reason``, else the
    reason of the verdict's status change, says why). ``version``, when given, is the one the
    reviewer saw: a claim changed since is refused.
    """
    user = require_perm(actor, permissions.PUBLISH_CLAIM, "publish fact checks")
    locked = claim_lock(claim_id=claim.pk)
    if version is not None:
        check_version(current=locked.version, seen=version)
    if locked.status not in VERDICTS:
        raise PublicationError(
            NO_VERDICT.format(
                verdicts=", ".join(VERDICTS), status=ClaimStatus(locked.status).label.lower()
            )
        )
    now = timezone.now()
    if publish_at is not None and publish_at <= now:
        raise ValidationError({"publish_at": PUBLISH_AT_PAST.format(moment=publish_at.isoformat())})
    reason = text_clean(reason, field="reason", max_length=REASON_MAX_LENGTH)
    explanation = selectors.verdict_explanation(locked)
    snapshot = {**_rating(locked.status), "explanation": explanation}

    publication = Publication.objects.select_for_update().filter(claim=locked).first()
    public_now = (
        publication is not None
        and selectors.publication_state(
            publish_at=publication.publish_at, unpublished_at=publication.unpublished_at, now=now
        )
        == PublicationState.PUBLISHED
    )
    if public_now and publish_at is not None:
        raise ValidationError(
            {
                "publish_at": "This fact check is public already: publishing it again corrects "
                "it at once. Leave publish_at out, or unpublish it first."
            }
        )
    before = (
        {name: getattr(publication, name) for name in snapshot} if publication is not None else None
    )
    if public_now and before == snapshot:
        raise PublicationError(
            "This fact check is published already with this verdict and explanation: there is "
            "nothing to correct."
        )
    was_public = publication is not None and _has_been_public(publication, now)
    if publication is not None and was_public and publication.first_published_at is None:
        publication.first_published_at = publication.publish_at  # public, not announced yet
    if publication is None:
        publication = Publication(claim=locked, slug=slug_for(locked.text))
    for name, value in snapshot.items():
        setattr(publication, name, value)
    publication.published_by = user
    if not public_now:
        publication.publish_at = publish_at or now
        publication.announced_at = None
        publication.unpublished_at = None
        publication.unpublish_reason = ""
        if not was_public:
            publication.first_published_at = None
    correction = None
    if was_public and before is not None and before != snapshot:
        correction = {
            "from_verdict": before["verdict"],
            "from_label": before["rating_label"],
            "to_verdict": snapshot["verdict"],
            "to_label": snapshot["rating_label"],
            "reason": reason or explanation,
        }
    publication.full_clean(exclude=["claim", "published_by"])
    publication.save()

    claim_touch(claim=locked)
    version_after = locked.version + 1
    immediate = publication.publish_at <= now
    if correction is not None:
        corrected = PublicationChange.objects.create(
            claim=locked,
            action=PublicationAction.CORRECTED,
            actor=user,
            publish_at=publication.publish_at,
            channel=channel,
            claim_version=version_after,
            **correction,
        )
        publication.corrected_at = corrected.at
        publication.save(update_fields=["corrected_at"])
    if correction is None or not public_now:
        PublicationChange.objects.create(
            claim=locked,
            action=PublicationAction.PUBLISHED if immediate else PublicationAction.SCHEDULED,
            actor=user,
            publish_at=publication.publish_at,
            reason=reason,
            to_verdict=snapshot["verdict"],
            to_label=snapshot["rating_label"],
            channel=channel,
            claim_version=version_after,
        )
    locked.version = version_after
    publication.claim = locked
    if immediate:
        _announce(publication, actor=user, correction=correction)
    return publication


@transaction.atomic
def claim_unpublish(
    *, actor: Actor, claim: Claim, reason: str, channel: Channel, version: int | None = None
) -> Publication:
    """Take a published or scheduled fact check off the public site, with a reason."""
    user = require_perm(actor, permissions.PUBLISH_CLAIM, "unpublish fact checks")
    locked = claim_lock(claim_id=claim.pk)
    if version is not None:
        check_version(current=locked.version, seen=version)
    publication = Publication.objects.select_for_update().filter(claim=locked).first()
    if publication is None or publication.unpublished_at is not None:
        raise PublicationError("This claim is not published: there is nothing to unpublish.")
    reason = text_clean(reason, field="reason", max_length=REASON_MAX_LENGTH)
    if not reason:
        raise ValidationError({"reason": "Say why the fact check is unpublished."})
    now = timezone.now()
    if publication.first_published_at is None and publication.publish_at <= now:
        publication.first_published_at = publication.publish_at  # public, not announced yet
    announced = publication.announced_at is not None
    publication.unpublished_at = now
    publication.unpublish_reason = reason
    publication.save()
    claim_touch(claim=locked)
    locked.version += 1
    PublicationChange.objects.create(
        claim=locked,
        action=PublicationAction.UNPUBLISHED,
        actor=user,
        reason=reason,
        channel=channel,
        claim_version=locked.version,
    )
    if announced:  # who heard of it hears it is gone
        claim_unpublished_record(claim=locked, actor=user, reason=reason)
    return publication


def publications_announce(*, limit: int = 500) -> int:
    """Send ``claim.published`` for the scheduled fact checks whose time came; once each.

    Each in its own transaction, the publication locked and skipped when another sweeper
    holds it, so that two beats at once cannot announce one twice. Returns how many.
    """
    announced = 0
    for claim_id in list(selectors.publications_due().values_list("claim_id", flat=True)[:limit]):
        with transaction.atomic():
            publication = (
                selectors.publications_due()
                .select_for_update(skip_locked=True, of=("self", "claim"))
                .select_related("claim", "published_by")
                .filter(claim_id=claim_id)
                .first()
            )
            if publication is None:
                continue
            # Its public address and state changed: a new version for ETags and the index.
            claim_touch(claim=publication.claim)
            publication.claim.version += 1
            _announce(publication, actor=publication.published_by, correction=None)
            announced += 1
    return announced
