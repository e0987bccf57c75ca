"""Reads of other publishers' reviews: the verdict each means, looked up when it is read."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject

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


# What a claim's row shows of each review (claims.selectors.claim_rows; the API's ``reviews``).
REVIEW_ROW_FIELDS = (
    "url",
    "publisher_name",
    "publisher_site",
    "title",
    "rating_label",
    "rating_value",
    "best_rating",
    "worst_rating",
    "reviewed_at",
    "language",
)


def review_rows(*, claim: Any) -> ArraySubquery:
    """The reviews of ``claim`` (an ``OuterRef``) as one array of JSON objects, with their
    mapped verdicts, the latest first: one subquery in the claim's row, not a query a claim."""
    reviews = (
        Review.objects.filter(claim=claim)
        .order_by(F("reviewed_at").desc(nulls_last=True), "publisher_name", "url")
        .values(
            json=JSONObject(**{name: name for name in REVIEW_ROW_FIELDS}, verdict=mapped_verdict())
        )
    )
    return ArraySubquery(reviews)


def reviewed_condition(*, publisher: str = "", verdict: str = "") -> Exists:
    """Claims with a review (by ``publisher``: its site or name, in any case; whose label maps
    to ``verdict``): for a claims queryset's ``filter``."""
    reviews = Review.objects.filter(claim=OuterRef("pk"))
    if publisher:
        site = publisher.strip().lower().removeprefix("www.")
        reviews = reviews.filter(
            Q(publisher_site=site) | Q(publisher_name__iexact=publisher.strip())
        )
    if verdict:
        keys = RatingMapping.objects.filter(verdict=verdict).values("key")
        reviews = reviews.filter(rating_key__in=keys)
    return Exists(reviews)
