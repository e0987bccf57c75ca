"""Writes of the verification workflow: evidence and status transitions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pghistory
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from claims.models import Claim, ClaimStatus
from claims.services import check_version, claim_lock, claim_touch
from claims.text import text_clean
from core import permissions
from core.actors import Actor, require_perm
from core.errors import ProposalError, TransitionNotAllowedError
from notifications.services import (
    evidence_added_record,
    status_change_record,
    verdict_proposed_record,
    verdict_rejected_record,
)
from verification import workflow
from verification.capture import capture_create
from verification.models import (
    CAPTURE_DIRECTORY,
    EVIDENCE_DIRECTORY,
    EVIDENCE_FILE_OR_URL,
    REASON_MAX_LENGTH,
    Channel,
    Evidence,
    EvidenceCapture,
    ProposalOutcome,
    StatusChange,
    StatusChangeEvidence,
    VerdictProposal,
    VerdictProposalEvidence,
)
from verification.selectors import evidence_citable
from verification.uploads import inspect_upload


@transaction.atomic
def evidence_add(
    *,
    actor: Actor,
    claim: Claim,
    kind: str,
    stance: str,
    description: str = "",
    file: UploadedFile | None = None,
    url: str = "",
    public: bool = False,
) -> Evidence:
    """Attach evidence to a claim: an uploaded file (checked and hashed) or a URL (captured
    in the background: verification/capture.py); ``public`` to show it with the published
    fact check."""
    user = require_perm(actor, permissions.ADD_EVIDENCE, "add evidence")
    if bool(file) == bool(url):
        raise ValidationError(EVIDENCE_FILE_OR_URL)
    locked = claim_lock(claim_id=claim.pk)
    evidence = Evidence(
        claim=locked,
        kind=kind,
        stance=stance,
        description=description,
        url=url,
        public=public,
        added_by=user,
    )
    if file:
        info = inspect_upload(file)
        evidence.original_name = info.name
        evidence.content_type = info.content_type
        evidence.size = info.size
        evidence.sha256 = info.sha256
        evidence.file.save(f"upload.{info.extension}", file, save=False)
    evidence.full_clean()
    evidence.save()
    if evidence.url:  # kept before it rots: fetched in the background
        capture_create(evidence=evidence, user=user)
    claim_touch(claim=locked)
    evidence_added_record(evidence=evidence, actor=user)
    return evidence


def evidence_orphans_remove(*, older_than: timedelta, dry_run: bool = False) -> list[str]:
    """Delete stored files that no row refers to (evidence files, captured pages and their
    WARC records), stored before ``older_than``.

    A file is stored before its row commits: when that transaction rolls back (a refused
    admin save whose other rows failed, a crash), the file stays behind. The age keeps the
    files of transactions still running. Returns the names deleted (or, with ``dry_run``,
    that would be).
    """
    storage = Evidence._meta.get_field("file").storage
    cutoff = timezone.now() - older_than
    orphans: list[str] = []
    for directory, referenced_among in (
        (EVIDENCE_DIRECTORY, _evidence_files),
        (CAPTURE_DIRECTORY, _capture_files),
    ):
        try:
            _, names = storage.listdir(directory)
        except FileNotFoundError:
            continue
        stored = sorted(f"{directory}/{name}" for name in names)
        for start in range(0, len(stored), 1000):
            batch = stored[start : start + 1000]
            referenced = referenced_among(batch)
            orphans += [
                name
                for name in batch
                if name not in referenced and storage.get_modified_time(name) < cutoff
            ]
    if not dry_run:
        for name in orphans:
            storage.delete(name)
    return orphans


def _evidence_files(names: list[str]) -> set[str]:
    return set(Evidence.objects.filter(file__in=names).values_list("file", flat=True))


def _capture_files(names: list[str]) -> set[str]:
    rows = EvidenceCapture.objects.filter(Q(content__in=names) | Q(warc__in=names))
    return {name for pair in rows.values_list("content", "warc") for name in pair}


@transaction.atomic
def evidence_withdraw(*, actor: Actor, evidence: Evidence, reason: str) -> Evidence:
    """Withdraw evidence with a reason. It stays on record; it can no longer be cited."""
    user = require_perm(actor, permissions.CHANGE_EVIDENCE, "withdraw evidence")
    locked_claim = claim_lock(claim_id=evidence.claim_id)
    locked = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if locked.is_withdrawn:
        raise ValidationError("This evidence was already withdrawn.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the evidence is withdrawn."})
    locked.withdrawn_at = timezone.now()
    locked.withdrawn_by = user
    locked.withdrawal_reason = text_clean(reason, field="reason", max_length=REASON_MAX_LENGTH)
    locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    claim_touch(claim=locked_claim)
    return locked


@transaction.atomic
def evidence_public_set(*, actor: Actor, evidence: Evidence, public: bool) -> Evidence:
    """Show the evidence with the published fact check, or keep it internal."""
    require_perm(actor, permissions.CHANGE_EVIDENCE, "change evidence")
    locked_claim = claim_lock(claim_id=evidence.claim_id)
    locked = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if locked.public != public:
        if public and locked.is_withdrawn:
            raise ValidationError({"public": "Withdrawn evidence cannot be made public."})
        locked.public = public
        locked.save(update_fields=["public"])
        claim_touch(claim=locked_claim)
    return locked


@transaction.atomic
def claim_transition(
    *,
    actor: Actor,
    claim: Claim,
    status: str,
    reason: str,
    channel: Channel,
    evidence: Iterable[Evidence | Any] = (),
    version: int | None = None,
) -> StatusChange | VerdictProposal:
    """Move a claim to another status: the only way a status ever changes.

    Follows the workflow table; needs a reason, and cited evidence for the verdicts
    verified, false and misleading. ``version``, when given, is the one the reviewer saw:
    a claim changed since is refused. Writes the StatusChange and its notifications
    (outbox), in the same transaction.

    With second approval (VERDICT_APPROVAL_REQUIRED), a move to a verdict is a proposal
    instead: the VerdictProposal is returned, and the status changes when another reviewer
    approves it (verdict_approve). While a proposal awaits, the claim moves nowhere else.
    """
    user = require_perm(actor, permissions.CHANGE_CLAIM_STATUS, "change the status of claims")
    locked = claim_lock(claim_id=claim.pk)
    if version is not None:
        check_version(current=locked.version, seen=version)
    if status not in ClaimStatus.values:
        raise ValidationError(
            {"status": f"{status!r} is not a status. Use one of: {', '.join(ClaimStatus)}."}
        )
    if (pending := proposal_pending(claim=locked)) is not None:
        raise ProposalError(
            f"The verdict {pending.verdict} proposed by {pending.proposed_by} awaits approval: "
            "approve or reject it before the status can change."
        )
    allowed = workflow.allowed_targets(locked.status)
    if status not in allowed:
        raise TransitionNotAllowedError(
            from_status=locked.status, to_status=status, allowed=allowed
        )
    reason = text_clean(reason, field="reason", max_length=REASON_MAX_LENGTH)
    if not reason:
        raise ValidationError({"reason": "Give a reason for the status change."})

    wanted = {item.pk if isinstance(item, Evidence) else item for item in evidence}
    cited = list(evidence_citable(claim=locked).filter(pk__in=wanted))
    if len(cited) != len(wanted):
        raise ValidationError(
            {"evidence": "Cite only evidence attached to this claim and not withdrawn."}
        )
    if status in workflow.REQUIRES_EVIDENCE and not cited:
        raise ValidationError(
            {"evidence": f"Cite at least one piece of evidence for the verdict {status!r}."}
        )
    if status in workflow.VERDICTS and settings.VERDICT_APPROVAL_REQUIRED:
        return _verdict_propose(
            claim=locked, verdict=status, user=user, reason=reason, cited=cited, channel=channel
        )
    return _status_change_write(
        claim=locked, status=status, user=user, reason=reason, cited=cited, channel=channel
    )


def _status_change_write(
    *,
    claim: Claim,
    status: str,
    user: User,
    reason: str,
    cited: list[Evidence],
    channel: Channel,
    proposal: VerdictProposal | None = None,
) -> StatusChange:
    """The change itself, on a locked and checked claim: its row, its version, its event."""
    from_status = claim.status
    claim.status = status
    claim.version += 1
    with pghistory.context(channel=str(channel)):
        claim.save(update_fields=["status", "version", "updated_at"])
        change = StatusChange.objects.create(
            claim=claim,
            from_status=from_status,
            to_status=status,
            actor=user,
            reason=reason,
            channel=channel,
            claim_version=claim.version,
            proposal=proposal,
        )
        StatusChangeEvidence.objects.bulk_create(
            [StatusChangeEvidence(status_change=change, evidence=item) for item in cited]
        )
    # The outbox: the event and its deliveries commit or roll back with the change.
    status_change_record(change=change, cited=cited)
    return change


def _verdict_propose(
    *,
    claim: Claim,
    verdict: str,
    user: User,
    reason: str,
    cited: list[Evidence],
    channel: Channel,
) -> VerdictProposal:
    """A verdict awaiting a second reviewer, on a locked and checked claim."""
    claim.version += 1
    with pghistory.context(channel=str(channel)):
        claim.save(update_fields=["version", "updated_at"])
        proposal = VerdictProposal.objects.create(
            claim=claim, verdict=verdict, reason=reason, proposed_by=user, channel=channel
        )
        VerdictProposalEvidence.objects.bulk_create(
            [VerdictProposalEvidence(proposal=proposal, evidence=item) for item in cited]
        )
    verdict_proposed_record(proposal=proposal, cited=cited)
    return proposal


def proposal_pending(*, claim: Claim) -> VerdictProposal | None:
    """The claim's proposal awaiting approval, if any (there is at most one)."""
    return (
        VerdictProposal.objects.select_related("proposed_by")
        .filter(claim=claim, outcome=ProposalOutcome.PENDING)
        .first()
    )


