"""Input serializers validate; output serializers shape what a client reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator
from django.http import QueryDict
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.renderers import datetime_text
from claims.models import (
    CLAIM_MAX_TAGS,
    CLAIM_SUMMARY_MAX_LENGTH,
    CLAIM_TEXT_MAX_LENGTH,
    LANGUAGE_CODE,
    STATEMENT_QUOTE_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TOO_MANY_TAGS,
    URL_MAX_LENGTH,
    Appearance,
    ClaimStatus,
    LinkKind,
    Source,
    SourceKind,
    Statement,
    StatementStance,
    TagLengthValidator,
)
from claims.text import WebAddressField as WebAddressModelField
from claims.text import multi_line, single_line, web_address, web_address_normalise
from matching.selectors import LIMIT_MAX as SIMILAR_LIMIT_MAX
from matching.selectors import known_language
from publishing.models import PublicationState
from publishing.selectors import public_url as fact_check_url
from publishing.selectors import publication_state
from verification import workflow
from verification.models import (
    EVIDENCE_DESCRIPTION_MAX_LENGTH,
    EVIDENCE_FILE_OR_URL,
    REASON_MAX_LENGTH,
    CaptureState,
    Channel,
    Evidence,
    EvidenceCapture,
    EvidenceKind,
    EvidenceStance,
    ProposalOutcome,
    StatusChange,
    VerdictProposal,
)

# --- Shared pieces ---------------------------------------------------------------------------


BLANK = {"type": "string", "maxLength": 0}  # in the schema: an empty string meaning "none"


class ProblemSerializer(serializers.Serializer[Any]):
    """RFC 9457 problem details: the body of every error."""

    type = serializers.CharField(help_text="about:blank, or urn:claimtracker:problem:<code>.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(required=False, help_text="The path of the request.")
    # Named like Serializer.errors; this serializer only describes the body for the schema.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Invalid fields (dotted paths) and what is wrong with each.",
    )
    allowed_transitions = serializers.ListField(
        child=serializers.ChoiceField(choices=ClaimStatus.choices),
        required=False,
        help_text="With a 409 for a forbidden transition: the statuses allowed from here.",
    )


def _in_the_admins_words(field: serializers.Field[Any, Any, Any, Any]) -> None:
    """A text too long or left blank, or a value not among the choices, is refused with
    Django's words, the admin's: DRF's own ("Ensure this field has no more than 10000
    characters.", '"x" is not a valid choice.') said the same rule differently."""
    if isinstance(field, serializers.ChoiceField):
        words = forms.ChoiceField.default_error_messages["invalid_choice"]
        field.error_messages["invalid_choice"] = str(words) % {"value": "{input}"}
        return
    field.error_messages["blank"] = forms.Field.default_error_messages["required"]
    field.validators = [
        MaxLengthValidator(validator.limit_value)
        if type(validator) is MaxLengthValidator
        else validator
        for validator in field.validators
    ]


class ProseField(serializers.CharField):
    """Prose as the models hold it (claims.text.MultiLineTextField): line breaks allowed, no
    hidden characters; give the model's cap as ``max_length``."""

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, validators=[multi_line], **kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        # The schema's maxLength bounds the text as sent; DRF would trim it first, and take
        # 10,001 characters ending in a space.
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            try:
                MaxLengthValidator(self.max_length)(data)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages) from error
        return super().run_validation(data)


