"""Claims, who made them, where they appeared and what others said about them."""

from __future__ import annotations

import uuid
from collections.abc import Collection

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import MD5, Lower, Trim

from claims.text import MultiLineTextField, SingleLineTextField, WebAddressField


class ClaimStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    IN_REVIEW = "in_review", "In review"
    VERIFIED = "verified", "Verified"
    FALSE = "false", "False"
    MISLEADING = "misleading", "Misleading"
    UNPROVEN = "unproven", "Unproven"


class SourceKind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"
    GOVERNMENT = "government", "Government"
    NEWS_OUTLET = "news_outlet", "News outlet"
    AGENCY = "agency", "Agency"


class StatementStance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    COUNTERS = "counters", "Counters"
    CONTEXT = "context", "Context"


def _not_blank(field: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__regex": r"\S"}),
        name=f"%(class)s_{field}_not_blank",
        violation_error_message=f"The {field} must not be blank.",
    )


def _in_choices(field: str, choices: type[models.TextChoices]) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}), name=f"%(class)s_{field}_valid"
    )


SOURCE_EXISTS_MESSAGE = "A source with this name and role already exists."
SOURCE_UNIQUE_CONSTRAINT = "source_unique_name_role"


def source_exists_error() -> ValidationError:
    """Said on the fields it is about (the admin and the API show it; the constraint names none)."""
    return ValidationError({"name": SOURCE_EXISTS_MESSAGE, "role": SOURCE_EXISTS_MESSAGE})


# What text fields may hold, wherever they are written (admin, API, services). Every field a
# person types into is bounded, and follows the text policy of claims/text.py.
SOURCE_NOTES_MAX_LENGTH = 20_000
APPEARANCE_QUOTE_MAX_LENGTH = 20_000
STATEMENT_QUOTE_MAX_LENGTH = 20_000
URL_MAX_LENGTH = 2000


@pghistory.track()
class Source(models.Model):
    """A person or organisation that makes statements."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = SingleLineTextField(max_length=200)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.PERSON)
    role = SingleLineTextField(
        max_length=200, blank=True, help_text='Role or affiliation, e.g. "Kremlin spokesperson".'
    )
    country = SingleLineTextField(max_length=100, blank=True)
    url = WebAddressField(max_length=URL_MAX_LENGTH, blank=True)
    notes = MultiLineTextField(blank=True, validators=[MaxLengthValidator(SOURCE_NOTES_MAX_LENGTH)])
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            _not_blank("name"),
            _in_choices("kind", SourceKind),
            models.UniqueConstraint(Lower("name"), "role", name=SOURCE_UNIQUE_CONSTRAINT),
            models.CheckConstraint(condition=Q(version__gte=1), name="source_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        # source_unique_name_role, said on the fields it is about.
        if not {"name", "role"} & set(exclude or ()):
            same = Source.objects.alias(lower_name=Lower("name")).filter(
                lower_name=Lower(models.Value(self.name)), role=self.role
            )
            if same.exclude(pk=self.pk).exists():
                raise source_exists_error()
        super().validate_constraints(exclude)


# What a claim's tags may be, wherever they are written (admin, API, services).
CLAIM_MAX_TAGS = 50
TAG_MAX_LENGTH = 50
TOO_MANY_TAGS = f"A claim has at most {CLAIM_MAX_TAGS} tags."


class TagLengthValidator(MaxLengthValidator):
    """A tag's length, naming the tag: tags are typed several in one field."""

    message = "The tag %(value)r is longer than %(limit_value)d characters."


