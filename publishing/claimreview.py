"""A fact check as schema.org ClaimReview (JSON-LD), the one home of that mapping.

Follows schema.org's ClaimReview and Claim and Google's documented properties (required:
``claimReviewed``, ``reviewRating`` with ``alternateName``, ``url``, ``author``;
recommended: ``datePublished``, ``itemReviewed`` as a Claim with its ``author``,
``datePublished`` and ``appearance`` / ``firstAppearance``). The page, the DataFeed and the
claim.published event read it from here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from claims.models import Appearance, Source, SourceKind
from core.sites import site_url
from publishing.selectors import FactCheck, claimant_path

CONTEXT = "https://schema.org"

# Inside <script>, only "</script" (or "<!--") could end the block: JSON escapes of <, > and &
# keep any text a claim holds inside it, and leave the JSON as it was.
_SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def json_ld_date(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def json_ld_compact(data: dict[str, Any]) -> dict[str, Any]:
    """Without the properties that have no value."""
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def publisher() -> dict[str, Any]:
    """The organisation that publishes the fact checks (settings PUBLISHER_*)."""
    logo = settings.PUBLISHER_LOGO_URL
    return json_ld_compact(
        {
            "@type": "Organization",
            "name": settings.PUBLISHER_NAME,
            "url": settings.PUBLISHER_URL,
            "logo": {"@type": "ImageObject", "url": logo} if logo else None,
        }
    )


def json_ld_author(source: Source) -> dict[str, Any]:
    person = source.kind == SourceKind.PERSON
    return json_ld_compact(
        {
            "@type": "Person" if person else "Organization",
            "name": source.name,
            "jobTitle": source.role if person else None,
            "url": source.url or None,
            "sameAs": site_url(claimant_path(source)),
        }
    )


def json_ld_appearance(appearance: Appearance) -> dict[str, Any]:
    return json_ld_compact(
        {
            "@type": "CreativeWork",
            "url": appearance.url,
            "datePublished": json_ld_date(appearance.published_at),
            "publisher": {"@type": "Organization", "name": appearance.outlet}
            if appearance.outlet
            else None,
        }
    )


def claim_review(fact_check: FactCheck) -> dict[str, Any]:
    """The ClaimReview of a published fact check (one per page)."""
    claim = fact_check.claim
    publication = fact_check.publication
    first = fact_check.first_appearance
    item_reviewed = json_ld_compact(
        {
            "@type": "Claim",
            "author": json_ld_author(claim.claimant) if claim.claimant else None,
            "datePublished": json_ld_date(
                claim.first_seen_at or (first.published_at if first else None)
            ),
            "appearance": [json_ld_appearance(item) for item in fact_check.appearances],
            "firstAppearance": json_ld_appearance(first) if first else None,
        }
    )
    return json_ld_compact(
        {
            "@context": CONTEXT,
            "@type": "ClaimReview",
            "url": fact_check.url,
            "claimReviewed": claim.text,
            "author": publisher(),
            "datePublished": json_ld_date(fact_check.date_published),
            "dateModified": json_ld_date(publication.corrected_at),
            "inLanguage": claim.language,
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": publication.rating_value,
                "bestRating": publication.best_rating,
                "worstRating": publication.worst_rating,
                "alternateName": publication.rating_label,
                "ratingExplanation": publication.explanation,
            },
            "itemReviewed": item_reviewed,
        }
    )


def json_text(data: Any) -> str:
    """``data`` as JSON with <, > and & escaped: safe inside a ``<script>`` element, and
    inert wherever a browser might take it for HTML."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)


def json_ld(data: dict[str, Any]) -> SafeString:
    """``data`` as the body of a ``<script type="application/ld+json">`` element."""
    return mark_safe(json_text(data))  # noqa: S308 (escaped for <script>)
