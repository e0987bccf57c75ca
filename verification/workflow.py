"""The status workflow of DESIGN.md, as data."""

from __future__ import annotations

from claims.models import ClaimStatus

S = ClaimStatus

VERDICTS = (S.VERIFIED, S.FALSE, S.MISLEADING, S.UNPROVEN)

ALLOWED_TRANSITIONS: dict[ClaimStatus, tuple[ClaimStatus, ...]] = {
    S.UNVERIFIED: (S.IN_REVIEW,),
    S.IN_REVIEW: (*VERDICTS, S.UNVERIFIED),
    **{verdict: (S.IN_REVIEW,) for verdict in VERDICTS},
}

# These verdicts must cite at least one piece of (not withdrawn) evidence.
REQUIRES_EVIDENCE = frozenset({S.VERIFIED, S.FALSE, S.MISLEADING})

# schema.org ClaimReview reviewRating: ratingValue on a 1 (false) to 5 (true) scale.
REVIEW_RATING = {
    S.FALSE: 1,
    S.MISLEADING: 2,
    S.UNPROVEN: 3,
    S.VERIFIED: 5,
}


def allowed_targets(status: str) -> tuple[ClaimStatus, ...]:
    return ALLOWED_TRANSITIONS[ClaimStatus(status)]