class Tag(models.Model):
    name = SingleLineTextField(
        max_length=TAG_MAX_LENGTH, unique=True, help_text="Lower case, e.g. ukraine."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(name=Lower(Trim("name"))), name="tag_name_normal"),
            models.CheckConstraint(condition=~Q(name=""), name="tag_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


# What a claim may hold, wherever it is written (admin, API, services).
CLAIM_TEXT_MAX_LENGTH = 10_000
CLAIM_SUMMARY_MAX_LENGTH = 20_000
LANGUAGE_CODE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
LANGUAGE_CODE = RegexValidator(
    LANGUAGE_CODE_PATTERN,
    "Give an ISO 639 code such as en, ru or uk (with a region if need be: pt-BR).",
)


# Around a claim's text, not part of it when claims are matched: "“Claim.”" is "claim".
_CLAIM_TEXT_ENDS = " .!?…\"'“”„«»\u2018\u2019"


def claim_text_key(text: models.Expression | models.F) -> models.Func:
    """The key claims are matched by (an import's claim text is matched to a claim's), indexed:
    the text in lower case, typographic apostrophes as ', without the quotes and end
    punctuation around it, hashed (an index entry has to be short; a claim may be 10,000
    characters)."""
    apostrophes = models.Func(
        Lower(text),
        models.Value("\u2018\u2019\u02bc"),
        models.Value("'" * 3),
        function="translate",
        output_field=models.TextField(),
    )
    return MD5(
        models.Func(
            apostrophes,
            models.Value(_CLAIM_TEXT_ENDS),
            function="btrim",
            output_field=models.TextField(),
        )
    )


@pghistory.track()
class Claim(models.Model):
    """A checkable assertion. Its status changes only through ``claim_transition``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    text = MultiLineTextField(
        help_text="The assertion, as it was made.",
        validators=[MaxLengthValidator(CLAIM_TEXT_MAX_LENGTH)],
    )
    summary = MultiLineTextField(
        blank=True,
        help_text="Context a reader needs.",
        validators=[MaxLengthValidator(CLAIM_SUMMARY_MAX_LENGTH)],
    )
    claimant = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    first_seen_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(
        max_length=16,
        default="en",
        help_text="An ISO 639 code such as en, ru or uk (with a region if need be: pt-BR).",
        validators=[LANGUAGE_CODE],
    )
    tags = models.ManyToManyField(Tag, through="ClaimTag", blank=True, related_name="claims")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_claims",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="created_claims",
    )
    status = models.CharField(
        max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.UNVERIFIED, editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="merged_claims",
        db_index=False,  # a partial index below: almost every claim has none
        help_text="The claim this duplicate was merged into: this one is a read-only pointer.",
    )
    merged_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated_at"]
        permissions = [("change_claim_status", "Can change the verification status of a claim")]
        constraints = [
            _not_blank("text"),
            _in_choices("status", ClaimStatus),
            models.CheckConstraint(condition=Q(version__gte=1), name="claim_version_positive"),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="claim_not_merged_into_itself"
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True, merged_at__isnull=True)
                | Q(merged_into__isnull=False, merged_at__isnull=False),
                name="claim_merged_at_with_merged_into",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="claim_status_updated"),
            models.Index(fields=["assignee", "status"], name="claim_assignee_status"),
            models.Index(claim_text_key(models.F("text")), name="claim_text_key"),
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="claim_merged_into",
            ),
        ]

    def __str__(self) -> str:
        return self.text if len(self.text) <= 80 else self.text[:77] + "..."


class SearchDocument(models.Model):
    """A claim's full-text document: its text, summary, claimant and statements (claims/search.py).

    Derived data, written only by the search refresh; not part of the claim's edit history. A
    table of its own rather than a column of the claim: every status change or assignment
    updates the claim's row, and with the document in it each update wrote the whole document
    into the GIN index again (bench/).
    """

    claim = models.OneToOneField(
        Claim, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    vector = SearchVectorField()

    class Meta:
        indexes = [GinIndex(fields=["vector"], name="search_document_vector")]

    def __str__(self) -> str:
        return f"Search document of {self.claim_id}"


@pghistory.track()
class Appearance(models.Model):
    """Where a claim was published. The earliest is its origin."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="appearances")
    url = WebAddressField(max_length=URL_MAX_LENGTH)
    outlet = SingleLineTextField(max_length=200, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    quote = MultiLineTextField(
        blank=True,
        help_text="The excerpt where the claim appears.",
        validators=[MaxLengthValidator(APPEARANCE_QUOTE_MAX_LENGTH)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = [models.F("published_at").asc(nulls_last=True), "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "url"], name="appearance_unique_claim_url"),
        ]

    def __str__(self) -> str:
        return self.outlet or self.url


@pghistory.track()
class Statement(models.Model):
    """A quote by a source about a claim; ``counters`` makes it a counter-statement."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="statements")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="statements")
    quote = MultiLineTextField(validators=[MaxLengthValidator(STATEMENT_QUOTE_MAX_LENGTH)])
    stance = models.CharField(max_length=10, choices=StatementStance.choices)
    said_at = models.DateTimeField(null=True, blank=True)
    url = WebAddressField(max_length=URL_MAX_LENGTH, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = [models.F("said_at").asc(nulls_last=True), "created_at"]
        constraints = [
            _not_blank("quote"),
            _in_choices("stance", StatementStance),
        ]

    def __str__(self) -> str:
        return f"{self.source.name} ({self.get_stance_display().lower()})"


@pghistory.track(pghistory.InsertEvent("tag.add"), pghistory.DeleteEvent("tag.remove"))
class ClaimTag(models.Model):
    """A tag on a claim; explicit so that tagging is part of the claim's edit history."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["claim", "tag"], name="claimtag_unique")]


class LinkKind(models.TextChoices):
    RELATED = "related", "Related"
    CONTRADICTS = "contradicts", "Contradicts"


@pghistory.track()
class ClaimLink(models.Model):
    """Two claims that are not duplicates but belong together: one ``related`` to the other,
    or contradicting it. A link reads both ways; a pair of claims is linked once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="links_from")
    other = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="links_to")
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            _in_choices("kind", LinkKind),
            models.CheckConstraint(condition=~Q(claim=models.F("other")), name="link_two_claims"),
            models.UniqueConstraint(
                models.functions.Least("claim", "other"),
                models.functions.Greatest("claim", "other"),
                name="link_once_per_pair",
                violation_error_message="These claims are already linked.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim} {self.get_kind_display().lower()} {self.other}"
