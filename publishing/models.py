"""What readers see of a claim: its publication, the rating scale and the publication history.

A claim is public while it has a publication that is not withdrawn and whose ``publish_at``
has passed, checked at query time (``publishing.selectors.public_claims``): an embargo holds
without anything having to happen at its end. What a page shows of the verdict (its label,
value and explanation) is copied into the publication when it is published, so that editing
the rating scale or re-opening the claim never rewrites a published fact check; publishing
again with another rating writes a correction, shown on the page.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from claims.models import LANGUAGE_CODE, Claim, ClaimStatus
from claims.text import MultiLineTextField, SingleLineTextField
from verification.models import REASON_MAX_LENGTH, Channel
from verification.workflow import VERDICTS

SLUG_MAX_LENGTH = 80
RATING_LABEL_MAX_LENGTH = 100


class RatingScale(models.Model):
    """The labels readers see for the verdicts, each with a value between worst and best."""

    name = SingleLineTextField(max_length=100, unique=True)
    best_rating = models.IntegerField(default=5, help_text="schema.org bestRating, e.g. 5.")
    worst_rating = models.IntegerField(default=1, help_text="schema.org worstRating, e.g. 1.")
    active = models.BooleanField(
        default=False, help_text="The scale new publications take their labels from (one)."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(best_rating__gt=models.F("worst_rating")),
                name="ratingscale_best_above_worst",
                violation_error_message="The best rating must be above the worst.",
            ),
            models.UniqueConstraint(
                fields=["active"],
                condition=Q(active=True),
                name="ratingscale_one_active",
                violation_error_message="Another rating scale is active: make it inactive first.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RatingLabel(models.Model):
    """A verdict's label on a scale: "False" at 1 of 1 to 5, say."""

    scale = models.ForeignKey(RatingScale, on_delete=models.CASCADE, related_name="labels")
    verdict = models.CharField(
        max_length=20, choices=[(v.value, v.label) for v in VERDICTS], help_text="The verdict."
    )
    label = SingleLineTextField(
        max_length=RATING_LABEL_MAX_LENGTH, help_text="What readers see, e.g. “Mostly false”."
    )
    value = models.IntegerField(help_text="schema.org ratingValue, between worst and best.")
    language = models.CharField(
        max_length=16, default="en", validators=[LANGUAGE_CODE], help_text="The label's language."
    )

    class Meta:
        ordering = ["scale", "-value"]
        constraints = [
            models.UniqueConstraint(
                fields=["scale", "verdict"],
                name="ratinglabel_one_per_verdict",
                violation_error_message="This scale already has a label for this verdict.",
            ),
            models.CheckConstraint(
                condition=Q(verdict__in=[v.value for v in VERDICTS]),
                name="ratinglabel_verdict_valid",
            ),
            models.CheckConstraint(
                condition=Q(label__regex=r"\S"),
                name="ratinglabel_label_not_blank",
                violation_error_message="The label must not be blank.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        scale = self.scale if self.scale_id else None
        if scale and not scale.worst_rating <= self.value <= scale.best_rating:
            raise ValidationError(
                {
                    "value": f"The value must be between {scale.worst_rating} and "
                    f"{scale.best_rating}, the scale's worst and best."
                }
            )


class PublicationState(models.TextChoices):
    DRAFT = "draft", "Not published"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"
    UNPUBLISHED = "unpublished", "Unpublished"


class Publication(models.Model):
    """A claim's fact check as readers see it. Written only by publishing.services."""

    claim = models.OneToOneField(
        Claim, on_delete=models.PROTECT, primary_key=True, related_name="publication"
    )
    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, allow_unicode=True)
    publish_at = models.DateTimeField(help_text="Public from this moment (an embargo until).")
    first_published_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was first public: ClaimReview's datePublished."
    )
    announced_at = models.DateTimeField(
        null=True, blank=True, help_text="When claim.published was sent for the current publish_at."
    )
    unpublished_at = models.DateTimeField(null=True, blank=True)
    unpublish_reason = MultiLineTextField(
        blank=True, validators=[MaxLengthValidator(REASON_MAX_LENGTH)]
    )
    # The verdict as published: copied from the claim and the rating scale.
    verdict = models.CharField(max_length=20, choices=ClaimStatus.choices)
    rating_label = SingleLineTextField(max_length=RATING_LABEL_MAX_LENGTH)
    rating_value = models.IntegerField()
    best_rating = models.IntegerField()
    worst_rating = models.IntegerField()
    explanation = MultiLineTextField(help_text="The reviewers' explanation of the verdict.")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    corrected_at = models.DateTimeField(
        null=True, blank=True, help_text="The last correction: ClaimReview's dateModified."
    )

    class Meta:
        permissions = [("publish_claim", "Can publish and unpublish fact checks")]
        indexes = [models.Index(fields=["-publish_at"], name="publication_publish_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict__in=[v.value for v in VERDICTS]),
                name="publication_verdict_valid",
            ),
            models.CheckConstraint(
                condition=Q(rating_value__gte=models.F("worst_rating"))
                & Q(rating_value__lte=models.F("best_rating")),
                name="publication_rating_in_scale",
            ),
            models.CheckConstraint(
                condition=Q(unpublished_at__isnull=True, unpublish_reason="")
                | (Q(unpublished_at__isnull=False) & Q(unpublish_reason__regex=r"\S")),
                name="publication_unpublished_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Publication of {self.claim_id}"


class PublicationAction(models.TextChoices):
    PUBLISHED = "published", "Published"
    SCHEDULED = "scheduled", "Scheduled"
    CORRECTED = "corrected", "Corrected"
    UNPUBLISHED = "unpublished", "Unpublished"


class PublicationChange(models.Model):
    """One step of a claim's publication. Append-only: the database refuses UPDATE and DELETE.

    A correction (``corrected``) is shown on the public page: the rating of a fact check that
    had been public changed from one label to another, and why.
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="publication_changes")
    action = models.CharField(max_length=20, choices=PublicationAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    publish_at = models.DateTimeField(null=True, blank=True)
    reason = MultiLineTextField(blank=True, validators=[MaxLengthValidator(REASON_MAX_LENGTH)])
    from_verdict = models.CharField(max_length=20, blank=True, choices=ClaimStatus.choices)
    from_label = SingleLineTextField(max_length=RATING_LABEL_MAX_LENGTH, blank=True)
    to_verdict = models.CharField(max_length=20, blank=True, choices=ClaimStatus.choices)
    to_label = SingleLineTextField(max_length=RATING_LABEL_MAX_LENGTH, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    claim_version = models.PositiveIntegerField(help_text="The claim's version after the change.")

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=PublicationAction.values),
                name="publicationchange_action_valid",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="publicationchange_channel_valid"
            ),
            models.CheckConstraint(
                condition=~Q(action__in=["corrected", "unpublished"]) | Q(reason__regex=r"\S"),
                name="publicationchange_reason",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="publicationchange_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d %H:%M})"
