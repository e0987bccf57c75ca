"""Similar claims and merging in the admin: suggestions on the claim's add and change pages
("Check for duplicates"), and the claim page's "Merge into another claim" step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from claims import services as claim_services
from claims.models import CLAIM_TEXT_MAX_LENGTH, Claim, ClaimLink, LinkKind
from claims.text import text_problem
from core import permissions
from core.admin import acting_user
from core.forms import (
    SERVICE_ERRORS,
    SeenVersionForm,
    form_add_service_error,
    service_error_messages,
)
from matching import services
from matching.selectors import Scope, claims_similar

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = admin.ModelAdmin

# The add page's button: show the claims like the one typed, save nothing.
CHECK_SIMILAR = "_similar"
SHOWN = 10


class MergeForm(SeenVersionForm):
    """Merge the claim (at ``version``) into the claim to keep (at ``canonical_version``)."""

    canonical = forms.UUIDField(
        label="The claim to keep",
        help_text="Its id (from its page, or a suggestion below). This claim's statements, "
        "appearances, evidence, other publishers' fact checks, tags and watchers move to it; "
        "this one becomes a read-only pointer to it.",
        widget=forms.TextInput(attrs={"size": 40}),
    )
    canonical_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, seen: Claim, canonical: Claim | None = None, **kwargs: Any):
        super().__init__(*args, seen=seen, **kwargs)
        if canonical is not None:
            self.fields["canonical"].initial = canonical.pk
            self.fields["canonical_version"].initial = canonical.version


def similar_to(text: str, language: str, *, exclude: str = "") -> Any:
    """The suggestions the admin shows for ``text`` (none for a text the API would refuse)."""
    if not text.strip() or len(text) > CLAIM_TEXT_MAX_LENGTH or text_problem(text, multiline=True):
        return None
    return claims_similar(text, language=language, scope=Scope(limit=SHOWN, exclude=exclude))


class LinkForm(forms.Form):
    """Link the claim with another: related, or contradicts (the API's links/)."""

    prefix = "link"
    claim = forms.UUIDField(
        label="Claim",
        help_text="The other claim's id.",
        widget=forms.TextInput(attrs={"size": 38, "form": "link-form"}),
    )
    kind = forms.ChoiceField(
        choices=LinkKind.choices, widget=forms.Select(attrs={"form": "link-form"})
    )


class ClaimMatchingAdminMixin(_ModelAdmin):
    """The claim admin's suggestions, its "Merge into another claim" page and its links."""

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/merge/",
                self.admin_site.admin_view(self.merge_view),
                name=f"{prefix}_merge",
            ),
            path(
                "<path:object_id>/link/",
                self.admin_site.admin_view(self.link_view),
                name=f"{prefix}_link",
            ),
            path(
                "<path:object_id>/unlink/<uuid:link_id>/",
                self.admin_site.admin_view(self.unlink_view),
                name=f"{prefix}_unlink",
            ),
            *super().get_urls(),
        ]

    def link_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST only (the claim page's "Link" form): link, or say why not."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        claim = _claim(object_id)
        form = LinkForm(request.POST)
        back = HttpResponseRedirect(
            reverse("admin:claims_claim_change", args=[claim.pk]) + "#claim-links"
        )
        if not form.is_valid():
            for field, errors in form.errors.items():
                self.message_user(request, f"{field}: {' '.join(map(str, errors))}", messages.ERROR)
            return back
        try:
            claim_services.claim_link(
                actor=acting_user(request),
                claim=claim,
                other=form.cleaned_data["claim"],
                kind=form.cleaned_data["kind"],
            )
        except SERVICE_ERRORS as error:
            for messages_of in service_error_messages(error).values():
                for message in messages_of:
                    self.message_user(request, f"Not linked: {message}", messages.ERROR)
        else:
            self.message_user(request, "Linked.", messages.SUCCESS)
        return back

    def unlink_view(self, request: HttpRequest, object_id: str, link_id: Any) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        claim = _claim(object_id)
        link = ClaimLink.objects.filter(Q(claim=claim) | Q(other=claim), pk=link_id).first()
        if link is None:
            raise Http404("No such link.")
        try:
            claim_services.claim_unlink(actor=acting_user(request), link=link)
        except SERVICE_ERRORS as error:
            for messages_of in service_error_messages(error).values():
                for message in messages_of:
                    self.message_user(request, f"Not removed: {message}", messages.ERROR)
        else:
            self.message_user(request, "Link removed.", messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:claims_claim_change", args=[claim.pk]) + "#claim-links"
        )

    def has_merge_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.has_perm(permissions.CHANGE_CLAIM) and user.has_perm(
            permissions.CHANGE_CLAIM_STATUS
        )

    def similar_page_context(self, request: HttpRequest, obj: Claim | None) -> dict[str, Any]:
        """What the add page (after "Check for duplicates") and the claim page show."""
        if obj is None or obj.pk is None:
            if request.method != "POST" or CHECK_SIMILAR not in request.POST:
                return {"similar_check": CHECK_SIMILAR}
            text, language = request.POST.get("text", ""), request.POST.get("language", "")
            return {"similar_check": CHECK_SIMILAR, "similar": similar_to(text, language)}
        context: dict[str, Any] = {
            "merged_into": obj.merged_into,
            "similar": None
            if obj.merged_into_id
            else similar_to(obj.text, obj.language, exclude=str(obj.pk)),
        }
        if self.has_merge_permission(request) and obj.merged_into_id is None:
            context["merge_url"] = reverse("admin:claims_claim_merge", args=[obj.pk])
        if request.user.has_perm(permissions.CHANGE_CLAIM) and obj.merged_into_id is None:
            context["link_form"] = LinkForm()
            context["link_url"] = reverse("admin:claims_claim_link", args=[obj.pk])
        return context

    def merge_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_merge_permission(request):
            raise PermissionDenied
        claim = _claim(object_id)
        wanted = request.GET.get("into") or request.POST.get("canonical")
        canonical = _claim(wanted) if wanted and _is_uuid(wanted) else None
        form = MergeForm(request.POST or None, seen=claim, canonical=canonical)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            into_version = data["canonical_version"]
            if into_version is None or canonical is None or canonical.pk != data["canonical"]:
                into_version = (
                    Claim.objects.filter(pk=data["canonical"])
                    .values_list("version", flat=True)
                    .first()
                    or 1
                )  # the claim as it is now: it was typed on this page
            try:
                kept = services.claim_merge(
                    actor=acting_user(request),
                    duplicate=claim,
                    canonical=data["canonical"],
                    version=data["version"],
                    canonical_version=into_version,
                )
            except SERVICE_ERRORS as error:
                form_add_service_error(form, error)
            else:
                self.message_user(
                    request,
                    f"Merged: “{claim}” is now a pointer to this claim, which holds everything "
                    "it had.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[kept.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge into another claim",
            "subtitle": str(claim),
            "opts": self.opts,
            "original": claim,
            "canonical": canonical,
            "form": form,
            "similar": similar_to(claim.text, claim.language, exclude=str(claim.pk)),
        }
        return TemplateResponse(request, "admin/claims/claim/merge.html", context)


def _is_uuid(value: str) -> bool:
    try:
        Claim._meta.get_field("id").to_python(value)
    except ValidationError:
        return False
    return True


def _claim(object_id: str) -> Claim:
    try:
        pk = Claim._meta.get_field("id").to_python(unquote(object_id))
    except ValidationError as error:  # not a UUID
        raise Http404("No such claim.") from error
    claim = Claim.objects.select_related("merged_into").filter(pk=pk).first()
    if claim is None:
        raise Http404("No such claim.")
    return claim
