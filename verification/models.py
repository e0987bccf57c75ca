"""Evidence reviewers collect and the append-only history of status changes."""

from __future__ import annotations

import functools
import operator
import uuid

import pghistory
import pgtrigger
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from claims.models import URL_MAX_LENGTH, Claim, ClaimStatus
from claims.text import MultiLineTextField, WebAddressField
from verification.workflow import VERDICTS


class EvidenceKind(models.TextChoices):
    DOCUMENT = "document", "Document"
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    DATASET = "dataset", "Dataset"
    WEB_PAGE = "web_page", "Web page"
    TESTIMONY = "testimony", "Testimony"


class EvidenceStance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    REFUTES = "refutes", "Refutes"
    INCONCLUSIVE = "inconclusive", "Inconclusive"


class Channel(models.TextChoices):
    ADMIN = "admin", "Admin"
    API = "api", "API"
    COMMAND = "command", "Command"


# What reviewers' text may hold, wherever it is written (admin, API, services).
EVIDENCE_DESCRIPTION_MAX_LENGTH = 20_000
REASON_MAX_LENGTH = 10_000
EVIDENCE_FILE_OR_URL = "Give either a file or a URL for the evidence, not both or neither."

# Where evidence files are stored, in the default storage (MEDIA_ROOT).
EVIDENCE_DIRECTORY = "evidence"


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    # The stored name is random; the (sanitised) original name is kept in a field.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"{EVIDENCE_DIRECTORY}/{uuid.uuid4().hex}.{suffix}"


