"""The admin of claims and sources, where reviewers and editors work. Writes go through services.

No ModelAdmin here saves a model itself: ``save_model`` and ``save_related`` call the claim
and verification services, and any error those raise becomes a form error (core.admin). The
claim page's status, its "Change status" page and action and its evidence rows come from
verification.admin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pghistory.admin
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR
from django.contrib.auth import get_user_model
from django.contrib.postgres.fields import ArrayField
from django.db.models import Count, F, Func, IntegerField, Q, QuerySet, UUIDField, Value
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from claims import services
from claims.models import Appearance, Claim, Source, Statement, Tag
from claims.selectors import (
    HISTORY_SUBJECTS,
    NEEDS_REVIEW_STATUSES,
    claim_board,
    claim_edit_history,
    claim_links,
    claim_list,
    claim_needing_review,
)
from core.admin import (
    KeySafeAdminMixin,
    RowServices,
    ServiceInlineFormSet,
    ServiceWriteAdmin,
    VersionedModelForm,
    acting_user,
    service_refused,
)
from core.forms import SERVICE_ERRORS
from interchange.admin import claim_reviews_context
from interchange.admin_export import ClaimExportAdminMixin
from matching.admin import CHECK_SIMILAR, ClaimMatchingAdminMixin
from publishing.admin import ClaimPublicationAdminMixin
from search.backends import claim_search
from search.index import Filters, query_problem
from verification.admin import (
    ClaimStatusAdminMixin,
    EvidenceAddInline,
    EvidenceInline,
    evidence_card,
    stance_badge,
    status_badge,
)

if TYPE_CHECKING:
    _TabularInline = admin.TabularInline[Any, Claim]
    _ModelForm = forms.ModelForm[Any]
else:
    _TabularInline = admin.TabularInline
    _ModelForm = forms.ModelForm


class HistoryEventsAdmin(pghistory.admin.EventsAdmin):
    """pghistory's admin of every event (PGHISTORY_ADMIN_CLASS)."""

    # Its change list does not take Django 5's facet counts: "Show counts" was a 500.
    show_facets = admin.ShowFacets.NEVER


class AppearanceFormSet(ServiceInlineFormSet):
    editable = services.APPEARANCE_EDITABLE
    services = RowServices(
        row="appearance",
        add=services.appearance_add,
        update=services.appearance_update,
        remove=services.appearance_remove,
    )


class StatementFormSet(ServiceInlineFormSet):
    editable = services.STATEMENT_EDITABLE
    services = RowServices(
        row="statement",
        add=services.statement_add,
        update=services.statement_update,
        remove=services.statement_remove,
    )


# --- Inlines of the claim page -------------------------------------------------------------


class AppearanceForm(_ModelForm):
    class Meta:
        model = Appearance
        fields = ["url", "outlet", "published_at", "quote"]
        widgets = {"quote": forms.Textarea(attrs={"rows": 2, "cols": 40})}


class AppearanceInline(_TabularInline):
    model = Appearance
    form = AppearanceForm
    formset = AppearanceFormSet
    fields = ["url", "outlet", "published_at", "quote"]
    extra = 0


class StatementForm(_ModelForm):
    class Meta:
        model = Statement
        fields = ["source", "quote", "stance", "said_at", "url"]
        widgets = {"quote": forms.Textarea(attrs={"rows": 2, "cols": 40})}


class StatementInline(KeySafeAdminMixin, _TabularInline):
    model = Statement
    form = StatementForm
    formset = StatementFormSet
    fields = ["stance_label", "source", "quote", "stance", "said_at", "url"]
    readonly_fields = ["stance_label"]
    autocomplete_fields = ["source"]
    extra = 0
    verbose_name = "statement"
    verbose_name_plural = "statements (supporting, counter-statements, context)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Statement]:
        return super().get_queryset(request).select_related("source")

    @admin.display(description="Stance")
    def stance_label(self, obj: Statement) -> str:
        return "" if obj._state.adding else stance_badge(obj.stance)


