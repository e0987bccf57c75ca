"""Reads of the status concern: the evidence a status change may cite, a claim's history."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from claims.models import Claim
from verification.models import Evidence, StatusChange


def evidence_citable(*, claim: Claim | Any) -> QuerySet[Evidence]:
    """Evidence a status change of ``claim`` may cite: attached to it and not withdrawn.

    ``claim`` may be an expression (``OuterRef("pk")``), to count it in a subquery.
    """
    return Evidence.objects.filter(claim=claim, withdrawn_at__isnull=True)


def claim_citable_evidence(*, claim: Claim) -> QuerySet[Evidence]:
    """The evidence ``claim`` may cite, oldest first, as the status change form lists it."""
    return evidence_citable(claim=claim).order_by("added_at")


def claim_status_history(*, claim: Claim) -> QuerySet[StatusChange]:
    """The claim's status changes, oldest first, with actor and cited evidence loaded."""
    return (
        StatusChange.objects.filter(claim=claim)
        .select_related("actor")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("added_at")))
        .order_by("at", "id")
    )
