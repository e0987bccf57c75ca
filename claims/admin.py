"""The admin where reviewers and editors work. Every write goes through the services.

No ModelAdmin here saves a model itself: ``save_model`` and ``save_related`` call the claim
and verification services, and any error those raise becomes a form error or a message.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pghistory.admin
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from claims import services
from claims.errors import StaleVersionError
from claims.models import (
    Appearance,
    Claim,
    ClaimStatus,
    Source,
    Statement,
    StatementStance,
    Tag,
)
from claims.selectors import (
    claim_edit_history,
    claim_list,
    claim_needing_review,
    claim_search,
    claim_status_history,
)
from verification import services as verification_services
from verification.forms import (
    SERVICE_ERRORS,
    STALE_FORM_MESSAGE,
    BulkStatusChangeForm,
    ClaimStatusChangeForm,
    EvidenceAddForm,
    EvidenceWithdrawForm,
    HttpsURLField,
    form_add_service_error,
    service_error_messages,
    service_error_text,
    stale_claims_message,
)
from verification.models import Channel, Evidence, EvidenceStance

if TYPE_CHECKING:
    from django.forms.models import BaseInlineFormSet as _BaseInlineFormSet

    _ModelAdmin = admin.ModelAdmin[Any]
    _TabularInline = admin.TabularInline[Any, Claim]
    _ModelForm = forms.ModelForm[Any]
    _InlineFormSet = _BaseInlineFormSet[Any, Claim, Any]
else:
    from django.forms.models import BaseInlineFormSet as _InlineFormSet

    _ModelAdmin = admin.ModelAdmin
    _TabularInline = admin.TabularInline
    _ModelForm = forms.ModelForm

admin.site.site_header = "Claim tracker"
admin.site.site_title = "Claim tracker"
admin.site.index_title = "Claims, sources and evidence"

CHANGE_STATUS_PERMISSION = "claims.change_claim_status"

# Colours of the status and stance labels (white text on these).
STATUS_COLOURS: dict[str, str] = {
    ClaimStatus.UNVERIFIED: "#6b7280",
    ClaimStatus.IN_REVIEW: "#1d4ed8",
    ClaimStatus.VERIFIED: "#15803d",
    ClaimStatus.FALSE: "#b91c1c",
    ClaimStatus.MISLEADING: "#c2410c",
    ClaimStatus.UNPROVEN: "#6d28d9",
}
STANCE_COLOURS: dict[str, str] = {
    StatementStance.SUPPORTS: "#15803d",
    StatementStance.COUNTERS: "#b91c1c",
    StatementStance.CONTEXT: "#6b7280",
    EvidenceStance.REFUTES: "#b91c1c",
    EvidenceStance.INCONCLUSIVE: "#6b7280",
}
STANCE_LABELS: dict[str, str] = {
    StatementStance.SUPPORTS: "Supports",
    StatementStance.COUNTERS: "Counter-statement",
    StatementStance.CONTEXT: "Context",
    EvidenceStance.REFUTES: "Refutes",
    EvidenceStance.INCONCLUSIVE: "Inconclusive",
}


def badge(text: str, colour: str, css_class: str) -> SafeString:
    return format_html(
        '<span class="badge {}" style="display:inline-block;padding:1px 8px;'
        "border-radius:9px;color:#fff;background:{};font-weight:600;white-space:nowrap"
        '">{}</span>',
        css_class,
        colour,
        text,
    )


def status_badge(status: str) -> SafeString:
    label = ClaimStatus(status).label if status in ClaimStatus.values else status
    return badge(str(label), STATUS_COLOURS.get(status, "#6b7280"), f"status-{status}")


def stance_badge(stance: str) -> SafeString:
    return badge(
        STANCE_LABELS.get(stance, stance), STANCE_COLOURS.get(stance, "#6b7280"), f"stance-{stance}"
    )


def acting_user(request: HttpRequest) -> User:
    """The signed-in user the services act for (the admin only lets staff users in)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


# --- Keys posted by the admin's own widgets --------------------------------------------------


def is_key(field: Any, value: Any) -> bool:
    """True if ``value`` can be a value of the model field ``field`` (a key: a UUID, a number)."""
    try:
        field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return False
    return True


class KeySafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget; a posted value that is not a key shows as no choice.

    The field's own error says what was wrong; Django's widget looked the value up in the
    database to show it again, and a value that is not a key was a 500.
    """

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        target = self.field.target_field
        return super().optgroups(name, [item for item in value if is_key(target, item)], attr)


class KeySafeAdminMixin:
    """Posted keys that are not keys at all are refused like unknown ones, never a 500: the
    rows selected for an action and the choice of an autocomplete field."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):  # type: ignore[attr-defined]
            kwargs["widget"] = KeySafeAutocompleteSelect(
                db_field,
                self.admin_site,  # type: ignore[attr-defined]
                using=kwargs.get("using"),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def response_action(
        self, request: HttpRequest, queryset: QuerySet[Any], *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        key = queryset.model._meta.pk
        if not all(is_key(key, pk) for pk in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)):
            self.message_user(  # type: ignore[attr-defined]
                request,
                "The selection is not one of the listed rows; select them again.",
                messages.WARNING,
            )
            return None  # the change list again, as after an action without a selection
        return super().response_action(request, queryset, *args, **kwargs)  # type: ignore[misc]


class HistoryEventsAdmin(pghistory.admin.EventsAdmin):
    """pghistory's admin of every event (PGHISTORY_ADMIN_CLASS)."""

    # Its change list does not take Django 5's facet counts: "Show counts" was a 500.
    show_facets = admin.ShowFacets.NEVER


# --- Refused writes -------------------------------------------------------------------------


class ServiceRefused(Exception):
    """A service refused a write during an admin save; the transaction is rolled back."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = dict(errors)


def service_refused(
    error: Exception, *, prefix: str = "", field_map: Mapping[str, str] | None = None
) -> ServiceRefused:
    """Wrap a service error: field errors of the main form by field, the rest as text."""
    field_map = field_map or {}
    errors: dict[str, list[str]] = {}
    for name, texts in service_error_messages(error).items():
        if prefix:
            label = "" if name == NON_FIELD_ERRORS else f"{name}: "
            errors.setdefault(NON_FIELD_ERRORS, []).extend(f"{prefix}: {label}{t}" for t in texts)
        else:
            errors.setdefault(field_map.get(name, name), []).extend(texts)
    return ServiceRefused(errors)


# Errors of a refused save, kept for the second rendering of the same request.
_refused_saves: weakref.WeakKeyDictionary[HttpRequest, dict[str, list[str]]] = (
    weakref.WeakKeyDictionary()
)


class ServiceModelForm(_ModelForm):
    """A model form that shows the errors of a refused save (set on a per-request subclass)."""

    refused: ClassVar[dict[str, list[str]]] = {}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, texts in self.refused.items():
            target = name if name in self.fields else None
            for text in texts:
                if target is None and name != NON_FIELD_ERRORS:
                    text = f"{name}: {text}"
                self.add_error(target, text)
        return cleaned


class VersionedModelForm(ServiceModelForm):
    """Carries the version the editor saw, so that a stale form is refused, never saved."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding and "seen_version" in self.fields:
            self.fields["seen_version"].required = True
            self.fields["seen_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        seen = cleaned.get("seen_version")
        if not self.instance._state.adding and seen is not None and seen != self.instance.version:
            self.add_error(None, STALE_FORM_MESSAGE)
        return cleaned


class ServiceWriteAdmin(KeySafeAdminMixin, _ModelAdmin):
    """Saves through services; a refused save shows the form again with what was wrong."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            # The view's transaction was rolled back, so nothing was saved. Render the same
            # POST again, with the service's errors added to the form.
            _refused_saves[request] = refused.errors
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        refused = _refused_saves.get(request)
        if refused:
            form = type(form.__name__, (form,), {"refused": refused})
        return form

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # never deleted: the history would lose what it refers to


# --- Inline formsets saved through the services --------------------------------------------


class ServiceInlineFormSet(_InlineFormSet):
    """An inline formset whose rows are added, changed and removed by services."""

    # The form fields a service may change.
    editable: ClassVar[frozenset[str]] = frozenset()

    def service_add(self, *, actor: User, claim: Claim, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def service_update(self, *, actor: User, obj: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def service_remove(self, *, actor: User, obj: Any) -> None:
        raise NotImplementedError

    def clean(self) -> None:
        super().clean()
        # Django accepts the id of any row of the table in a listed row, and makes an id that
        # is not one of this formset's rows a new, unsaved object: refuse both.
        if any(form.instance._state.adding for form in self.initial_forms):
            raise ValidationError("A row is not one of this claim's; reload the page.")

    def save_through_services(self, *, actor: User, claim: Claim) -> None:
        # The lists Django's change message reads (normally filled by formset.save()).
        self.new_objects: list[Any] = []
        self.changed_objects: list[tuple[Any, list[str]]] = []
        self.deleted_objects: list[Any] = []
        deleted = set(map(id, self.deleted_forms)) if self.can_delete else set()
        for form in self.initial_forms:
            obj = form.instance
            if id(form) in deleted:
                self.service_remove(actor=actor, obj=obj)
                self.deleted_objects.append(obj)
            elif form.has_changed():
                changed = [name for name in form.changed_data if name in self.editable]
                if changed:
                    data = {name: form.cleaned_data[name] for name in changed}
                    self.service_update(actor=actor, obj=obj, data=data)
                    self.changed_objects.append((obj, changed))
        for form in self.extra_forms:
            if not form.has_changed() or id(form) in deleted:
                continue
            data = {name: form.cleaned_data.get(name) for name in self.editable}
            self.new_objects.append(self.service_add(actor=actor, claim=claim, data=data))


class AppearanceFormSet(ServiceInlineFormSet):
    editable = services.APPEARANCE_EDITABLE

    def service_add(self, *, actor: User, claim: Claim, data: dict[str, Any]) -> Appearance:
        return services.appearance_add(
            actor=actor,
            claim=claim,
            url=data["url"],
            outlet=data.get("outlet") or "",
            published_at=data.get("published_at"),
            quote=data.get("quote") or "",
        )

    def service_update(self, *, actor: User, obj: Any, data: dict[str, Any]) -> Appearance:
        return services.appearance_update(actor=actor, appearance=obj, data=data)

    def service_remove(self, *, actor: User, obj: Any) -> None:
        services.appearance_remove(actor=actor, appearance=obj)


class StatementFormSet(ServiceInlineFormSet):
    editable = services.STATEMENT_EDITABLE

    def service_add(self, *, actor: User, claim: Claim, data: dict[str, Any]) -> Statement:
        return services.statement_add(
            actor=actor,
            claim=claim,
            source=data["source"],
            quote=data["quote"],
            stance=data["stance"],
            said_at=data.get("said_at"),
            url=data.get("url") or "",
        )

    def service_update(self, *, actor: User, obj: Any, data: dict[str, Any]) -> Statement:
        return services.statement_update(actor=actor, statement=obj, data=data)

    def service_remove(self, *, actor: User, obj: Any) -> None:
        services.statement_remove(actor=actor, statement=obj)


class EvidenceAddFormSet(ServiceInlineFormSet):
    editable = frozenset({"kind", "stance", "description", "file", "url"})

    def service_add(self, *, actor: User, claim: Claim, data: dict[str, Any]) -> Evidence:
        return verification_services.evidence_add(
            actor=actor,
            claim=claim,
            kind=data["kind"],
            stance=data["stance"],
            description=data.get("description") or "",
            file=data.get("file") or None,
            url=data.get("url") or "",
        )


class EvidenceWithdrawFormSet(ServiceInlineFormSet):
    editable = frozenset({"withdraw_reason"})

    def service_update(self, *, actor: User, obj: Any, data: dict[str, Any]) -> Evidence:
        return verification_services.evidence_withdraw(
            actor=actor, evidence=obj, reason=data["withdraw_reason"]
        )


# --- Inlines of the claim page -------------------------------------------------------------


class AppearanceForm(_ModelForm):
    class Meta:
        model = Appearance
        fields = ["url", "outlet", "published_at", "quote"]
        field_classes = {"url": HttpsURLField}
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
        field_classes = {"url": HttpsURLField}
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


def evidence_link(evidence: Evidence) -> SafeString:
    if evidence.file:
        url = reverse("evidence-download", args=[evidence.pk])
        return format_html('<a href="{}">{}</a>', url, evidence.original_name or "download")
    return format_html(
        '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', evidence.url, evidence.url
    )


def evidence_state(evidence: Evidence) -> SafeString:
    if evidence.withdrawn_at is None:
        return format_html("{}", "Active")
    return format_html(
        "<strong>Withdrawn</strong> {} by {}: {}",
        f"{evidence.withdrawn_at:%Y-%m-%d %H:%M}",
        evidence.withdrawn_by,
        evidence.withdrawal_reason,
    )


class EvidenceInline(_TabularInline):
    """Evidence on record: read-only, with a field to withdraw it (it is never deleted)."""

    model = Evidence
    form = EvidenceWithdrawForm
    formset = EvidenceWithdrawFormSet
    fields = [
        "item",
        "kind",
        "stance_label",
        "description",
        "sha256",
        "size_display",
        "content_type",
        "added",
        "state",
        "withdraw_reason",
    ]
    readonly_fields = [
        "item",
        "kind",
        "stance_label",
        "description",
        "sha256",
        "size_display",
        "content_type",
        "added",
        "state",
    ]
    extra = 0
    can_delete = False
    verbose_name = "evidence"
    verbose_name_plural = "evidence on record"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evidence]:
        return super().get_queryset(request).select_related("added_by", "withdrawn_by")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        if not self.has_change_permission(request, obj):
            fields.remove("withdraw_reason")  # only those who may withdraw see the field
        return fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # added with the "Add evidence" rows below

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="File or URL")
    def item(self, obj: Evidence) -> SafeString:
        return evidence_link(obj)

    @admin.display(description="Stance")
    def stance_label(self, obj: Evidence) -> SafeString:
        return stance_badge(obj.stance)

    @admin.display(description="Size")
    def size_display(self, obj: Evidence) -> str:
        return filesizeformat(obj.size) if obj.size is not None else "—"

    @admin.display(description="Added")
    def added(self, obj: Evidence) -> str:
        if obj.added_at is None:  # a refused form shown again, with a row that is not saved
            return "—"
        return f"{obj.added_at:%Y-%m-%d %H:%M} by {obj.added_by}"

    @admin.display(description="State")
    def state(self, obj: Evidence) -> SafeString:
        return evidence_state(obj)


class EvidenceAddInline(_TabularInline):
    """New evidence: upload a file or give a URL."""

    model = Evidence
    form = EvidenceAddForm
    formset = EvidenceAddFormSet
    fields = ["kind", "stance", "description", "file", "url"]
    extra = 1
    can_delete = False
    verbose_name = "new evidence"
    verbose_name_plural = "add evidence (upload a file or give a URL)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evidence]:
        return super().get_queryset(request).none()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # shown only to those who may add evidence


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


CLAIM_FORM_FIELDS = ("text", "summary", "claimant", "first_seen_at", "language", "assignee")


@admin.register(Claim)
class ClaimAdmin(ServiceWriteAdmin):
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
    search_fields = ["text"]
    search_help_text = "Searches the claim text, the claimant's name and statement sources' names."
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
    actions = ["change_status"]

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
        # Matches statements through EXISTS, so no claim is listed twice.
        return claim_search(queryset, search_term), False

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

    # Status changes.

    def has_change_status_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(CHANGE_STATUS_PERMISSION)

    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_change_status"
        return [
            path(
                "<path:object_id>/change-status/",
                self.admin_site.admin_view(self.change_status_view),
                name=name,
            ),
            *super().get_urls(),
        ]

    def change_status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """One claim to a status the workflow allows, with a reason and cited evidence."""
        if not self.has_change_status_permission(request):
            raise PermissionDenied
        claim = Claim.objects.filter(pk=self._claim_pk(object_id)).first()
        if claim is None:
            raise Http404("No such claim.")
        if request.method == "POST":
            form = ClaimStatusChangeForm(request.POST, claim=claim)
            if form.is_valid():
                from_status = claim.get_status_display()
                try:
                    verification_services.claim_transition(
                        actor=acting_user(request),
                        claim=claim,
                        to_status=form.cleaned_data["to_status"],
                        reason=form.cleaned_data["reason"],
                        evidence=list(form.cleaned_data["evidence"]),
                        version=form.cleaned_data["version"],
                        channel=Channel.ADMIN,
                    )
                except StaleVersionError:
                    form.add_error(None, STALE_FORM_MESSAGE)
                except SERVICE_ERRORS as error:
                    form_add_service_error(form, error, {"status": "to_status"})
                else:
                    to_status = ClaimStatus(form.cleaned_data["to_status"]).label
                    self.message_user(
                        request,
                        f"Status changed from {from_status} to {to_status}.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:claims_claim_change", args=[claim.pk])
                    )
        else:
            form = ClaimStatusChangeForm(claim=claim)
        context = {
            **self.admin_site.each_context(request),
            "title": "Change status",
            "subtitle": str(claim),
            "opts": self.opts,
            "original": claim,
            "form": form,
            "current_status": status_badge(claim.status),
            "has_view_permission": self.has_view_permission(request, claim),
        }
        return TemplateResponse(request, "admin/claims/claim/change_status.html", context)

    @staticmethod
    def _claim_pk(object_id: str) -> Any:
        try:
            return Claim._meta.get_field("id").to_python(unquote(object_id))
        except ValidationError as error:  # not a UUID
            raise Http404("No such claim.") from error

    @admin.action(description="Change status", permissions=["change_status"])
    def change_status(self, request: HttpRequest, queryset: QuerySet[Claim]) -> HttpResponse | None:
        """Move the selected claims to one status, each checked on its own; none if any of
        them changed since the form was opened."""
        claims = list(queryset.order_by("pk"))
        form = BulkStatusChangeForm(
            request.POST if "apply" in request.POST else None, claims=claims
        )
        if form.is_valid():
            actor = acting_user(request)
            target = form.cleaned_data["to_status"]
            versions: dict[str, int] = form.cleaned_data["versions"]
            stale: list[Claim] = []
            refused: list[str] = []
            changed = 0
            # One transaction around them all, rolled back if any claim is stale; one
            # savepoint for each, so that a claim the workflow refuses leaves the others.
            with transaction.atomic():
                for claim in claims:
                    version = versions.get(str(claim.pk))
                    if version is None:  # the form was not opened for it
                        stale.append(claim)
                        continue
                    try:
                        with transaction.atomic():
                            verification_services.claim_transition(
                                actor=actor,
                                claim=claim,
                                to_status=target,
                                reason=form.cleaned_data["reason"],
                                version=version,
                                channel=Channel.ADMIN,
                            )
                    except StaleVersionError:
                        stale.append(claim)
                    except SERVICE_ERRORS as error:
                        refused.append(f"Not changed: “{claim}”: {service_error_text(error)}")
                    else:
                        changed += 1
                if stale:
                    transaction.set_rollback(True)
            if stale:
                self.message_user(request, stale_claims_message(stale), messages.ERROR)
                return None
            for message in refused:
                self.message_user(request, message, messages.ERROR)
            self.message_user(
                request,
                f"Changed {changed} of {len(claims)} claims to {ClaimStatus(target).label}.",
                messages.SUCCESS if changed else messages.WARNING,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Change the status of claims",
            "opts": self.opts,
            "claims": claims,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/claims/claim/change_status_bulk.html", context)

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
        if obj is not None and obj.pk:
            can_change_status = self.has_change_status_permission(request)
            context.update(
                {
                    "current_status": status_badge(obj.status),
                    "can_change_status": can_change_status,
                    "change_status_url": reverse("admin:claims_claim_change_status", args=[obj.pk])
                    if can_change_status
                    else "",
                    "status_history": claim_status_history(claim=obj),
                    "edit_history": claim_edit_history(claim=obj),
                }
            )
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
        except StaleVersionError as error:
            raise ServiceRefused({NON_FIELD_ERRORS: [STALE_FORM_MESSAGE]}) from error
        except SERVICE_ERRORS as error:
            raise service_refused(error, field_map=field_map) from error
        # The admin goes on with ``obj`` (inlines, change message, redirect): make it the row.
        vars(obj).update(vars(saved))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        actor = acting_user(request)
        claim = form.instance
        for formset in formsets:
            try:
                formset.save_through_services(actor=actor, claim=claim)
            except SERVICE_ERRORS as error:
                label = str(formset.model._meta.verbose_name).capitalize()
                raise service_refused(error, prefix=label) from error


# --- Sources --------------------------------------------------------------------------------


class SourceAdminForm(VersionedModelForm):
    class Meta:
        model = Source
        fields = ["name", "kind", "role", "country", "url", "notes"]
        field_classes = {"url": HttpsURLField}


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
        except StaleVersionError as error:
            raise ServiceRefused({NON_FIELD_ERRORS: [STALE_FORM_MESSAGE]}) from error
        except SERVICE_ERRORS as error:
            raise service_refused(error) from error
        vars(obj).update(vars(saved))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # a source has no inlines and no many-to-many fields
