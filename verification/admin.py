"""Evidence and status changes, for browsing. Both are written only on the claim page.

Evidence is added and withdrawn on the claim page (through the services); a status change
only through the claim's "Change status" form or the bulk action. Here they are read-only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from claims.admin import evidence_link, evidence_state, stance_badge, status_badge
from claims.models import Claim
from verification.models import Evidence, StatusChange

if TYPE_CHECKING:
    _EvidenceAdminBase = admin.ModelAdmin[Evidence]
    _StatusChangeAdminBase = admin.ModelAdmin[StatusChange]
else:
    _EvidenceAdminBase = _StatusChangeAdminBase = admin.ModelAdmin


EVIDENCE_FIELDS: tuple[str, ...] = (
    "claim_ref",
    "kind",
    "stance_label",
    "description",
    "item",
    "original_name",
    "content_type",
    "size_display",
    "sha256",
    "added_by",
    "added_at",
    "state",
)
STATUS_CHANGE_FIELDS: tuple[str, ...] = (
    "claim_ref",
    "from_label",
    "to_label",
    "actor",
    "reason",
    "cited_evidence",
    "channel",
    "claim_version",
    "at",
)


def claim_link(claim: Claim) -> SafeString:
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[claim.pk]), claim
    )


class ReadOnlyAdmin:
    """No add, change or delete here; view permission is enough to browse."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class WithdrawnFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("active", "Active"), ("withdrawn", "Withdrawn")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "active":
            return queryset.filter(withdrawn_at__isnull=True)
        if self.value() == "withdrawn":
            return queryset.filter(withdrawn_at__isnull=False)
        return queryset


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin, _EvidenceAdminBase):
    list_display = [
        "__str__",
        "claim_ref",
        "stance_label",
        "size_display",
        "added_by",
        "added_at",
        "state",
    ]
    list_filter = ["kind", "stance", WithdrawnFilter]
    list_select_related = ["claim", "added_by", "withdrawn_by"]
    search_fields = ["description", "original_name", "url", "sha256", "claim__text"]
    fields = EVIDENCE_FIELDS
    readonly_fields = EVIDENCE_FIELDS

    @admin.display(description="Claim", ordering="claim__text")
    def claim_ref(self, obj: Evidence) -> SafeString:
        return claim_link(obj.claim)

    @admin.display(description="Stance", ordering="stance")
    def stance_label(self, obj: Evidence) -> SafeString:
        return stance_badge(obj.stance)

    @admin.display(description="Size", ordering="size")
    def size_display(self, obj: Evidence) -> str:
        return filesizeformat(obj.size) if obj.size is not None else "—"

    @admin.display(description="File or URL")
    def item(self, obj: Evidence) -> SafeString:
        return evidence_link(obj)

    @admin.display(description="State", ordering="withdrawn_at")
    def state(self, obj: Evidence) -> SafeString:
        return evidence_state(obj)


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin, _StatusChangeAdminBase):
    list_display = ["at", "claim_ref", "from_label", "to_label", "actor", "channel", "reason"]
    list_filter = ["to_status", "from_status", "channel"]
    list_select_related = ["claim", "actor"]
    search_fields = ["reason", "claim__text"]
    date_hierarchy = "at"
    fields = STATUS_CHANGE_FIELDS
    readonly_fields = STATUS_CHANGE_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusChange]:
        return super().get_queryset(request).prefetch_related("evidence")

    @admin.display(description="Claim", ordering="claim__text")
    def claim_ref(self, obj: StatusChange) -> SafeString:
        return claim_link(obj.claim)

    @admin.display(description="From", ordering="from_status")
    def from_label(self, obj: StatusChange) -> SafeString:
        return status_badge(obj.from_status)

    @admin.display(description="To", ordering="to_status")
    def to_label(self, obj: StatusChange) -> SafeString:
        return status_badge(obj.to_status)

    @admin.display(description="Cited evidence")
    def cited_evidence(self, obj: StatusChange) -> SafeString | str:
        items = list(obj.evidence.all())
        if not items:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}</li>", ((evidence_link(item),) for item in items)),
        )