def _pending_for_decision(*, claim: Claim, version: int | None) -> VerdictProposal:
    if version is not None:
        check_version(current=claim.version, seen=version)
    pending = proposal_pending(claim=claim)
    if pending is None:
        raise ProposalError(
            "This claim has no verdict proposal awaiting approval: nothing to approve or reject."
        )
    return pending


@transaction.atomic
def verdict_approve(
    *,
    actor: Actor,
    claim: Claim,
    channel: Channel,
    reason: str = "",
    version: int | None = None,
) -> StatusChange:
    """Approve the claim's pending verdict proposal: the verdict becomes the claim's status.

    The approver must be another reviewer than the proposer, whatever their role. The
    StatusChange carries the proposal's reason and evidence, the approver as its actor and
    the proposal it comes from; ``reason`` is the approver's optional comment.
    """
    user = require_perm(actor, permissions.CHANGE_CLAIM_STATUS, "approve verdicts")
    locked = claim_lock(claim_id=claim.pk)
    proposal = _pending_for_decision(claim=locked, version=version)
    if proposal.proposed_by_id == user.pk:
        raise PermissionDenied(
            "You proposed this verdict, so another reviewer must approve it: a verdict needs a "
            "second pair of eyes, whatever the role (superusers too). You may reject it instead."
        )
    comment = text_clean(reason, field="reason", max_length=REASON_MAX_LENGTH)
    cited = list(proposal.evidence.order_by("added_at"))
    if withdrawn := [item for item in cited if item.is_withdrawn]:
        raise ProposalError(
            f"Evidence the proposal cites was withdrawn since ({withdrawn[0]}): reject the "
            "proposal, and propose the verdict again with the evidence that stands."
        )
    allowed = workflow.allowed_targets(locked.status)
    if proposal.verdict not in allowed:  # the proposal keeps the claim where it was
        raise TransitionNotAllowedError(
            from_status=locked.status, to_status=proposal.verdict, allowed=allowed
        )
    _proposal_decide(
        proposal, user=user, outcome=ProposalOutcome.APPROVED, reason=comment, channel=channel
    )
    return _status_change_write(
        claim=locked,
        status=proposal.verdict,
        user=user,
        reason=proposal.reason,
        cited=cited,
        channel=channel,
        proposal=proposal,
    )