@pghistory.track()
class Evidence(models.Model):
    """Attached to a claim by a reviewer: an uploaded file or a URL. Never deleted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices)
    stance = models.CharField(max_length=20, choices=EvidenceStance.choices)
    description = MultiLineTextField(
        blank=True, validators=[MaxLengthValidator(EVIDENCE_DESCRIPTION_MAX_LENGTH)]
    )
    url = WebAddressField(max_length=URL_MAX_LENGTH, blank=True)
    file = models.FileField(upload_to=evidence_upload_to, blank=True, max_length=200)
    original_name = models.CharField(max_length=200, blank=True)
    public = models.BooleanField(
        default=False,
        help_text="Shown on the published fact check (a file too). Internal unless chosen.",
    )
    content_type = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = MultiLineTextField(
        blank=True, validators=[MaxLengthValidator(REASON_MAX_LENGTH)]
    )

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["added_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(url="")) | (~Q(file="") & Q(url="")),
                name="evidence_file_xor_url",
                violation_error_message=EVIDENCE_FILE_OR_URL,
            ),
            models.CheckConstraint(
                condition=Q(file="") | (Q(sha256__regex=r"^[0-9a-f]{64}$") & Q(size__isnull=False)),
                name="evidence_file_has_digest",
            ),
            models.CheckConstraint(
                condition=(Q(withdrawn_at__isnull=True) & Q(withdrawal_reason=""))
                | (Q(withdrawn_at__isnull=False) & Q(withdrawal_reason__regex=r"\S")),
                name="evidence_withdrawal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=EvidenceKind.values), name="evidence_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(stance__in=EvidenceStance.values), name="evidence_stance_valid"
            ),
        ]
        triggers = [pgtrigger.Protect(name="evidence_never_deleted", operation=pgtrigger.Delete)]

    def __str__(self) -> str:
        label = self.original_name or self.url
        return f"{self.get_kind_display()}: {label}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class CaptureState(models.TextChoices):
    PENDING = "pending", "Being captured"
    SUCCEEDED = "succeeded", "Captured"
    FAILED = "failed", "Failed"


# Where captured pages are stored, in the default storage (MEDIA_ROOT).
CAPTURE_DIRECTORY = "captures"


def capture_upload_to(instance: EvidenceCapture, filename: str) -> str:
    return f"{CAPTURE_DIRECTORY}/{uuid.uuid4().hex}-{filename}"


class EvidenceCapture(models.Model):
    """A copy of the page a URL evidence item cites, fetched by the server: the bytes as
    sent, a WARC record of the response, their SHA-256, the final URL, status and headers.

    Append-only: written when requested, updated by its attempts while pending, then never
    again once it succeeded or failed (the database refuses it, and every delete). "Capture
    again" adds another.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="captures")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        max_length=10, choices=CaptureState.choices, default=CaptureState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When the next attempt is due (while pending)."
    )
    error = models.TextField(blank=True, help_text="Why the last attempt failed.")
    final_url = models.TextField(blank=True, help_text="Where the redirects led.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    content = models.FileField(upload_to=capture_upload_to, blank=True, max_length=200)
    warc = models.FileField(upload_to=capture_upload_to, blank=True, max_length=200)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=CaptureState.values), name="evidencecapture_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state=CaptureState.SUCCEEDED)
                | (
                    Q(sha256__regex=r"^[0-9a-f]{64}$", size__isnull=False)
                    & Q(fetched_at__isnull=False, status_code__isnull=False)
                    & ~Q(content="")
                    & ~Q(warc="")
                ),
                name="evidencecapture_success_is_complete",
            ),
            models.CheckConstraint(
                condition=~Q(state=CaptureState.FAILED) | Q(error__regex=r"\S"),
                name="evidencecapture_failure_has_reason",
            ),
        ]
        indexes = [
            # Captures due an attempt (the sweeper).
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state=CaptureState.PENDING),
                name="evidencecapture_due",
            )
        ]
        triggers = [
            pgtrigger.Protect(name="evidencecapture_never_deleted", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="evidencecapture_final",
                operation=pgtrigger.Update,
                condition=~pgtrigger.Q(old__state=CaptureState.PENDING),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()}: {self.final_url or self.evidence.url}"


class StatusChange(models.Model):
    """One status transition of a claim. Append-only: the database refuses UPDATE and DELETE.

    A verdict reached by second approval points to its ``proposal`` (who proposed it, with
    what reason and evidence); ``actor`` is then the reviewer who approved it.
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=ClaimStatus.choices)
    to_status = models.CharField(max_length=20, choices=ClaimStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = MultiLineTextField(validators=[MaxLengthValidator(REASON_MAX_LENGTH)])
    evidence = models.ManyToManyField(
        Evidence, through="StatusChangeEvidence", blank=True, related_name="citations"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    claim_version = models.PositiveIntegerField(help_text="The claim's version after the change.")
    proposal = models.OneToOneField(
        "VerdictProposal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_change",
        help_text="The approved proposal this verdict comes from.",
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_status=models.F("to_status")), name="statuschange_moves"
            ),
            models.CheckConstraint(condition=Q(reason__regex=r"\S"), name="statuschange_reason"),
            models.CheckConstraint(
                condition=Q(from_status__in=ClaimStatus.values)
                & Q(to_status__in=ClaimStatus.values),
                name="statuschange_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="statuschange_channel_valid"
            ),
            models.UniqueConstraint(
                fields=["claim", "claim_version"], name="statuschange_unique_version"
            ),
        ]
        indexes = [
            # The verdicts reached since a day, read from the index alone (the dashboard).
            models.Index(
                fields=["at"],
                include=["to_status", "claim"],
                condition=Q(to_status__in=VERDICTS),
                name="statuschange_verdict_at",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="statuschange_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class StatusChangeEvidence(models.Model):
    """Evidence cited by a status change; written once with it."""

    status_change = models.ForeignKey(StatusChange, on_delete=models.PROTECT)
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status_change", "evidence"], name="statuschangeevidence_unique"
            )
        ]
        triggers = [
            pgtrigger.Protect(
                name="statuschangeevidence_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]


class ProposalOutcome(models.TextChoices):
    PENDING = "pending", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


# The columns a proposal is written with; once written, they never change.
_PROPOSAL_FIELDS = ("claim", "verdict", "reason", "proposed_by", "proposed_at", "channel")


class VerdictProposal(models.Model):
    """A verdict a reviewer proposes, which another reviewer approves or rejects (second
    approval, VERDICT_APPROVAL_REQUIRED). Only an approved verdict becomes the claim's status.

    Part of the append-only history: written when proposed and once more when decided (the
    outcome, by whom, when, why); the database refuses any other change and every delete, a
    second proposal awaiting approval on the same claim, and an approval by the proposer.
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="verdict_proposals")
    verdict = models.CharField(max_length=20, choices=ClaimStatus.choices)
    reason = MultiLineTextField(validators=[MaxLengthValidator(REASON_MAX_LENGTH)])
    evidence = models.ManyToManyField(
        Evidence, through="VerdictProposalEvidence", blank=True, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    outcome = models.CharField(
        max_length=10, choices=ProposalOutcome.choices, default=ProposalOutcome.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = MultiLineTextField(
        blank=True, validators=[MaxLengthValidator(REASON_MAX_LENGTH)]
    )
    decision_channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)

    class Meta:
        ordering = ["proposed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict__in=VERDICTS),
                name="verdictproposal_is_a_verdict",
            ),
            models.CheckConstraint(condition=Q(reason__regex=r"\S"), name="verdictproposal_reason"),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="verdictproposal_channel_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(outcome=ProposalOutcome.PENDING)
                    & Q(decided_by__isnull=True, decided_at__isnull=True)
                    & Q(decision_reason="", decision_channel="")
                )
                | (
                    Q(outcome__in=[ProposalOutcome.APPROVED, ProposalOutcome.REJECTED])
                    & Q(decided_by__isnull=False, decided_at__isnull=False)
                    & Q(decision_channel__in=Channel.values)
                ),
                name="verdictproposal_decision_complete",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=ProposalOutcome.REJECTED) | Q(decision_reason__regex=r"\S"),
                name="verdictproposal_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=ProposalOutcome.APPROVED)
                | ~Q(decided_by=models.F("proposed_by")),
                name="verdictproposal_second_pair_of_eyes",
            ),
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(outcome=ProposalOutcome.PENDING),
                name="verdictproposal_one_pending",
            ),
        ]
        indexes = [
            # Proposals awaiting approval, oldest first (the admin's list, the dashboard).
            models.Index(
                fields=["proposed_at"],
                condition=Q(outcome=ProposalOutcome.PENDING),
                name="verdictproposal_pending",
            )
        ]
        triggers = [
            pgtrigger.Protect(name="verdictproposal_never_deleted", operation=pgtrigger.Delete),
            # Decided once: only a pending proposal changes, only to decided, only its decision.
            pgtrigger.Protect(
                name="verdictproposal_decided_once",
                operation=pgtrigger.Update,
                condition=functools.reduce(
                    operator.or_,
                    [
                        ~pgtrigger.Q(old__outcome=ProposalOutcome.PENDING),
                        pgtrigger.Q(new__outcome=ProposalOutcome.PENDING),
                        *(
                            pgtrigger.Q(**{f"old__{name}__df": pgtrigger.F(f"new__{name}")})
                            for name in _PROPOSAL_FIELDS
                        ),
                    ],
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} proposed by {self.proposed_by}"

    @property
    def is_pending(self) -> bool:
        return self.outcome == ProposalOutcome.PENDING


class VerdictProposalEvidence(models.Model):
    """Evidence cited by a verdict proposal; written once with it."""

    proposal = models.ForeignKey(VerdictProposal, on_delete=models.PROTECT)
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "evidence"], name="verdictproposalevidence_unique"
            )
        ]
        triggers = [
            pgtrigger.Protect(
                name="verdictproposalevidence_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]
