"""Reads of the status concern: the evidence a status change may cite, a claim's history,
its verdict proposals."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import JSONField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import JSONObject

from claims.models import Claim
from verification.models import (
    Evidence,
    EvidenceCapture,
    ProposalOutcome,
    StatusChange,
    VerdictProposal,
    VerdictProposalEvidence,
)


def evidence_citable(*, claim: Claim | Any) -> QuerySet[Evidence]:
    """Evidence a status change of ``claim`` may cite: attached to it and not withdrawn.

    ``claim`` may be an expression (``OuterRef("pk")``), to count it in a subquery.
    """
    return Evidence.objects.filter(claim=claim, withdrawn_at__isnull=True)


def claim_citable_evidence(*, claim: Claim) -> QuerySet[Evidence]:
    """The evidence ``claim`` may cite, oldest first, as the status change form lists it."""
    return evidence_citable(claim=claim).order_by("added_at")


def evidence_captures_loaded(evidence: QuerySet[Evidence]) -> QuerySet[Evidence]:
    """``evidence`` with its captures (oldest first) and who asked for each: one query more."""
    captures = EvidenceCapture.objects.select_related("requested_by").order_by("requested_at")
    return evidence.prefetch_related(Prefetch("captures", queryset=captures))


def claim_status_history(*, claim: Claim) -> QuerySet[StatusChange]:
    """The claim's status changes, oldest first, with actor and cited evidence loaded."""
    return (
        StatusChange.objects.filter(claim=claim)
        .select_related("actor", "proposal__proposed_by")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("added_at")))
        .order_by("at", "id")
    )


def claim_proposals(*, claim: Claim) -> QuerySet[VerdictProposal]:
    """The claim's verdict proposals, oldest first, with who and what they cite loaded."""
    return (
        VerdictProposal.objects.filter(claim=claim)
        .select_related("proposed_by", "decided_by")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("added_at")))
        .order_by("proposed_at", "id")
    )


def proposals_awaiting(*, reviewer: Any) -> QuerySet[VerdictProposal]:
    """Proposals awaiting approval that ``reviewer`` may approve (not their own), oldest
    first (a partial index holds the pending ones)."""
    return (
        VerdictProposal.objects.filter(outcome=ProposalOutcome.PENDING)
        .exclude(proposed_by=reviewer)
        .select_related("claim", "proposed_by")
        .order_by("proposed_at", "id")
    )


def proposal_pending_json(*, claim: Any) -> Subquery:
    """The claim's proposal awaiting approval as JSON, null if none: a column of claim rows.

    ``claim`` is an expression (``OuterRef("pk")``).
    """
    cited = (
        VerdictProposalEvidence.objects.filter(proposal=OuterRef("pk"))
        .order_by("evidence__added_at")
        .values("evidence_id")
    )
    pending = VerdictProposal.objects.filter(claim=claim, outcome=ProposalOutcome.PENDING)
    return Subquery(
        pending.values(
            json=JSONObject(
                id="id",
                verdict="verdict",
                reason="reason",
                evidence=ArraySubquery(cited),
                proposed_by="proposed_by__username",
                proposed_at="proposed_at",
            )
        )[:1],
        output_field=JSONField(),
    )