# --- Claims ---------------------------------------------------------------------------------


def parse_tags(text: str) -> list[str]:
    return sorted({name.strip().lower() for name in text.split(",") if name.strip()})


class ClaimAdminForm(VersionedModelForm):
    tags_text = forms.CharField(
        label="Tags",
        required=False,
        help_text="Comma-separated, e.g. ukraine, russia, troops.",
        widget=forms.TextInput(attrs={"size": 60}),
    )

    class Meta:
        model = Claim
        fields = ["text", "summary", "claimant", "first_seen_at", "language", "assignee"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 3, "cols": 80}),
            "summary": forms.Textarea(attrs={"rows": 3, "cols": 80}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding and "tags_text" in self.fields:
            names = Tag.objects.filter(claims=self.instance).values_list("name", flat=True)
            self.fields["tags_text"].initial = ", ".join(names)

    def clean_tags_text(self) -> list[str]:
        return parse_tags(self.cleaned_data.get("tags_text") or "")

    def is_valid(self) -> bool:
        # "Check for duplicates" on the add page: shown again, as typed, with the claims like
        # it (matching.admin); nothing is saved.
        return super().is_valid() and CHECK_SIMILAR not in self.data


# A search lists at most this many claims, the best matches.
ADMIN_SEARCH_LIMIT = 1_000


class NeedsReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "needs_review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Needs review (unverified or in review)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return claim_needing_review(queryset) if self.value() == "yes" else queryset


class AssignedToMeFilter(admin.SimpleListFilter):
    title = "assignment"
    parameter_name = "assigned"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("me", "Assigned to me"), ("nobody", "Unassigned")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "me":
            return queryset.filter(assignee_id=request.user.pk)
        if self.value() == "nobody":
            return queryset.filter(assignee__isnull=True)
        return queryset


def _search_filters(request: HttpRequest) -> Filters:
    """The claim list's filters that the search engine applies itself, so that the best
    matches it returns are those of the filtered list (the list applies them all again)."""
    given = request.GET
    statuses = [given["status__exact"]] if given.get("status__exact") else []
    if given.get(NeedsReviewFilter.parameter_name) == "yes":
        statuses = [s for s in NEEDS_REVIEW_STATUSES if not statuses or s in statuses] or ["-"]
    assignee = ""
    if given.get(AssignedToMeFilter.parameter_name) == "me":
        assignee = request.user.get_username()
    elif (user_id := given.get("assignee__id__exact", "")).isdigit():
        user = get_user_model().objects.filter(pk=user_id).first()
        assignee = user.get_username() if user else "-"
    tags = []
    if (tag_id := given.get("tags__id__exact", "")).isdigit():
        tags = [Tag.objects.filter(pk=tag_id).values_list("name", flat=True).first() or "-"]
    return Filters(
        statuses=statuses,
        tags=tags,
        assignee=assignee,
        claimant_id=given.get("claimant__id__exact", ""),
    )


CLAIM_FORM_FIELDS = ("text", "summary", "claimant", "first_seen_at", "language", "assignee")


@admin.register(Claim)
class ClaimAdmin(
    ClaimExportAdminMixin,
    ClaimMatchingAdminMixin,
    ClaimPublicationAdminMixin,
    ClaimStatusAdminMixin,
    ServiceWriteAdmin,
):
    form = ClaimAdminForm
    list_display = [
        "claim_text",
        "status_label",
        "claimant_name",
        "assignee",
        "supporting",
        "countering",
        "evidence_count",
        "updated",
    ]
    list_display_links = ["claim_text"]
    list_filter = [
        "status",
        NeedsReviewFilter,
        AssignedToMeFilter,
        ("assignee", admin.RelatedOnlyFieldListFilter),
        ("tags", admin.RelatedOnlyFieldListFilter),
        ("claimant", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["claimant", "assignee"]
    search_fields = ["text"]  # searched through search.backends (get_search_results)
    search_help_text = (
        "Searches claim text, summary, claimant, statement quotes and sources, in every "
        'language, best match first: words (all must match), "a phrase", or, -word.'
    )
    list_per_page = 50
    autocomplete_fields = ["claimant"]
    readonly_fields = [
        "status_label",
        "version",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [AppearanceInline, StatementInline, EvidenceInline, EvidenceAddInline]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        main = ["text", "summary", "claimant", "first_seen_at", "language", "tags_text", "assignee"]
        if obj is None:
            return [(None, {"fields": main})]
        if self.has_change_permission(request, obj):
            main.append("seen_version")
        return [
            (None, {"fields": main}),
            (
                "Verification",
                {"fields": ["status_label", "version", "created_by", "created_at", "updated_at"]},
            ),
        ]

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:  # a new claim has no evidence on record yet
            return [inline for inline in self.inlines if inline is not EvidenceInline]
        return self.inlines

    def get_formset_kwargs(
        self, request: HttpRequest, obj: Any, inline: Any, prefix: str
    ) -> dict[str, Any]:
        if isinstance(inline, EvidenceAddInline):
            prefix = "new_evidence"  # the same on the add and the change page
        return super().get_formset_kwargs(request, obj, inline, prefix)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        return claim_list()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Claim], bool]:
        """The best matches (ADMIN_SEARCH_LIMIT), filtered as the list is, best first."""
        if not search_term.strip():
            return queryset, False
        if problem := query_problem(search_term):
            messages.error(request, problem)
            return queryset.none(), False
        found = claim_search(
            search_term, filters=_search_filters(request), limit=ADMIN_SEARCH_LIMIT
        )
        if found.total > ADMIN_SEARCH_LIMIT:
            total = f"{found.total:,}" + ("" if found.exact else "+")
            messages.info(
                request,
                f"The {ADMIN_SEARCH_LIMIT:,} best of {total} matches are listed: add words or "
                "filters to narrow the search.",
            )
        position = Func(
            Value(found.ids, output_field=ArrayField(UUIDField())),
            F("id"),
            function="array_position",
            output_field=IntegerField(),
        )
        matches = queryset.filter(pk__in=found.ids)
        if ORDER_VAR in request.GET:  # a column the reviewer chose to order by
            return matches, False
        return matches.alias(search_position=position).order_by("search_position"), False

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if "assignee" in form.base_fields:
            # Active staff users, as the service requires, and whoever the claim is assigned
            # to now: an assignee who has left stays until someone assigns another.
            people = Q(is_active=True, is_staff=True)
            if obj is not None and obj.assignee_id:
                people |= Q(pk=obj.assignee_id)
            users = get_user_model().objects.filter(people).order_by("username")
            form.base_fields["assignee"].queryset = users
        return form

    # List columns.

    @admin.display(description="Claim", ordering="text")
    def claim_text(self, obj: Claim) -> str:
        return str(obj)

    @admin.display(description="Status", ordering="status")
    def status_label(self, obj: Claim) -> SafeString:
        return status_badge(obj.status)

    @admin.display(description="Claimant", ordering="claimant__name")
    def claimant_name(self, obj: Claim) -> str:
        return obj.claimant.name if obj.claimant else "—"

    @admin.display(description="Supports", ordering="supporting_count")
    def supporting(self, obj: Claim) -> int:
        return int(getattr(obj, "supporting_count", 0))

    @admin.display(description="Counters", ordering="countering_count")
    def countering(self, obj: Claim) -> SafeString | int:
        count = int(getattr(obj, "countering_count", 0))
        if count:
            return format_html('<strong style="color:#b91c1c">{}</strong>', count)
        return count

    @admin.display(description="Evidence", ordering="evidence_count")
    def evidence_count(self, obj: Claim) -> int:
        return int(getattr(obj, "evidence_count", 0))

    @admin.display(description="Updated", ordering="updated_at")
    def updated(self, obj: Claim) -> str:
        return f"{timezone.localtime(obj.updated_at):%Y-%m-%d %H:%M}"

    @admin.display(description="Tags")
    def tags_text(self, obj: Claim) -> str:
        # What view-only users see in place of the form's tags field.
        return ", ".join(tag.name for tag in obj.tags.all()) or "—"

    # The claim page.

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        context.update(self.similar_page_context(request, obj))
        if obj is not None and obj.pk:
            context["claim_links"] = claim_links(claim=obj)
            context.update(self.status_page_context(request, obj))
            context.update(self.publication_page_context(request, obj))
            context.update(claim_reviews_context(obj))
            board = claim_board(claim=obj)
            context["board"] = board
            context["evidence_cards"] = [evidence_card(item) for item in board.evidence]
            context["statement_groups"] = [
                ("Supporting", board.supporting, "supports"),
                ("Counter-statements", board.countering, "counters"),
                ("Context", board.context, "context"),
            ]
            # The history, narrowed to one kind of thing with ?history= (shown open then).
            wanted = request.GET.get("history", "")
            history = claim_edit_history(claim=obj)
            if wanted in HISTORY_SUBJECTS:
                history = [event for event in history if event.subject == wanted]
            context["edit_history"] = history
            context["history_filter"] = wanted if wanted in HISTORY_SUBJECTS else ""
            context["history_subjects"] = HISTORY_SUBJECTS
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request: HttpRequest, obj: Claim, form: Any, change: bool) -> None:
        actor = acting_user(request)
        data = {name: form.cleaned_data[name] for name in CLAIM_FORM_FIELDS if name in form.fields}
        if "tags_text" in form.fields:
            data["tags"] = form.cleaned_data["tags_text"]
        field_map = {"tags": "tags_text"}
        try:
            if change:
                saved = services.claim_update(
                    actor=actor, claim=obj, version=form.cleaned_data["seen_version"], data=data
                )
            else:
                saved = services.claim_create(actor=actor, **data)
        except SERVICE_ERRORS as error:
            raise service_refused(error, field_map=field_map) from error
        # The admin goes on with ``obj`` (inlines, change message, redirect): make it the row.
        vars(obj).update(vars(saved))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        actor = acting_user(request)
        claim = form.instance
        for formset in formsets:
            try:
                formset.save_through_services(actor=actor, parent=claim)
            except SERVICE_ERRORS as error:
                label = str(formset.model._meta.verbose_name).capitalize()
                raise service_refused(error, prefix=label) from error


# --- Sources --------------------------------------------------------------------------------


class SourceAdminForm(VersionedModelForm):
    class Meta:
        model = Source
        fields = ["name", "kind", "role", "country", "url", "notes"]


SOURCE_FORM_FIELDS = ("name", "kind", "role", "country", "url", "notes")


@admin.register(Source)
class SourceAdmin(ServiceWriteAdmin):
    form = SourceAdminForm
    list_display = ["name", "kind", "role", "country", "claim_count", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["name", "role"]
    readonly_fields = ["version", "created_at", "updated_at"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(SOURCE_FORM_FIELDS)
        if obj is not None:
            if self.has_change_permission(request, obj):
                fields.append("seen_version")
            fields += ["version", "created_at", "updated_at"]
        return fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return super().get_queryset(request).annotate(claims_made=Count("claims", distinct=True))

    @admin.display(description="Claims", ordering="claims_made")
    def claim_count(self, obj: Source) -> int:
        return int(getattr(obj, "claims_made", 0))

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        actor = acting_user(request)
        data = {name: form.cleaned_data[name] for name in SOURCE_FORM_FIELDS if name in form.fields}
        try:
            if change:
                saved = services.source_update(
                    actor=actor, source=obj, version=form.cleaned_data["seen_version"], data=data
                )
            else:
                saved = services.source_create(actor=actor, **data)
        except SERVICE_ERRORS as error:
            raise service_refused(error) from error
        vars(obj).update(vars(saved))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # a source has no inlines and no many-to-many fields