@extend_schema_field(OpenApiTypes.URI)
class WebAddressField(serializers.CharField):
    """An http(s) address checked as typed, as the admin's form checks it, once and in the
    same words, then encoded as the model stores it (claims.text). Not DRF's URLField: its own
    check said "Enter a valid URL." beside the model's message."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", URL_MAX_LENGTH)
        super().__init__(**kwargs)
        if web_address not in self.validators:
            self.validators.append(web_address)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        value = super().run_validation(data)
        return web_address_normalise(value) if isinstance(value, str) else value


class KnownFieldsOnly(serializers.Serializer[Any]):
    """A body may hold only the fields the operation sets: any other key is a 400 naming it.

    Silently ignoring a key let a client believe it had changed something (a claim's
    ``version``, a misspelt ``sumary``). ``read_only_names`` lists the fields a client reads
    but cannot write, so that sending back what it read says why they are refused.
    """

    unknown_field_message = "Unknown field: this operation does not take it."
    read_only_field_message = "This field is read-only."
    read_only_names: frozenset[str] = frozenset()
    field_messages: Mapping[str, str] = {}
    # With a ModelSerializer: a model's web address is read by the field above.
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        WebAddressModelField: WebAddressField,
    }

    def refused_keys(self, data: Any) -> dict[str, list[str]]:
        if not isinstance(data, Mapping):
            return {}
        writable = {name for name, field in self.fields.items() if not field.read_only}
        read_only = self.read_only_names | {
            name for name, field in self.fields.items() if field.read_only
        }
        refused: dict[str, list[str]] = {}
        for key in data:
            if key in writable:
                continue
            if key in self.field_messages:
                message = self.field_messages[key]
            elif key in read_only:
                message = self.read_only_field_message
            else:
                message = self.unknown_field_message
            refused[str(key)] = [message]
        return refused

    def refused_types(self, data: Any) -> dict[str, list[str]]:
        """Text fields take strings only (DRF turned a number into its digits)."""
        if not isinstance(data, Mapping):
            return {}
        return {
            name: ["Not a valid string."]
            for name, field in self.fields.items()
            if isinstance(field, serializers.CharField)
            and not field.read_only
            and name in data
            and data[name] is not None
            and not isinstance(data[name], str)
        }

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        for field in fields.values():
            for part in (field, getattr(field, "child", None)):
                if isinstance(part, (serializers.CharField, serializers.ChoiceField)) and not (
                    part.read_only
                ):
                    _in_the_admins_words(part)
        return fields

    def to_internal_value(self, data: Any) -> Any:
        refused = {**self.refused_types(data), **self.refused_keys(data)}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if refused and isinstance(error.detail, dict):
                raise serializers.ValidationError({**error.detail, **refused}) from error
            raise
        if refused:
            raise serializers.ValidationError(refused)
        return value


class SourceBriefSerializer(serializers.ModelSerializer[Source]):
    class Meta:
        model = Source
        fields = ["id", "name", "role"]
        read_only_fields = fields


class TextRelatedField(serializers.SlugRelatedField[Any]):
    """A related object by a text field; text PostgreSQL cannot hold is invalid, not a 500."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            raise serializers.ValidationError("Null characters are not allowed.")
        return super().to_internal_value(data)


# drf-spectacular adds {"type": "null"} to the anyOf of a field that allows null.


