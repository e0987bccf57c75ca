"""Evidence reviewers collect and the append-only history of status changes."""

from __future__ import annotations

import uuid

import pghistory
import pgtrigger
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from claims.models import URL_MAX_LENGTH, Claim, ClaimStatus
from claims.text import MultiLineTextField, WebAddressField


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


class StatusChange(models.Model):
    """One status transition of a claim. Append-only: the database refuses UPDATE and DELETE."""

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
