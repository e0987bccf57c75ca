"""The status concern in the admin: the claim page's status changes and evidence, and browsing.

``ClaimStatusAdminMixin`` gives the claim admin its "Change status" page and bulk action;
``EvidenceInline`` and ``EvidenceAddInline`` withdraw and add evidence on the claim page
(through the services). Evidence and status changes are otherwise read-only here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from claims.models import Claim, ClaimStatus, StatementStance
from core.admin import ReadOnlyAdmin, RowServices, ServiceInlineFormSet, acting_user, badge
from core.errors import StaleVersionError
from core.forms import SERVICE_ERRORS, form_add_service_error, service_error_text
from core.permissions import CHANGE_CLAIM_STATUS
from verification import capture, services
from verification.forms import (
    BulkStatusChangeForm,
    ClaimStatusChangeForm,
    EvidenceAddForm,
    EvidenceWithdrawForm,
    VerdictDecisionForm,
    stale_claims_message,
)
from verification.models import (
    CaptureState,
    Channel,
    Evidence,
    EvidenceStance,
    ProposalOutcome,
    StatusChange,
    VerdictProposal,
)
from verification.selectors import (
    claim_proposals,
    claim_status_history,
    evidence_captures_loaded,
)

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
    _EvidenceAdminBase = admin.ModelAdmin[Evidence]
    _StatusChangeAdminBase = admin.ModelAdmin[StatusChange]
    _VerdictProposalAdminBase = admin.ModelAdmin[VerdictProposal]
    _TabularInline = admin.TabularInline[Any, Claim]
else:
    _ModelAdmin = _EvidenceAdminBase = _StatusChangeAdminBase = admin.ModelAdmin
    _VerdictProposalAdminBase = admin.ModelAdmin
    _TabularInline = admin.TabularInline


# --- Labels ---------------------------------------------------------------------------------

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


def status_badge(status: str) -> SafeString:
    label = ClaimStatus(status).label if status in ClaimStatus.values else status
    return badge(str(label), STATUS_COLOURS.get(status, "#6b7280"), f"status-{status}")


def stance_badge(stance: str) -> SafeString:
    """The stance of a statement or of evidence."""
    return badge(
        STANCE_LABELS.get(stance, stance), STANCE_COLOURS.get(stance, "#6b7280"), f"stance-{stance}"
    )


def claim_link(claim: Claim) -> SafeString:
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[claim.pk]), claim
    )


def evidence_link(evidence: Evidence) -> SafeString:
    if evidence.file:
        url = reverse("evidence-download", args=[evidence.pk])
        return format_html('<a href="{}">{}</a>', url, evidence.original_name or "download")
    return format_html(
        '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', evidence.url, evidence.url
    )


def evidence_list(items: Iterable[Evidence]) -> SafeString | str:
    """Cited evidence as a list of links; "—" for none."""
    links = [evidence_link(item) for item in items]
    if not links:
        return "—"
    return format_html(
        "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((link,) for link in links))
    )


def captures_summary(evidence: Evidence) -> SafeString | str:
    """A URL evidence item's captures, newest first: state, when, the downloads or why not."""
    rows = []
    for item in sorted(evidence.captures.all(), key=lambda c: c.requested_at, reverse=True):
        if item.state == CaptureState.SUCCEEDED:
            rows.append(
                format_html(
                    '{} {} · <a href="{}">page</a> · <a href="{}">WARC</a> · '
                    '<span title="SHA-256">{}…</span>',
                    item.get_state_display(),
                    f"{item.fetched_at:%Y-%m-%d %H:%M}",
                    reverse("capture-content", args=[item.pk]),
                    reverse("capture-warc", args=[item.pk]),
                    item.sha256[:12],
                )
            )
        else:
            rows.append(
                format_html(
                    "{} ({}){}",
                    item.get_state_display(),
                    f"attempt {item.attempts}" if item.attempts else "queued",
                    f": {item.error}" if item.error else "",
                )
            )
    if not rows:
        return "—"
    return format_html(
        '<ul class="captures">{}</ul>', format_html_join("", "<li>{}</li>", ((r,) for r in rows))
    )


def evidence_card(evidence: Evidence) -> dict[str, Any]:
    """What the claim page's board shows of a piece of evidence."""
    return {
        "item": evidence,
        "stance": stance_badge(evidence.stance),
        "link": evidence_link(evidence),
        "captures": captures_summary(evidence) if evidence.captures.all() else "",
        "state": evidence_state(evidence) if evidence.is_withdrawn else "",
    }


def evidence_state(evidence: Evidence) -> SafeString:
    if evidence.withdrawn_at is None:
        return format_html("{}", "Active")
    return format_html(
        "<strong>Withdrawn</strong> {} by {}: {}",
        f"{evidence.withdrawn_at:%Y-%m-%d %H:%M}",
        evidence.withdrawn_by,
        evidence.withdrawal_reason,
    )


def evidence_size(evidence: Evidence) -> str:
    return filesizeformat(evidence.size) if evidence.size is not None else "—"


# --- Status changes from the claim admin ----------------------------------------------------


