"""Reads of other publishers' reviews: the verdict each means, looked up when it is read."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, OuterRef, QuerySet, Subquery

from interchange.models import RatingMapping, Review


def mapped_verdict(rating_key: Any = None) -> Subquery:
    """The verdict a review's rating label means (NULL for a label nobody mapped).
    ``rating_key``: the key to look up, by default the review row's own."""
    return Subquery(
        RatingMapping.objects.filter(key=rating_key or OuterRef("rating_key")).values("verdict")[
            :1
        ],
        output_field=CharField(),
    )


def reviews_with_verdict() -> QuerySet[Review]:
    return Review.objects.annotate(verdict=mapped_verdict())


def claim_reviews(*, claim_id: Any) -> QuerySet[Review]:
    """A claim's reviews by other publishers, the latest first, with their mapped verdicts."""
    return reviews_with_verdict().filter(claim_id=claim_id)