@extend_schema_field({"anyOf": [{"type": "string", "minLength": 1}, BLANK]})
class UsernameField(TextRelatedField):
    """A user by username, among active users; empty or null: nobody (DRF reads "" as null)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", User.objects.filter(is_active=True))
        super().__init__(slug_field="username", **kwargs)


@extend_schema_field(
    {
        "anyOf": [
            {"type": "string", "format": "date-time"},
            BLANK,
        ],
        "description": "An ISO 8601 date and time; null or empty: not known.",
    }
)
class OptionalDateTimeField(serializers.DateTimeField):
    """A date and time that may be unknown: null, or an empty string as a form sends it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(allow_null=True, **kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data == "":
            data = None  # as in the admin: a blank date is no date
        return super().validate_empty_values(data)


@extend_schema_field({"anyOf": [{"type": "string", "format": "uuid"}, BLANK]})
class OptionalSourceField(serializers.PrimaryKeyRelatedField[Source]):
    """A source by id; empty or null: none (DRF reads "" as null for a related field)."""


def absolute(request: Any, name: str, *args: Any) -> str:
    url = reverse(name, args=args)
    return request.build_absolute_uri(url) if request is not None else url


# --- Sources -------------------------------------------------------------------------------


class SourceSerializer(KnownFieldsOnly, serializers.ModelSerializer[Source]):
    kind = serializers.ChoiceField(choices=SourceKind.choices, default=SourceKind.PERSON)

    class Meta:
        model = Source
        fields = [
            "id",
            "name",
            "kind",
            "role",
            "country",
            "url",
            "notes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "version", "created_at", "updated_at"]
        # Uniqueness is checked by the service (a clear message), not by DRF twice.
        validators: list[Any] = []


# --- Claims --------------------------------------------------------------------------------


class ClaimInputSerializer(KnownFieldsOnly):
    # The claim's model rules (claims/models.py, claims/text.py), checked here too so that
    # every invalid field is named in one answer.
    text = ProseField(max_length=CLAIM_TEXT_MAX_LENGTH)
    summary = ProseField(max_length=CLAIM_SUMMARY_MAX_LENGTH, required=False, allow_blank=True)
    claimant = OptionalSourceField(
        queryset=Source.objects.all(), required=False, allow_null=True,
        help_text="The id of the source who made the claim; empty or null: not known.",
    )  # fmt: skip
    first_seen_at = OptionalDateTimeField()
    language = serializers.CharField(
        required=False, max_length=16, validators=[LANGUAGE_CODE],
        help_text="An ISO 639 code such as en, ru or uk.",
    )  # fmt: skip
    tags = serializers.ListField(
        child=serializers.CharField(validators=[single_line, TagLengthValidator(TAG_MAX_LENGTH)]),
        required=False,
        max_length=CLAIM_MAX_TAGS,
        error_messages={"max_length": TOO_MANY_TAGS},
    )
    assignee = UsernameField(required=False, allow_null=True)

    field_messages = {"status": "The status changes only with POST to the claim's transitions/."}


class ReviewRatingSerializer(serializers.Serializer[Any]):
    """schema.org ClaimReview reviewRating: the label readers see, with its value on the
    rating scale. The published one; for a verdict not published yet, the active scale's."""

    rating_value = serializers.IntegerField()
    best_rating = serializers.IntegerField()
    worst_rating = serializers.IntegerField()
    alternate_name = serializers.CharField()


VERDICT_CHOICES = [(verdict.value, verdict.label) for verdict in workflow.VERDICTS]


class ReviewSerializer(serializers.Serializer[Any]):
    """Another publisher's fact check of the claim (imported), its rating as they wrote it."""

    url = serializers.URLField(help_text="The review's address: what identifies it.")
    publisher_name = serializers.CharField()
    publisher_site = serializers.CharField(help_text="The publisher's host name.")
    title = serializers.CharField()
    rating_label = serializers.CharField(help_text="Exactly as the publisher wrote it.")
    rating_value = serializers.FloatField(allow_null=True)
    best_rating = serializers.FloatField(allow_null=True)
    worst_rating = serializers.FloatField(allow_null=True)
    verdict = serializers.ChoiceField(
        choices=VERDICT_CHOICES,
        allow_null=True,
        help_text="The verdict of ours the label means (the rating mapping, in the admin); "
        "null for a label nobody has mapped: unknown is not unproven.",
    )
    reviewed_at = serializers.DateTimeField(allow_null=True)
    language = serializers.CharField(help_text="As the publisher gave it.")


def _review(review: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
    """A review of claim_rows()'s ``reviews`` (JSON from PostgreSQL) as the API writes it."""
    moment = review["reviewed_at"]
    return {
        **review,
        "reviewed_at": None if moment is None else _isoformat(datetime.fromisoformat(moment), zone),
    }


class PublicationSerializer(serializers.Serializer[Any]):
    """Where the claim stands on the public site."""

    state = serializers.ChoiceField(choices=PublicationState.choices)
    publish_at = serializers.DateTimeField(
        allow_null=True, help_text="Public from then (an embargo until)."
    )
    published_at = serializers.DateTimeField(allow_null=True, help_text="When first public.")
    unpublished_at = serializers.DateTimeField(allow_null=True)
    verdict = serializers.ChoiceField(
        choices=ClaimStatus.choices, allow_null=True, help_text="The verdict as published."
    )


class PendingProposalSerializer(serializers.Serializer[Any]):
    """The verdict awaiting a second reviewer (claim rows' ``pending_proposal``, JSON)."""

    id = serializers.IntegerField()
    verdict = serializers.ChoiceField(choices=VERDICT_CHOICES)
    reason = serializers.CharField()
    evidence = serializers.ListField(child=serializers.UUIDField(), help_text="Cited evidence.")
    proposed_by = serializers.CharField(help_text="A username.")
    proposed_at = serializers.DateTimeField()


def _pending_proposal(proposal: dict[str, Any] | None, zone: tzinfo) -> dict[str, Any] | None:
    if proposal is None:
        return None
    moment = datetime.fromisoformat(proposal["proposed_at"])
    return {**proposal, "proposed_at": _isoformat(moment, zone)}


class ClaimLinksSerializer(serializers.Serializer[Any]):
    self = serializers.URLField()
    appearances = serializers.URLField()
    statements = serializers.URLField()
    evidence = serializers.URLField()
    history = serializers.URLField()
    transitions = serializers.URLField()
    proposals = serializers.URLField()
    approve = serializers.URLField()
    reject = serializers.URLField()
    publish = serializers.URLField()
    unpublish = serializers.URLField()
    similar = serializers.URLField(help_text="The claims most like this one.")
    merge = serializers.URLField(help_text="Merge this claim, a duplicate, into another.")
    linked = serializers.URLField(help_text="The claims linked with it (related, contradicts).")


_PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"
_CLAIM_LINKS = {
    "self": "claim-detail",
    "appearances": "claim-appearances",
    "statements": "claim-statements",
    "evidence": "claim-evidence",
    "history": "claim-history",
    "transitions": "claim-transitions",
    "proposals": "claim-proposals",
    "approve": "claim-approve",
    "reject": "claim-reject",
    "publish": "claim-publish",
    "unpublish": "claim-unpublish",
    "similar": "claim-similar",
    "merge": "claim-merge",
    "linked": "claim-links",
}


# The claim links of each site a process answers as (ALLOWED_HOSTS bounds them; so does this).
_link_templates: dict[tuple[str, str, str], dict[str, str]] = {}
_LINK_SITES_KEPT = 32


def _review_rating(row: Mapping[str, Any], state: PublicationState) -> dict[str, Any] | None:
    if state in (PublicationState.PUBLISHED, PublicationState.SCHEDULED):
        return {
            "rating_value": row["publication__rating_value"],
            "best_rating": row["publication__best_rating"],
            "worst_rating": row["publication__worst_rating"],
            "alternate_name": row["publication__rating_label"],
        }
    scale = row["scale_rating"]
    if scale is None:
        return None
    return {
        "rating_value": scale["value"],
        "best_rating": scale["best"],
        "worst_rating": scale["worst"],
        "alternate_name": scale["label"],
    }


_ALLOWED_TRANSITIONS = {
    status: [str(target) for target in workflow.allowed_targets(status)] for status in ClaimStatus
}


def _isoformat(value: datetime, zone: tzinfo) -> str:
    """A date-time as DRF's DateTimeField writes it: in the current time zone."""
    return datetime_text(value.astimezone(zone))


class ClaimSerializer(serializers.Serializer[Any]):
    """A claim as clients read it; the status changes only through transitions."""

    # It shapes the rows of claims.selectors.claim_rows() by hand: the fields describe the
    # output (the OpenAPI schema, which the schema tests check responses against), and
    # to_representation writes it without DRF's field-by-field machinery, which was most of
    # the time of a list page (bench/).
    id = serializers.UUIDField(read_only=True)
    text = serializers.CharField(read_only=True, help_text="The assertion, as it was made.")
    summary = serializers.CharField(read_only=True, help_text="Context a reader needs.")
    status = serializers.ChoiceField(choices=ClaimStatus.choices, read_only=True)
    allowed_transitions = serializers.ListField(
        child=serializers.ChoiceField(choices=ClaimStatus.choices),
        read_only=True,
        help_text="None while a verdict proposal awaits approval.",
    )
    proposal = PendingProposalSerializer(
        allow_null=True,
        read_only=True,
        help_text="The verdict awaiting a second reviewer's approval (approve/, reject/); "
        "null when none does, and for anonymous readers.",
    )
    review_rating = ReviewRatingSerializer(allow_null=True, read_only=True)
    publication = PublicationSerializer(read_only=True)
    public_url = serializers.URLField(
        allow_null=True, read_only=True, help_text="The fact check's page; null while not public."
    )
    claimant = SourceBriefSerializer(allow_null=True, read_only=True)
    assignee = serializers.CharField(
        allow_null=True, help_text="A username; null for anonymous readers.", read_only=True
    )
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    language = serializers.CharField(read_only=True)
    first_seen_at = serializers.DateTimeField(allow_null=True, read_only=True)
    supporting_count = serializers.IntegerField(read_only=True)
    countering_count = serializers.IntegerField(read_only=True)
    evidence_count = serializers.IntegerField(read_only=True)
    reviews = ReviewSerializer(
        many=True, read_only=True, help_text="Other publishers' fact checks of it (imported)."
    )
    imported_from = serializers.CharField(
        allow_null=True,
        read_only=True,
        help_text="The file or URL of the import that created it; null for a claim people made.",
    )
    version = serializers.IntegerField(read_only=True)
    merged_into = serializers.UUIDField(
        allow_null=True,
        read_only=True,
        help_text="The claim this duplicate was merged into (it is read-only, and a GET of it "
        "is redirected there); null for a claim not merged.",
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    links = ClaimLinksSerializer(read_only=True)

    def link_templates(self) -> dict[str, str]:
        # Reversing the links for every claim was a third of a list page's time, and for every
        # page a tenth of a search's (bench/): they are reversed once per site a process
        # answers as (scheme, host, script prefix), for a placeholder id.
        templates = self.__dict__.get("_link_templates")
        if templates is not None:
            return templates
        request = self.context.get("request")
        site = (
            (request.scheme, request.get_host(), get_script_prefix()) if request else ("", "", "")
        )
        templates = _link_templates.get(site)
        if templates is None:
            templates = {
                name: absolute(request, f"api:{route}", _PLACEHOLDER_ID)
                for name, route in _CLAIM_LINKS.items()
            }
            if len(_link_templates) < _LINK_SITES_KEPT:
                _link_templates[site] = templates
        self.__dict__["_link_templates"] = templates
        return templates

    @cached_property
    def internal(self) -> bool:
        """Whether the reader is signed in (anonymous readers see published fact checks, not
        the deliberation behind them)."""
        request = self.context.get("request")
        return request is not None and request.user.is_authenticated

    @cached_property
    def zone(self) -> tzinfo:
        """The time zone dates are written in (read once for a page of claims)."""
        return timezone.get_current_timezone()

    def to_representation(self, row: Mapping[str, Any]) -> dict[str, Any]:
        zone = self.zone
        status = ClaimStatus(row["status"])
        pk = str(row["id"])
        claimant_id = row["claimant_id"]
        publish_at = row["publication__publish_at"]
        first_published_at = row["publication__first_published_at"]
        unpublished_at = row["publication__unpublished_at"]
        state = publication_state(publish_at=publish_at, unpublished_at=unpublished_at)
        proposal = row["pending_proposal"]
        return {
            "id": pk,
            "text": row["text"],
            "summary": row["summary"],
            "status": row["status"],
            "allowed_transitions": [] if proposal else list(_ALLOWED_TRANSITIONS[status]),
            "proposal": _pending_proposal(proposal, zone) if self.internal else None,
            "review_rating": _review_rating(row, state),
            "publication": {
                "state": state.value,
                "publish_at": None if publish_at is None else _isoformat(publish_at, zone),
                "published_at": None
                if first_published_at is None
                else _isoformat(first_published_at, zone),
                "unpublished_at": None
                if unpublished_at is None
                else _isoformat(unpublished_at, zone),
                "verdict": row["publication__verdict"],
            },
            "public_url": fact_check_url(pk, row["publication__slug"])
            if state == PublicationState.PUBLISHED
            else None,
            "claimant": None
            if claimant_id is None
            else {
                "id": str(claimant_id),
                "name": row["claimant__name"],
                "role": row["claimant__role"],
            },
            "assignee": row["assignee__username"] if self.internal else None,
            "tags": row["tag_names"],
            "language": row["language"],
            "first_seen_at": (
                None if row["first_seen_at"] is None else _isoformat(row["first_seen_at"], zone)
            ),
            "supporting_count": row["supporting_count"],
            "countering_count": row["countering_count"],
            "evidence_count": row["evidence_count"],
            "reviews": [_review(review, zone) for review in row["review_list"]],
            "imported_from": row["imported__source"],
            "version": row["version"],
            "merged_into": None if row["merged_into_id"] is None else str(row["merged_into_id"]),
            "created_at": _isoformat(row["created_at"], zone),
            "updated_at": _isoformat(row["updated_at"], zone),
            "links": {
                name: url.replace(_PLACEHOLDER_ID, pk)
                for name, url in self.link_templates().items()
            },
        }


ClaimInputSerializer.read_only_names = frozenset(ClaimSerializer().fields) - frozenset(
    ClaimInputSerializer().fields
)


class PublishInputSerializer(KnownFieldsOnly):
    publish_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="Publish at this future time (an embargo until then); leave out for now.",
    )
    reason = ProseField(
        max_length=REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="For a correction of a published fact check: why (shown to readers); by "
        "default, the reason of the verdict's status change.",
    )


class UnpublishInputSerializer(KnownFieldsOnly):
    reason = ProseField(
        max_length=REASON_MAX_LENGTH, help_text="Why the fact check is taken off the site."
    )


class TransitionInputSerializer(KnownFieldsOnly):
    status = serializers.ChoiceField(choices=ClaimStatus.choices, help_text="The target status.")
    reason = ProseField(max_length=REASON_MAX_LENGTH, help_text="Why; kept in the history.")
    evidence = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, max_length=100,
        help_text="Ids of this claim's evidence to cite (needed for verified, false, misleading).",
    )  # fmt: skip


# --- Parts of a claim ------------------------------------------------------------------------


class AppearanceSerializer(KnownFieldsOnly, serializers.ModelSerializer[Appearance]):
    published_at = OptionalDateTimeField()

    class Meta:
        model = Appearance
        fields = ["id", "url", "outlet", "published_at", "quote", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators: list[Any] = []


class StatementSerializer(serializers.ModelSerializer[Statement]):
    source = SourceBriefSerializer(read_only=True)  # type: ignore[assignment]
    stance = serializers.ChoiceField(choices=StatementStance.choices, read_only=True)
    url = serializers.URLField(read_only=True, allow_blank=True)  # "" when not given

    class Meta:
        model = Statement
        fields = ["id", "source", "quote", "stance", "said_at", "url", "created_at"]
        read_only_fields = fields


class StatementInputSerializer(KnownFieldsOnly):
    source = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Source.objects.all(), help_text="The id of the source quoted."
    )
    quote = ProseField(max_length=STATEMENT_QUOTE_MAX_LENGTH)
    stance = serializers.ChoiceField(
        choices=StatementStance.choices, help_text="counters makes it a counter-statement."
    )
    said_at = OptionalDateTimeField()
    url = WebAddressField(required=False, allow_blank=True)


StatementInputSerializer.read_only_names = frozenset(StatementSerializer().fields) - frozenset(
    StatementInputSerializer().fields
)


class StrictBooleanField(serializers.BooleanField):
    """true or false: a JSON boolean, or in a multipart form the text "true" or "false" (DRF's
    own takes "yes", 1, "on" ... where the schema says boolean)."""

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):  # JSON's, or a form's absent field (DRF: False)
            return data
        form = isinstance(getattr(self.root, "initial_data", None), QueryDict)
        if form and data in ("true", "false"):
            return bool(data == "true")
        self.fail("invalid", input=data)
        raise AssertionError  # fail raises


EVIDENCE_PUBLIC_HELP = (
    "Shown with the published fact check (a file too, for download); internal otherwise."
)


class NoInputSerializer(KnownFieldsOnly):
    """An operation that takes no fields: an empty body, or none."""


class EvidenceCaptureSerializer(serializers.ModelSerializer[EvidenceCapture]):
    """A server-side copy of a URL evidence item's page (verification/capture.py)."""

    state = serializers.ChoiceField(choices=CaptureState.choices, read_only=True)
    requested_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    content = serializers.SerializerMethodField()
    warc = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceCapture
        fields = [
            "id",
            "state",
            "requested_by",
            "requested_at",
            "attempts",
            "next_attempt_at",
            "error",
            "final_url",
            "status_code",
            "content_type",
            "size",
            "sha256",
            "fetched_at",
            "content",
            "warc",
        ]
        read_only_fields = fields

    def _link(self, capture: EvidenceCapture, which: str) -> str | None:
        if capture.state != CaptureState.SUCCEEDED:
            return None
        request = self.context.get("request")
        evidence = capture.evidence
        return absolute(request, f"api:capture-{which}", evidence.claim_id, evidence.pk, capture.pk)

    @extend_schema_field(
        serializers.URLField(allow_null=True, help_text="The page's bytes; null until captured.")
    )
    def get_content(self, capture: EvidenceCapture) -> str | None:
        return self._link(capture, "content")

    @extend_schema_field(
        serializers.URLField(allow_null=True, help_text="Its WARC record; null until captured.")
    )
    def get_warc(self, capture: EvidenceCapture) -> str | None:
        return self._link(capture, "warc")


class EvidenceSerializer(serializers.ModelSerializer[Evidence]):
    kind = serializers.ChoiceField(choices=EvidenceKind.choices, read_only=True)
    stance = serializers.ChoiceField(choices=EvidenceStance.choices, read_only=True)
    added_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    withdrawn_by = serializers.SlugRelatedField[User](
        slug_field="username", read_only=True, allow_null=True
    )
    url = serializers.URLField(read_only=True, allow_blank=True)  # "" for a file
    file_name = serializers.CharField(source="original_name", read_only=True)
    download = serializers.SerializerMethodField()
    captures = EvidenceCaptureSerializer(
        many=True,
        read_only=True,
        help_text="Copies of a URL's page, oldest first (none for a file).",
    )

    class Meta:
        model = Evidence
        fields = [
            "id",
            "kind",
            "stance",
            "description",
            "url",
            "file_name",
            "content_type",
            "size",
            "sha256",
            "download",
            "captures",
            "public",
            "added_by",
            "added_at",
            "withdrawn_at",
            "withdrawn_by",
            "withdrawal_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True, help_text="null for a URL."))
    def get_download(self, evidence: Evidence) -> str | None:
        if not evidence.file:
            return None
        request = self.context.get("request")
        return absolute(request, "api:evidence-download", evidence.claim_id, evidence.pk)


class EvidenceInputSerializer(KnownFieldsOnly):
    kind = serializers.ChoiceField(choices=EvidenceKind.choices)
    stance = serializers.ChoiceField(choices=EvidenceStance.choices)
    description = ProseField(
        max_length=EVIDENCE_DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True
    )
    url = WebAddressField(
        required=False, allow_blank=True,
        help_text="The evidence's address; or upload a file (multipart) instead.",
    )  # fmt: skip
    file = serializers.FileField(
        required=False, allow_empty_file=False,
        help_text="The evidence file (multipart/form-data); or give a url instead.",
    )  # fmt: skip
    public = StrictBooleanField(required=False, default=False, help_text=EVIDENCE_PUBLIC_HELP)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if bool(data.get("file")) == bool(data.get("url")):
            raise serializers.ValidationError(EVIDENCE_FILE_OR_URL)
        return data


EvidenceInputSerializer.read_only_names = frozenset(EvidenceSerializer().fields) - frozenset(
    EvidenceInputSerializer().fields
)


class EvidencePublicInputSerializer(KnownFieldsOnly):
    public = StrictBooleanField(help_text=EVIDENCE_PUBLIC_HELP)


class WithdrawInputSerializer(KnownFieldsOnly):
    reason = ProseField(max_length=REASON_MAX_LENGTH, help_text="Why the evidence is withdrawn.")


class ApproveInputSerializer(KnownFieldsOnly):
    reason = ProseField(
        max_length=REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="A comment on the approval (optional); the verdict keeps the proposal's reason.",
    )


class RejectInputSerializer(KnownFieldsOnly):
    # Required by the service (verdict_reject), which says so in the admin's words too.
    reason = ProseField(
        max_length=REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the proposal is rejected (required); its author reads it.",
    )


class VerdictProposalSerializer(serializers.ModelSerializer[VerdictProposal]):
    verdict = serializers.ChoiceField(choices=VERDICT_CHOICES, read_only=True)
    evidence = serializers.PrimaryKeyRelatedField[Evidence](many=True, read_only=True)
    proposed_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    outcome = serializers.ChoiceField(choices=ProposalOutcome.choices, read_only=True)
    decided_by = serializers.SlugRelatedField[User](
        slug_field="username", read_only=True, allow_null=True
    )
    decision_channel = serializers.ChoiceField(
        choices=[("", ""), *Channel.choices],
        read_only=True,
        help_text="Empty while the proposal awaits a decision.",
    )

    class Meta:
        model = VerdictProposal
        fields = [
            "id",
            "verdict",
            "reason",
            "evidence",
            "proposed_by",
            "proposed_at",
            "channel",
            "outcome",
            "decided_by",
            "decided_at",
            "decision_reason",
            "decision_channel",
        ]
        read_only_fields = fields


class StatusChangeSerializer(serializers.ModelSerializer[StatusChange]):
    from_status = serializers.ChoiceField(choices=ClaimStatus.choices, read_only=True)
    to_status = serializers.ChoiceField(choices=ClaimStatus.choices, read_only=True)
    actor = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    evidence = serializers.PrimaryKeyRelatedField[Evidence](many=True, read_only=True)
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    proposed_by = serializers.CharField(
        source="proposal.proposed_by.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="Who proposed the verdict, when a second reviewer (actor) approved it.",
    )

    class Meta:
        model = StatusChange
        fields = [
            "id",
            "from_status",
            "to_status",
            "actor",
            "reason",
            "evidence",
            "channel",
            "claim_version",
            "proposal",
            "proposed_by",
            "at",
        ]
        read_only_fields = fields


class QueryParameters(serializers.Serializer[Any]):
    """A query string's parameters: one given empty is refused, not read as not given."""

    def to_internal_value(self, data: Any) -> Any:
        blank = {
            name: [serializers.CharField.default_error_messages["blank"]]
            for name, field in self.fields.items()
            if data.get(name) == "" and not getattr(field, "allow_blank", False)
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)


class SimilarScopeSerializer(QueryParameters):
    """Which claims claims/{id}/similar/ suggests (matching.selectors.Scope)."""

    external = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Also suggest the fact checks imported from other publishers (false: only "
        "this organisation's own claims).",
    )
    since_days = serializers.IntegerField(
        required=False, min_value=1, max_value=36_500,
        help_text="Only claims recorded in the last so many days.",
    )  # fmt: skip
    min_score = serializers.FloatField(
        required=False, min_value=0.0, max_value=1.0, default=0.0,
        help_text="Only suggestions scoring at least this (each layer's threshold applies too).",
    )  # fmt: skip
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=SIMILAR_LIMIT_MAX, default=10
    )


class SimilarQuerySerializer(SimilarScopeSerializer):
    """The query of claims/similar/: a text not saved as a claim, and the scope."""

    text = ProseField(
        max_length=CLAIM_TEXT_MAX_LENGTH, help_text="The claim to look for, as it was made."
    )
    lang = serializers.CharField(
        required=False, max_length=16, validators=[known_language],
        help_text="The text's language: an ISO 639 code such as en, ru or uk.",
    )  # fmt: skip


class SimilarClaimSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    url = serializers.URLField(help_text="The claim in the API.")
    text = serializers.CharField()
    language = serializers.CharField()
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    created_at = serializers.DateTimeField()
    reviews = serializers.ListField(
        child=serializers.DictField(),
        help_text="Other publishers' fact checks of it (publisher_name, publisher_site, "
        "rating_label as they wrote it, url).",
    )


class SimilarSerializer(serializers.Serializer[Any]):
    """A claim like the one looked for, why, and how alike."""

    claim = SimilarClaimSerializer()
    match = serializers.ChoiceField(
        choices=[("text", "Same text"), ("wording", "Near-identical wording"),
                 ("meaning", "Same meaning")],
        help_text="The layer that matched (the first of text, wording, meaning).",
    )  # fmt: skip
    reason = serializers.CharField(help_text="Why it matched, in words.")
    score = serializers.FloatField(help_text="The matching layer's score, 0 to 1.")
    scores = serializers.DictField(
        child=serializers.FloatField(),
        help_text="Every layer's score that was computed: text (1 or 0), wording (trigram "
        "similarity), meaning (cosine of the embeddings).",
    )


class SimilarResultsSerializer(serializers.Serializer[Any]):
    results = SimilarSerializer(many=True)
    thresholds = serializers.DictField(child=serializers.FloatField())
    unavailable = serializers.DictField(
        child=serializers.CharField(),
        help_text="Layers not consulted, and why (the similar-claim index being built).",
    )


class MergeInputSerializer(KnownFieldsOnly):
    """claims/{id}/merge/: this claim (its version in If-Match) is a duplicate of another."""

    canonical = serializers.UUIDField(help_text="The id of the claim to keep.")
    canonical_version = serializers.IntegerField(
        min_value=1,
        help_text="The version of the claim to keep that the client saw (its ETag's number): "
        "a stale one is refused with 412, as a stale If-Match is.",
    )


class ClaimLinkSerializer(serializers.Serializer[Any]):
    """Two claims that belong together without being duplicates."""

    id = serializers.UUIDField(read_only=True)
    claim = serializers.UUIDField(help_text="The other claim.")
    claim_text = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(
        choices=LinkKind.choices, help_text="related, or contradicts (it reads both ways)."
    )
    created_by = serializers.CharField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class ClaimLinkInputSerializer(KnownFieldsOnly):
    claim = serializers.UUIDField(help_text="The id of the claim to link with.")
    kind = serializers.ChoiceField(choices=LinkKind.choices)


class ClaimCreatedSerializer(ClaimSerializer):
    """A claim just created, and the claims most like it already here."""

    similar = SimilarSerializer(
        many=True,
        read_only=True,
        help_text="The claims most like it (claims/{id}/similar/ with its defaults): is it a "
        "duplicate? Suggestions only.",
    )
