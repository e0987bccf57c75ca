from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField
from rest_framework import filters, serializers
from rest_framework.request import Request

from claims.models import Claim, ClaimStatus, Source, SourceKind, Statement, StatementStance
from interchange.selectors import reviewed_condition
from matching.selectors import known_language
from search.backends import MAX_RESULTS, query_validate
from search.index import QUERY_MAX_WORDS
from verification.workflow import VERDICTS

# The filters on other publishers' reviews: PostgreSQL's alone (the search index has none).
REVIEW_FILTERS = ("has_reviews", "review_publisher", "review_verdict")
# Anonymous readers are not shown who reviews a claim; a filter by username would tell them
# whether one exists (some claims, or none).
ASSIGNEE_FILTER_SIGNED_IN_ONLY = "Only signed-in readers can filter by assignee."


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, in UTC: PostgreSQL refuses offsets beyond 15:59, Python not."""

    def to_python(self, value: Any) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError as error:
            raise ValidationError("This date and time is out of range.", code="invalid") from error


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


def tag_name(value: str) -> str:
    """The stored name of the tag a filter's value names (tags are stored in lower case)."""
    return value.strip().lower()


class ClaimFilter(django_filters.FilterSet):
    # distinct=False: a claim has one status, and SELECT DISTINCT made PostgreSQL compute
    # every matching row (counts included) before taking the page (bench/).
    status = django_filters.MultipleChoiceFilter(
        choices=ClaimStatus.choices,
        distinct=False,
        help_text="Repeat for several: ?status=false&status=misleading",
    )
    claimant = django_filters.UUIDFilter(field_name="claimant_id", help_text="A source id.")
    tag = django_filters.CharFilter(method="filter_tag", help_text="A tag name.")
    assignee = django_filters.CharFilter(
        field_name="assignee__username",
        help_text="A username (in the API, for signed-in readers only).",
    )
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    has_reviews = django_filters.BooleanFilter(
        method="filter_has_reviews",
        help_text="true: claims other publishers have fact-checked (imported reviews); false: "
        "the others.",
    )
    review_publisher = django_filters.CharFilter(
        method="filter_reviews",
        max_length=200,
        help_text="Claims reviewed by this publisher: its site (host name) or its name.",
    )
    review_verdict = django_filters.ChoiceFilter(
        method="filter_reviews",
        choices=[(verdict.value, verdict.label) for verdict in VERDICTS],
        help_text="Claims another publisher rated with a label that maps to this verdict "
        "(with review_publisher: that publisher did).",
    )
    # The search itself is the view's (search.backends): these declare and validate them.
    q = django_filters.CharFilter(
        method="filter_noop",
        max_length=500,
        validators=[query_validate],
        help_text="Full-text search over claim text, summary, claimant, statement quotes and "
        "source names, in every language (stemmed, accents ignored): words (all must match), "
        f'"a phrase", `or`, `-word`; at most {QUERY_MAX_WORDS} words. Best match first '
        "unless `ordering` is given (its first field then orders the results). The page has "
        "`count`, the number of matches (exact, unless `count_exact` is false: at least that "
        f"many), and pages up to the {MAX_RESULTS:,}th match.",
    )
    lang = django_filters.CharFilter(
        method="filter_noop",
        max_length=16,
        validators=[known_language],
        help_text="The language of `q` (default en), for stemming it when the server searches "
        "PostgreSQL rather than its search index; written as a claim's language is (en, pt-BR).",
    )

    class Meta:
        model = Claim
        fields: list[str] = []

    def get_form_class(self) -> Any:
        # Built once: no filter's field here depends on the request (django-filter builds the
        # form class again for every request, a tenth of a search's time in Django, bench/).
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls.__dict__["_form_class"]

    def is_valid(self) -> bool:
        """The form's rules, and the reader's: an anonymous request may not filter by
        ``assignee`` (no request, as on the command line: any filter). The list, its search
        and the export all ask this before filtering."""
        valid = bool(super().is_valid())
        anonymous = self.request is not None and not self.request.user.is_authenticated
        if anonymous and self.is_bound and self.form.cleaned_data.get("assignee"):
            self.form.add_error("assignee", ASSIGNEE_FILTER_SIGNED_IN_ONLY)  # out of cleaned_data
            return False
        return valid

    def filter_tag(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        return queryset.filter(tags__name=tag_name(value))

    def filter_noop(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        return queryset

    def filter_has_reviews(
        self, queryset: QuerySet[Claim], name: str, value: bool | None
    ) -> QuerySet[Claim]:
        if value is None:
            return queryset
        return queryset.filter(reviewed_condition() if value else ~reviewed_condition())

    def filter_reviews(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        if name == "review_verdict" and self.form.cleaned_data.get("review_publisher"):
            return queryset  # review_publisher's filter applies both: one review, both true
        return queryset.filter(
            reviewed_condition(
                publisher=self.form.cleaned_data.get("review_publisher") or "",
                verdict=self.form.cleaned_data.get("review_verdict") or "",
            )
        )


class SourceFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Part of the name.")
    kind = django_filters.ChoiceFilter(choices=SourceKind.choices)

    class Meta:
        model = Source
        fields: list[str] = []


class StatementFilter(django_filters.FilterSet):
    stance = django_filters.ChoiceFilter(choices=StatementStance.choices)

    class Meta:
        model = Statement
        fields: list[str] = []


class StrictOrderingFilter(filters.OrderingFilter):
    """Like DRF's, but an unknown ordering is a 400 rather than silently ignored.

    A view's ``ordering_annotations`` orders a field by an expression instead (cursor pages
    take their position from the first field, which must not be null).
    """

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        annotations = getattr(view, "ordering_annotations", {})
        if annotations:
            queryset = queryset.annotate(
                **{_sort_key(name): expression for name, expression in annotations.items()}
            )
        return super().filter_queryset(request, queryset, view)

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",")]
            valid = {
                name for name, _ in self.get_valid_fields(queryset, view, {"request": request})
            }
            unknown = [field for field in fields if field.removeprefix("-") not in valid]
            if unknown:
                raise serializers.ValidationError(
                    {self.ordering_param: [
                        f"Cannot order by {', '.join(unknown)}; use {', '.join(sorted(valid))} "
                        "(prefix - for descending)."
                    ]}
                )  # fmt: skip
            annotated = getattr(view, "ordering_annotations", {})
            return [*(_ordering_key(field, annotated) for field in fields), "-id"]
        if request.query_params.get("q", "").strip():
            return ["-rank", "-id"]  # search results by relevance
        return self.get_default_ordering(view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        default = ",".join(getattr(view, "ordering", None) or ["-id"])
        parameters[0]["description"] = (
            f"Order by {', '.join(view.ordering_fields)}; several separated by commas, each "
            f"prefixed with - for descending. Default {default}, or relevance with q."
        )
        return parameters


def _sort_key(name: str) -> str:
    return f"{name}_sort_key"


def _ordering_key(field: str, annotated: dict[str, Any]) -> str:
    """``-first_seen_at`` as ``-first_seen_at_sort_key`` when that field is annotated."""
    name = field.lstrip("-")
    return field.removesuffix(name) + _sort_key(name) if name in annotated else field
