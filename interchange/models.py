"""Other publishers' fact checks of our claims, how their ratings map onto our verdicts, and
the imports that brought them in.

A ``Review`` is one publisher's review of one claim, identified by its URL: importing it again
updates it in place (with a history row) or changes nothing. Its rating is kept exactly as the
publisher wrote it; the verdict it means is looked up in the ``RatingMapping`` by the label's
normal form (``rating_key``) when it is read, so that a mapping added or corrected in the admin
applies to every review with that label at once, and a label nobody has mapped has no verdict
(unknown is not "unproven").
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Collection

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from claims.models import LANGUAGE_CODE, URL_MAX_LENGTH, Claim
from claims.text import SingleLineTextField, WebAddressField
from verification.workflow import VERDICTS

RATING_LABEL_MAX_LENGTH = 500
TITLE_MAX_LENGTH = 2000
PUBLISHER_NAME_MAX_LENGTH = 200
SITE_MAX_LENGTH = 253  # a host name
# A rating's numbers: publishers use 0 to 1, 1 to 5, 0 to 100; anything else is not a rating.
RATING_DIGITS = 12
RATING_PLACES = 4
# The refused items an import keeps, with their reasons (the counts are always exact).
REFUSALS_KEPT = 1000

VERDICT_CHOICES = [(verdict.value, verdict.label) for verdict in VERDICTS]

_PUNCTUATION_AT_ENDS = re.compile(r"^[\W_]+|[\W_]+$")
_SEPARATORS = re.compile("[\\s_\\-\u2010\u2011\u2013\u2014]+")  # hyphens, dashes


def rating_key(label: str) -> str:
    """A rating label's normal form, by which it is mapped: "Mostly_False!" and "mostly false"
    are one label (compatibility form, case folded, separators as one space, no punctuation
    at the ends)."""
    text = unicodedata.normalize("NFKC", label).casefold()
    text = _SEPARATORS.sub(" ", text)
    return _PUNCTUATION_AT_ENDS.sub("", text)[:RATING_LABEL_MAX_LENGTH]


class RatingMapping(models.Model):
    """A publisher's rating label and the verdict of ours it means."""

    label = SingleLineTextField(
        max_length=RATING_LABEL_MAX_LENGTH,
        help_text="As publishers write it; case, separators and end punctuation do not matter.",
    )
    key = models.CharField(max_length=RATING_LABEL_MAX_LENGTH, unique=True, editable=False)
    verdict = models.CharField(max_length=20, choices=VERDICT_CHOICES)
    language = models.CharField(
        max_length=16, blank=True, validators=[LANGUAGE_CODE], help_text="The label's language."
    )

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(condition=~Q(key=""), name="ratingmapping_key_not_empty"),
            models.CheckConstraint(
                condition=Q(verdict__in=[verdict.value for verdict in VERDICTS]),
                name="ratingmapping_verdict_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} → {self.get_verdict_display()}"

    def clean(self) -> None:
        self.key = rating_key(self.label or "")
        if not self.key:
            raise ValidationError({"label": "A label needs at least one letter or digit."})

    def validate_unique(self, exclude: Collection[str] | None = None) -> None:
        # The key is not a form field: said on the label it is made from.
        same = RatingMapping.objects.filter(key=self.key).exclude(pk=self.pk).first()
        if same is not None:
            raise ValidationError(
                {"label": f"“{same.label}” is mapped already (to {same.get_verdict_display()})."}
            )
        super().validate_unique(exclude)


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Import(models.Model):
    """One import of fact checks from a file or a URL, its counts and what it refused."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    source = SingleLineTextField(
        max_length=URL_MAX_LENGTH, help_text="The file's name or the URL read."
    )
    url = WebAddressField(max_length=URL_MAX_LENGTH, blank=True)
    # An uploaded file's bytes, until the import has read them.
    content = models.BinaryField(null=True, editable=False)
    dry_run = models.BooleanField(default=False, help_text="Read and report; change nothing.")
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    error = models.TextField(blank=True, help_text="Why the import failed as a whole.")
    read = models.PositiveIntegerField(default=0, help_text="Items read so far.")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    refusals = models.JSONField(
        default=list, blank=True, help_text=f"The first {REFUSALS_KEPT:,}: where, and why."
    )
    duplicates = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Claims the import created that look like claims already here (the first "
        "ones checked), with the similar claims: for a person to merge or not.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0,
        help_text="How many times it was started: more than once when the process running it "
        "stopped (it is then run again from the start).",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="import_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} ({self.get_status_display().lower()})"

    @property
    def summary(self) -> str:
        """The closing line every way of importing prints."""
        return (
            f"{self.created:,} created, {self.updated:,} updated, {self.unchanged:,} unchanged, "
            f"{self.refused:,} refused"
        )


@pghistory.track()
class Review(models.Model):
    """One publisher's fact check of a claim, as its ClaimReview markup says it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="reviews")
    url = WebAddressField(max_length=URL_MAX_LENGTH, unique=True)
    publisher_name = SingleLineTextField(max_length=PUBLISHER_NAME_MAX_LENGTH, blank=True)
    publisher_site = SingleLineTextField(
        max_length=SITE_MAX_LENGTH, blank=True, db_index=True, help_text="Its host name."
    )
    title = SingleLineTextField(max_length=TITLE_MAX_LENGTH, blank=True)
    rating_label = SingleLineTextField(
        max_length=RATING_LABEL_MAX_LENGTH,
        blank=True,
        help_text="Exactly as the publisher wrote it.",
    )
    rating_key = models.CharField(max_length=RATING_LABEL_MAX_LENGTH, blank=True, db_index=True)
    rating_value = models.DecimalField(
        max_digits=RATING_DIGITS, decimal_places=RATING_PLACES, null=True, blank=True
    )
    best_rating = models.DecimalField(
        max_digits=RATING_DIGITS, decimal_places=RATING_PLACES, null=True, blank=True
    )
    worst_rating = models.DecimalField(
        max_digits=RATING_DIGITS, decimal_places=RATING_PLACES, null=True, blank=True
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    language = SingleLineTextField(max_length=35, blank=True, help_text="As the publisher gave it.")
    imported_by = models.ForeignKey(
        Import, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [models.F("reviewed_at").desc(nulls_last=True), "publisher_name"]
        permissions = [("import_reviews", "Can import fact checks")]

    def __str__(self) -> str:
        return f"{self.publisher_name or self.publisher_site}: {self.rating_label or 'no rating'}"


class ImportedClaim(models.Model):
    """A claim an import created (not a reviewer): where it came from."""

    claim = models.OneToOneField(
        Claim, on_delete=models.CASCADE, primary_key=True, related_name="imported"
    )
    source = SingleLineTextField(max_length=URL_MAX_LENGTH)
    imported_by = models.ForeignKey(Import, on_delete=models.SET_NULL, null=True, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Imported from {self.source}"
