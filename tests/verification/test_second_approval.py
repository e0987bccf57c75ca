"""Second approval: a verdict is a proposal until another reviewer approves it."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from claims.models import Claim
from core.errors import ProposalError, StaleVersionError
from notifications.models import Delivery, Event
from notifications.services import delivery_send
from tests import factories as f
from verification import services
from verification.models import Channel, ProposalOutcome, StatusChange, VerdictProposal

pytestmark = pytest.mark.django_db


def in_review(**kwargs) -> Claim:
    claim = f.claim(**kwargs)
    f.transition(claim=claim, status="in_review")
    claim.refresh_from_db()
    return claim


def propose(claim: Claim, proposer, status: str = "false", **kwargs) -> VerdictProposal:
    kwargs.setdefault("evidence", [f.evidence(claim=claim)] if status != "unproven" else [])
    claim.refresh_from_db()
    proposal = services.claim_transition(
        actor=proposer,
        claim=claim,
        status=status,
        reason=kwargs.pop("reason", "Satellite imagery shows no withdrawal."),
        channel=Channel.API,
        version=claim.version,
        **kwargs,
    )
    assert isinstance(proposal, VerdictProposal)
    claim.refresh_from_db()
    return proposal


def test_a_verdict_is_a_proposal_and_the_status_waits():
    claim = in_review()
    proposer = f.reviewer(username="olena")
    version = claim.version

    proposal = propose(claim, proposer)

    claim.refresh_from_db()
    assert claim.status == "in_review"
    assert claim.version == version + 2  # the evidence added, then the proposal
    assert proposal.outcome == ProposalOutcome.PENDING
    assert proposal.proposed_by == proposer
    assert proposal.evidence.count() == 1
    assert not StatusChange.objects.filter(claim=claim, to_status="false").exists()
    event = Event.objects.get(claim=claim, type="claim.verdict_proposed")
    assert event.payload["data"]["proposal"]["verdict"] == "false"
    assert event.payload["data"]["actor"]["username"] == "olena"


def test_another_reviewer_approves_and_the_verdict_becomes_the_status():
    claim = in_review()
    proposer, approver = f.reviewer(username="olena"), f.reviewer(username="marc")
    proposal = propose(claim, proposer, reason="Imagery of 16 Feb shows the units in place.")

    change = services.verdict_approve(
        actor=approver, claim=claim, reason="Checked the imagery.", channel=Channel.ADMIN,
        version=claim.version,
    )  # fmt: skip

    claim.refresh_from_db()
    proposal.refresh_from_db()
    assert claim.status == "false"
    assert (change.from_status, change.to_status) == ("in_review", "false")
    assert change.actor == approver
    assert change.proposal == proposal
    assert change.reason == "Imagery of 16 Feb shows the units in place."
    assert list(change.evidence.all()) == list(proposal.evidence.all())
    assert change.claim_version == claim.version
    assert proposal.outcome == ProposalOutcome.APPROVED
    assert (proposal.decided_by, proposal.decision_reason) == (approver, "Checked the imagery.")
    assert proposal.decision_channel == Channel.ADMIN
    event = Event.objects.get(claim=claim, payload__data__status_change_id=change.pk)
    assert event.type == "claim.status_changed"
    assert event.payload["data"]["proposal"]["proposed_by"]["username"] == "olena"
    assert event.payload["data"]["actor"]["username"] == "marc"


@pytest.mark.parametrize("superuser", [False, True])
def test_the_proposer_cannot_approve_their_own_whatever_their_role(superuser):
    claim = in_review()
    proposer = f.UserFactory(username="root", is_superuser=True) if superuser else f.reviewer()
    propose(claim, proposer)
    version = claim.version

    with pytest.raises(PermissionDenied, match="superusers too"):
        services.verdict_approve(actor=proposer, claim=claim, channel=Channel.API)

    claim.refresh_from_db()
    assert (claim.status, claim.version) == ("in_review", version)
    assert VerdictProposal.objects.get(claim=claim).outcome == ProposalOutcome.PENDING


def test_the_database_refuses_an_approval_by_the_proposer():
    claim = in_review()
    proposer = f.reviewer()
    proposal = propose(claim, proposer)

    refused = pytest.raises(IntegrityError, match="verdictproposal_second_pair_of_eyes")
    with refused, transaction.atomic():
        VerdictProposal.objects.filter(pk=proposal.pk).update(
            outcome="approved", decided_by=proposer, decided_at=timezone.now(),
            decision_channel="api",
        )  # fmt: skip


def test_approving_or_rejecting_without_a_proposal_is_refused():
    claim = in_review()
    reviewer = f.reviewer()

    with pytest.raises(ProposalError, match="no verdict proposal awaiting approval"):
        services.verdict_approve(actor=reviewer, claim=claim, channel=Channel.API)
    with pytest.raises(ProposalError, match="no verdict proposal awaiting approval"):
        services.verdict_reject(actor=reviewer, claim=claim, reason="No.", channel=Channel.API)


def test_a_rejection_needs_a_reason_and_tells_the_proposer():
    claim = in_review()
    proposer = f.reviewer(username="olena", email="olena@example.org")
    other = f.reviewer(username="marc")
    proposal = propose(claim, proposer)
    version = claim.version

    for blank in ("", "   \n\t"):
        with pytest.raises(ValidationError, match="Say why the proposal is rejected"):
            services.verdict_reject(actor=other, claim=claim, reason=blank, channel=Channel.API)
    claim.refresh_from_db()
    assert claim.version == version

    services.verdict_reject(
        actor=other, claim=claim, reason="Cite the imagery of 16 Feb, not 14.",
        channel=Channel.API, version=version,
    )  # fmt: skip

    claim.refresh_from_db()
    proposal.refresh_from_db()
    assert (claim.status, claim.version) == ("in_review", version + 1)
    assert proposal.outcome == ProposalOutcome.REJECTED
    assert proposal.decision_reason == "Cite the imagery of 16 Feb, not 14."
    # The proposer is emailed though they do not watch the claim (the outbox, then a send).
    event = Event.objects.get(claim=claim, type="claim.verdict_rejected")
    delivery = Delivery.objects.get(event=event, channel="email", user=proposer)
    assert delivery_send(delivery_id=delivery.pk) == "succeeded"
    [message] = mail.outbox
    assert message.to == ["olena@example.org"]
    assert "Rejected: false" in message.subject
    assert "Cite the imagery of 16 Feb, not 14." in message.body


def test_the_proposer_may_withdraw_by_rejecting_and_propose_again():
    claim = in_review()
    proposer = f.reviewer()
    propose(claim, proposer, status="false")
    services.verdict_reject(actor=proposer, claim=claim, reason="Wrong verdict.", channel="api")

    second = propose(claim, proposer, status="unproven", reason="Not enough to say.")

    assert list(VerdictProposal.objects.filter(claim=claim).values_list("outcome", flat=True)) == [
        "rejected",
        "pending",
    ]
    services.verdict_approve(actor=f.reviewer(), claim=claim, channel=Channel.API)
    claim.refresh_from_db()
    assert claim.status == "unproven"
    second.refresh_from_db()
    assert second.outcome == "approved"


def test_while_a_proposal_awaits_no_other_transition_is_allowed():
    claim = in_review()
    propose(claim, f.reviewer(username="olena"))

    with pytest.raises(ProposalError, match="proposed by olena awaits approval"):
        services.claim_transition(
            actor=f.reviewer(), claim=claim, status="unverified", reason="Back.", channel="api"
        )
    with pytest.raises(ProposalError, match="awaits approval"):
        propose(claim, f.reviewer(), status="unproven")
    assert VerdictProposal.objects.filter(claim=claim).count() == 1


def test_a_stale_version_is_refused_and_nothing_changes():
    claim = in_review()
    propose(claim, f.reviewer())
    stale = claim.version - 1

    with pytest.raises(StaleVersionError):
        services.verdict_approve(
            actor=f.reviewer(), claim=claim, channel=Channel.API, version=stale
        )
    with pytest.raises(StaleVersionError):
        services.verdict_reject(
            actor=f.reviewer(), claim=claim, reason="No.", channel=Channel.API, version=stale
        )
    assert VerdictProposal.objects.get(claim=claim).outcome == "pending"


def test_evidence_withdrawn_since_the_proposal_stops_the_approval():
    claim = in_review()
    evidence = f.evidence(claim=claim)
    propose(claim, f.reviewer(), evidence=[evidence])
    services.evidence_withdraw(actor=f.reviewer(), evidence=evidence, reason="Doctored image.")

    with pytest.raises(ProposalError, match="withdrawn since"):
        services.verdict_approve(actor=f.reviewer(), claim=claim, channel=Channel.API)
    claim.refresh_from_db()
    assert claim.status == "in_review"


def test_an_editor_may_not_propose_approve_or_reject():
    claim = in_review()
    propose(claim, f.reviewer())
    editor = f.editor()

    for call in (
        lambda: services.verdict_approve(actor=editor, claim=claim, channel=Channel.API),
        lambda: services.verdict_reject(actor=editor, claim=claim, reason="x", channel="api"),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_proposals_are_history_the_database_keeps():
    claim = in_review()
    proposal = propose(claim, f.reviewer())

    # Under Django's PROTECT, as a crafted query would.
    refused = pytest.raises(DatabaseError, match="Cannot delete")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM verification_verdictproposal WHERE id = %s", [proposal.pk])
    with pytest.raises(DatabaseError, match="Cannot update"), transaction.atomic():
        VerdictProposal.objects.filter(pk=proposal.pk).update(reason="Rewritten.")
    services.verdict_reject(actor=f.reviewer(), claim=claim, reason="No.", channel="api")
    # Decided once: the decision itself is never rewritten.
    with pytest.raises(DatabaseError, match="Cannot update"), transaction.atomic():
        VerdictProposal.objects.filter(pk=proposal.pk).update(decision_reason="Yes.")
    with pytest.raises(DatabaseError, match="Cannot update"), transaction.atomic():
        VerdictProposal.objects.filter(pk=proposal.pk).update(outcome="pending")


def test_the_database_holds_one_pending_proposal_per_claim():
    claim = in_review()
    proposal = propose(claim, f.reviewer())

    refused = pytest.raises(IntegrityError, match="verdictproposal_one_pending")
    with refused, transaction.atomic():
        VerdictProposal.objects.create(
            claim=claim, verdict="false", reason="Twice.", proposed_by=proposal.proposed_by,
            channel="api",
        )  # fmt: skip


def test_without_second_approval_a_verdict_is_a_status_change(settings):
    settings.VERDICT_APPROVAL_REQUIRED = False
    claim = in_review()

    change = services.claim_transition(
        actor=f.reviewer(), claim=claim, status="unproven", reason="Not enough.", channel="api"
    )

    assert isinstance(change, StatusChange)
    claim.refresh_from_db()
    assert claim.status == "unproven"
    assert not VerdictProposal.objects.exists()


def test_reopening_a_verdict_needs_no_approval():
    claim = in_review()
    f.transition(claim=claim, status="unproven")
    claim.refresh_from_db()

    change = services.claim_transition(
        actor=f.reviewer(), claim=claim, status="in_review", reason="New footage.", channel="api"
    )

    assert isinstance(change, StatusChange)
