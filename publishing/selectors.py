"""Reads of what is public: which claims, their fact checks, and where they are.

``public_claims`` is the one rule of visibility: every public surface (pages, lists, search,
sitemap, feeds, the anonymous API) starts from it, at the moment of the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from claims.models import Appearance, Claim, Source, Statement
from core.sites import site_url
from publishing.models import (
    Publication,
    PublicationAction,
    PublicationChange,
    PublicationState,
    RatingLabel,
)
from verification.models import CaptureState, Evidence, EvidenceCapture, StatusChange


def public_condition(*, now: datetime | None = None, prefix: str = "publication__") -> Q:
    """Public: published, not withdrawn, and its ``publish_at`` passed."""
    return Q(
        **{
            f"{prefix}publish_at__lte": now or timezone.now(),
            f"{prefix}unpublished_at__isnull": True,
        }
    )


def public_claims(*, now: datetime | None = None) -> QuerySet[Claim]:
    """The claims readers may see now."""
    return Claim.objects.filter(public_condition(now=now))


def publication_state(
    *, publish_at: datetime | None, unpublished_at: datetime | None, now: datetime | None = None
) -> PublicationState:
    if publish_at is None:
        return PublicationState.DRAFT
    if unpublished_at is not None:
        return PublicationState.UNPUBLISHED
    if publish_at > (now or timezone.now()):
        return PublicationState.SCHEDULED
    return PublicationState.PUBLISHED


def public_path(claim_id: Any, slug: str) -> str:
    return reverse("public:fact-check", kwargs={"claim_id": claim_id, "slug": slug})


def public_url(claim_id: Any, slug: str) -> str:
    """The fact check's canonical address."""
    return site_url(public_path(claim_id, slug))


def claimant_path(source: Source) -> str:
    return reverse("public:claimant", kwargs={"source_id": source.pk})


def rating_label(verdict: str) -> RatingLabel | None:
    """The active scale's label for ``verdict``."""
    return (
        RatingLabel.objects.select_related("scale")
        .filter(scale__active=True, verdict=verdict)
        .first()
    )


def verdict_explanation(claim: Claim) -> str:
    """The reviewers' explanation of the claim's verdict: the reason of its last status change."""
    change = StatusChange.objects.filter(claim=claim).order_by("-at", "-id").first()
    return change.reason if change else ""


@dataclass(frozen=True)
class FactCheck:
    """A published claim with everything its page and its ClaimReview show."""

    claim: Claim
    publication: Publication
    appearances: list[Appearance]
    statements: list[Statement]
    evidence: list[Evidence]
    corrections: list[PublicationChange]

    @property
    def url(self) -> str:
        return public_url(self.claim.pk, self.publication.slug)

    @property
    def path(self) -> str:
        return public_path(self.claim.pk, self.publication.slug)

    @property
    def first_appearance(self) -> Appearance | None:
        return self.appearances[0] if self.appearances else None

    @property
    def date_published(self) -> datetime:
        return self.publication.first_published_at or self.publication.publish_at


def _fact_check_claims(now: datetime | None = None) -> QuerySet[Claim]:
    return (
        public_claims(now=now)
        .select_related("publication", "claimant")
        .prefetch_related(
            "appearances",
            Prefetch("statements", Statement.objects.select_related("source")),
            Prefetch(
                "evidence",
                Evidence.objects.filter(public=True, withdrawn_at__isnull=True).prefetch_related(
                    Prefetch(
                        "captures",
                        EvidenceCapture.objects.filter(state=CaptureState.SUCCEEDED).order_by(
                            "-fetched_at"
                        ),
                        to_attr="archived",  # the newest first: the page's "archived copy"
                    )
                ),
                to_attr="public_evidence",
            ),
            Prefetch(
                "publication_changes",
                PublicationChange.objects.filter(action=PublicationAction.CORRECTED),
                to_attr="corrections",
            ),
        )
    )


def _fact_check(claim: Claim) -> FactCheck:
    return FactCheck(
        claim=claim,
        publication=claim.publication,
        appearances=list(claim.appearances.all()),
        statements=list(claim.statements.all()),
        evidence=list(claim.public_evidence),  # type: ignore[attr-defined]
        corrections=list(claim.corrections),  # type: ignore[attr-defined]
    )


def fact_check_get(claim_id: Any) -> FactCheck | None:
    """The claim's fact check, if it is public now."""
    claim = _fact_check_claims().filter(pk=claim_id).first()
    return _fact_check(claim) if claim else None


def fact_checks(claims: QuerySet[Claim]) -> list[FactCheck]:
    """The fact checks of these claims (public ones only), in the queryset's order."""
    ids = list(claims.values_list("pk", flat=True))
    found = {claim.pk: claim for claim in _fact_check_claims().filter(pk__in=ids)}
    return [_fact_check(found[pk]) for pk in ids if pk in found]


def fact_checks_stream(*, chunk: int = 500) -> Any:
    """Every public fact check, newest first, loaded ``chunk`` at a time (the feeds)."""
    now = timezone.now()
    newest = public_claims(now=now).order_by("-publication__publish_at", "pk")
    ids = list(newest.values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        batch = ids[start : start + chunk]
        found = {claim.pk: claim for claim in _fact_check_claims(now).filter(pk__in=batch)}
        for claim_id in batch:
            if claim_id in found:
                yield _fact_check(found[claim_id])


# What a list of fact checks shows of each.
LIST_FIELDS = (
    "id",
    "text",
    "language",
    "claimant__name",
    "publication__slug",
    "publication__verdict",
    "publication__rating_label",
    "publication__publish_at",
    "publication__first_published_at",
)


def public_list(
    *, verdict: str = "", claimant: Source | None = None, ids: list[str] | None = None
) -> QuerySet[Claim]:
    """Public claims for a list page, newest first: with publication and claimant."""
    claims = public_claims().select_related("publication", "claimant").only(*LIST_FIELDS)
    if verdict:
        claims = claims.filter(publication__verdict=verdict)
    if claimant is not None:
        claims = claims.filter(claimant=claimant)
    if ids is not None:
        claims = claims.filter(pk__in=ids)
    return claims.order_by("-publication__publish_at", "pk")


def publications_due(*, now: datetime | None = None) -> QuerySet[Publication]:
    """Publications public now whose ``claim.published`` was not sent yet (scheduled ones)."""
    return Publication.objects.filter(
        public_condition(now=now, prefix=""), announced_at__isnull=True
    ).order_by("publish_at")