@transaction.atomic
def verdict_reject(
    *,
    actor: Actor,
    claim: Claim,
    reason: str,
    channel: Channel,
    version: int | None = None,
) -> VerdictProposal:
    """Reject the claim's pending verdict proposal with a reason; the claim stays in review
    and the proposer is told. The proposer may reject (withdraw) their own proposal."""
    user = require_perm(actor, permissions.CHANGE_CLAIM_STATUS, "reject verdicts")
    locked = claim_lock(claim_id=claim.pk)
    proposal = _pending_for_decision(claim=locked, version=version)
    reason = text_clean(reason, field="reason", max_length=REASON_MAX_LENGTH)
    if not reason:
        raise ValidationError(
            {"reason": "Say why the proposal is rejected: its author reads it to try again."}
        )
    locked.version += 1
    with pghistory.context(channel=str(channel)):
        locked.save(update_fields=["version", "updated_at"])
        _proposal_decide(
            proposal, user=user, outcome=ProposalOutcome.REJECTED, reason=reason, channel=channel
        )
    verdict_rejected_record(proposal=proposal)
    return proposal


def _proposal_decide(
    proposal: VerdictProposal, *, user: User, outcome: str, reason: str, channel: Channel
) -> None:
    proposal.outcome = outcome
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.decision_reason = reason
    proposal.decision_channel = channel
    proposal.save(
        update_fields=["outcome", "decided_by", "decided_at", "decision_reason", "decision_channel"]
    )