class ClaimStatusAdminMixin(_ModelAdmin):
    """The claim admin's status changes: one claim on its "Change status" page, or many with
    the bulk action; ``status_page_context`` is what the claim page shows of them."""

    actions = ["change_status"]

    def has_change_status_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(CHANGE_CLAIM_STATUS)

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/change-status/",
                self.admin_site.admin_view(self.change_status_view),
                name=f"{prefix}_change_status",
            ),
            path(
                "<path:object_id>/approve-verdict/",
                self.admin_site.admin_view(self.approve_verdict_view),
                name=f"{prefix}_approve_verdict",
            ),
            path(
                "<path:object_id>/reject-verdict/",
                self.admin_site.admin_view(self.reject_verdict_view),
                name=f"{prefix}_reject_verdict",
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
                    done = services.claim_transition(
                        actor=acting_user(request),
                        claim=claim,
                        status=form.cleaned_data["status"],
                        reason=form.cleaned_data["reason"],
                        evidence=list(form.cleaned_data["evidence"]),
                        version=form.cleaned_data["version"],
                        channel=Channel.ADMIN,
                    )
                except SERVICE_ERRORS as error:
                    form_add_service_error(form, error)
                else:
                    to_status = ClaimStatus(form.cleaned_data["status"]).label
                    self.message_user(
                        request,
                        f"Proposed {to_status}: it becomes the status when another reviewer "
                        "approves it."
                        if isinstance(done, VerdictProposal)
                        else f"Status changed from {from_status} to {to_status}.",
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
            target = form.cleaned_data["status"]
            versions: dict[str, int] = form.cleaned_data["versions"]
            stale: list[Claim] = []
            refused: list[str] = []
            changed = proposed = 0
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
                            done = services.claim_transition(
                                actor=actor,
                                claim=claim,
                                status=target,
                                reason=form.cleaned_data["reason"],
                                version=version,
                                channel=Channel.ADMIN,
                            )
                    except StaleVersionError:
                        stale.append(claim)
                    except SERVICE_ERRORS as error:
                        refused.append(f"Not changed: “{claim}”: {service_error_text(error)}")
                    else:
                        if isinstance(done, VerdictProposal):
                            proposed += 1
                        else:
                            changed += 1
                if stale:
                    transaction.set_rollback(True)
            if stale:
                self.message_user(request, stale_claims_message(stale), messages.ERROR)
                return None
            for message in refused:
                self.message_user(request, message, messages.ERROR)
            label = ClaimStatus(target).label
            self.message_user(
                request,
                f"Proposed {label} for {proposed} of {len(claims)} claims: each becomes the "
                "status when another reviewer approves it."
                if proposed
                else f"Changed {changed} of {len(claims)} claims to {label}.",
                messages.SUCCESS if changed or proposed else messages.WARNING,
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

    def _decision_view(self, request: HttpRequest, object_id: str, approve: bool) -> HttpResponse:
        """Approve or reject the claim's pending verdict proposal, through the services."""
        if not self.has_change_status_permission(request):
            raise PermissionDenied
        claim = Claim.objects.filter(pk=self._claim_pk(object_id)).first()
        if claim is None:
            raise Http404("No such claim.")
        form = VerdictDecisionForm(request.POST or None, seen=claim, approve=approve)
        if request.method == "POST" and form.is_valid():
            decide = services.verdict_approve if approve else services.verdict_reject
            try:
                decide(
                    actor=acting_user(request),
                    claim=claim,
                    reason=form.cleaned_data["reason"],
                    version=form.cleaned_data["version"],
                    channel=Channel.ADMIN,
                )
            except SERVICE_ERRORS as error:
                form_add_service_error(form, error)
            else:
                claim.refresh_from_db()
                self.message_user(
                    request,
                    f"Approved: the status is now {claim.get_status_display()}."
                    if approve
                    else "Rejected: the proposer is told why, and the claim stays in review.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))
        action = "Approve" if approve else "Reject"
        context = {
            **self.admin_site.each_context(request),
            "title": f"{action} the proposed verdict",
            "subtitle": str(claim),
            "opts": self.opts,
            "original": claim,
            "form": form,
            "action": action,
            "proposal": services.proposal_pending(claim=claim),
            "current_status": status_badge(claim.status),
        }
        return TemplateResponse(request, "admin/claims/claim/verdict_decision.html", context)

    def approve_verdict_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._decision_view(request, object_id, approve=True)

    def reject_verdict_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._decision_view(request, object_id, approve=False)

    def status_page_context(self, request: HttpRequest, claim: Claim) -> dict[str, Any]:
        """What the claim page shows of the status: the label, the proposal awaiting approval
        and what the reader may do, the histories."""
        can_change_status = self.has_change_status_permission(request)
        proposals = list(claim_proposals(claim=claim))
        pending = next((proposal for proposal in proposals if proposal.is_pending), None)
        may_decide = can_change_status and pending is not None
        return {
            "current_status": status_badge(claim.status),
            "can_change_status": can_change_status,
            "change_status_url": reverse("admin:claims_claim_change_status", args=[claim.pk])
            if can_change_status and pending is None
            else "",
            "pending_proposal": pending,
            "proposal_verdict": status_badge(pending.verdict) if pending else "",
            "own_proposal": pending is not None and pending.proposed_by_id == request.user.pk,
            "approve_url": reverse("admin:claims_claim_approve_verdict", args=[claim.pk])
            if may_decide
            else "",
            "reject_url": reverse("admin:claims_claim_reject_verdict", args=[claim.pk])
            if may_decide
            else "",
            "proposals": proposals,
            "status_history": claim_status_history(claim=claim),
        }


# --- Evidence on the claim page -------------------------------------------------------------


class EvidenceAddFormSet(ServiceInlineFormSet):
    editable = frozenset({"kind", "stance", "description", "file", "url", "public"})
    services = RowServices(row="evidence", add=services.evidence_add)


class EvidenceWithdrawFormSet(ServiceInlineFormSet):
    editable = frozenset({"withdraw_reason", "public", "capture_again"})
    services = RowServices(row="evidence")

    def service_update(self, *, actor: User, obj: Any, data: dict[str, Any]) -> Evidence:
        if data.get("capture_again"):
            capture.capture_request(actor=actor, evidence=obj)
        if "public" in data:
            obj = services.evidence_public_set(actor=actor, evidence=obj, public=data["public"])
        if data.get("withdraw_reason"):
            obj = services.evidence_withdraw(
                actor=actor, evidence=obj, reason=data["withdraw_reason"]
            )
        return obj


class EvidenceInline(_TabularInline):
    """Evidence on record: read-only, with a field to withdraw it (it is never deleted)."""

    model = Evidence
    form = EvidenceWithdrawForm
    formset = EvidenceWithdrawFormSet
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
        "captures_list",
    ]
    fields = [*readonly_fields, "public", "withdraw_reason", "capture_again"]
    extra = 0
    can_delete = False
    verbose_name = "evidence"
    verbose_name_plural = "evidence on record"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evidence]:
        evidence = super().get_queryset(request).select_related("added_by", "withdrawn_by")
        return evidence_captures_loaded(evidence)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        if not self.has_change_permission(request, obj):
            for name in ("withdraw_reason", "public", "capture_again"):
                fields.remove(name)  # only those who may change evidence see them
        return fields

    @admin.display(description="Captures")
    def captures_list(self, obj: Evidence) -> SafeString | str:
        return captures_summary(obj)

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
        return evidence_size(obj)

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
    fields = ["kind", "stance", "description", "file", "url", "public"]
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


# --- Browsing evidence and status changes ---------------------------------------------------


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
    "proposed_by",
    "at",
)
VERDICT_PROPOSAL_FIELDS: tuple[str, ...] = (
    "claim_ref",
    "verdict_label",
    "reason",
    "cited_evidence",
    "proposed_by",
    "proposed_at",
    "channel",
    "outcome",
    "decided_by",
    "decided_at",
    "decision_reason",
    "decision_channel",
)


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
        return evidence_size(obj)

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
    list_select_related = ["claim", "actor", "proposal__proposed_by"]
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
        return evidence_list(obj.evidence.all())

    @admin.display(description="Proposed by")
    def proposed_by(self, obj: StatusChange) -> str:
        return str(obj.proposal.proposed_by) if obj.proposal else "—"


# --- Verdict proposals (second approval) ----------------------------------------------------


class AwaitingFilter(admin.SimpleListFilter):
    title = "decision"
    parameter_name = "awaiting"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("me", "Awaiting my approval"),
            ("mine", "My proposals awaiting approval"),
            ("any", "Awaiting approval"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        pending = queryset.filter(outcome=ProposalOutcome.PENDING)
        if self.value() == "me":
            return pending.exclude(proposed_by_id=request.user.pk)
        if self.value() == "mine":
            return pending.filter(proposed_by_id=request.user.pk)
        if self.value() == "any":
            return pending
        return queryset


@admin.register(VerdictProposal)
class VerdictProposalAdmin(ReadOnlyAdmin, _VerdictProposalAdminBase):
    """Verdicts proposed for approval; each is approved or rejected on its claim's page."""

    list_display = [
        "proposed_at",
        "claim_ref",
        "verdict_label",
        "proposed_by",
        "outcome",
        "decided_by",
        "decided_at",
    ]
    list_filter = [AwaitingFilter, "outcome", "verdict"]
    list_select_related = ["claim", "proposed_by", "decided_by"]
    search_fields = ["reason", "decision_reason", "claim__text"]
    date_hierarchy = "proposed_at"
    fields = VERDICT_PROPOSAL_FIELDS
    readonly_fields = VERDICT_PROPOSAL_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[VerdictProposal]:
        return super().get_queryset(request).prefetch_related("evidence")

    @admin.display(description="Claim", ordering="claim__text")
    def claim_ref(self, obj: VerdictProposal) -> SafeString:
        return claim_link(obj.claim)

    @admin.display(description="Verdict", ordering="verdict")
    def verdict_label(self, obj: VerdictProposal) -> SafeString:
        return status_badge(obj.verdict)

    @admin.display(description="Cited evidence")
    def cited_evidence(self, obj: VerdictProposal) -> SafeString | str:
        return evidence_list(obj.evidence.all())
