"""Publishing in the admin: the claim page's Publish and Unpublish, and the rating scales."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from claims.models import Claim
from core.admin import acting_user
from core.forms import SERVICE_ERRORS, SeenVersionForm, form_add_service_error
from core.permissions import PUBLISH_CLAIM
from publishing import selectors, services
from publishing.forms import PublishForm, UnpublishForm
from publishing.models import (
    Publication,
    PublicationChange,
    PublicationState,
    RatingLabel,
    RatingScale,
)
from verification.models import Channel
from verification.workflow import VERDICTS

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
    _LabelInline = admin.TabularInline[RatingLabel, RatingScale]
else:
    _ModelAdmin = admin.ModelAdmin
    _LabelInline = admin.TabularInline


class ClaimPublicationAdminMixin(_ModelAdmin):
    """The claim admin's "Publish" and "Unpublish" pages; ``publication_page_context`` is
    what the claim page shows of its publication."""

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PUBLISH_CLAIM)

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name=f"{prefix}_publish",
            ),
            path(
                "<path:object_id>/unpublish/",
                self.admin_site.admin_view(self.unpublish_view),
                name=f"{prefix}_unpublish",
            ),
            *super().get_urls(),
        ]

    def _claim(self, request: HttpRequest, object_id: str) -> Claim:
        if not self.has_publish_permission(request):
            raise PermissionDenied
        try:
            pk = Claim._meta.get_field("id").to_python(unquote(object_id))
        except ValidationError as error:  # not a UUID
            raise Http404("No such claim.") from error
        claim = Claim.objects.filter(pk=pk).first()
        if claim is None:
            raise Http404("No such claim.")
        return claim

    def _page(self, request: HttpRequest, claim: Claim, form: Any, action: str) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": f"{action} the fact check",
            "subtitle": str(claim),
            "opts": self.opts,
            "original": claim,
            "form": form,
            "action": action,
            **self.publication_page_context(request, claim),
        }
        return TemplateResponse(request, "admin/claims/claim/publication.html", context)

    def _step(
        self,
        request: HttpRequest,
        object_id: str,
        form_class: type[SeenVersionForm],
        action: str,
        run: Callable[[Claim, dict[str, Any]], str],
    ) -> HttpResponse:
        """The page of one publication step: its form, then ``run`` (a service call that
        returns the success message), or the form again with the service's refusal."""
        claim = self._claim(request, object_id)
        form = form_class(request.POST or None, seen=claim)
        if request.method == "POST" and form.is_valid():
            try:
                message = run(claim, form.cleaned_data)
            except SERVICE_ERRORS as error:
                form_add_service_error(form, error)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))
        return self._page(request, claim, form, action)

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def publish(claim: Claim, data: dict[str, Any]) -> str:
            publication = services.claim_publish(
                actor=acting_user(request),
                claim=claim,
                publish_at=data["publish_at"],
                reason=data["reason"],
                version=data["version"],
                channel=Channel.ADMIN,
            )
            url = selectors.public_url(claim.pk, publication.slug)
            when = (
                f"It is public at {url}"
                if publication.publish_at <= timezone.now()
                else f"It becomes public on {publication.publish_at:%Y-%m-%d at %H:%M %Z}, at {url}"
            )
            return f"Published as “{publication.rating_label}”. {when}."

        return self._step(request, object_id, PublishForm, "Publish", publish)

    def unpublish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def unpublish(claim: Claim, data: dict[str, Any]) -> str:
            services.claim_unpublish(
                actor=acting_user(request),
                claim=claim,
                reason=data["reason"],
                version=data["version"],
                channel=Channel.ADMIN,
            )
            return "Unpublished: it is no longer on the public site."

        return self._step(request, object_id, UnpublishForm, "Unpublish", unpublish)

    def publication_page_context(self, request: HttpRequest, claim: Claim) -> dict[str, Any]:
        """What the claim page shows of its publication: state, address, links, history."""
        publication = Publication.objects.filter(claim=claim).first()
        state = selectors.publication_state(
            publish_at=publication.publish_at if publication else None,
            unpublished_at=publication.unpublished_at if publication else None,
        )
        can_publish = self.has_publish_permission(request)
        opts = f"admin:{self.opts.app_label}_{self.opts.model_name}"
        return {
            "publication": publication,
            "publication_state": state,
            "publication_state_label": PublicationState(state).label,
            # On this host, as the admin is (SITE_URL may name another in development).
            "public_path": selectors.public_path(claim.pk, publication.slug)
            if publication and state == PublicationState.PUBLISHED
            else "",
            "publish_url": reverse(f"{opts}_publish", args=[claim.pk])
            if can_publish and claim.status in VERDICTS
            else "",
            "unpublish_url": reverse(f"{opts}_unpublish", args=[claim.pk])
            if can_publish and state in (PublicationState.PUBLISHED, PublicationState.SCHEDULED)
            else "",
            "publication_history": PublicationChange.objects.filter(claim=claim).select_related(
                "actor"
            ),
        }


class RatingLabelInline(_LabelInline):
    model = RatingLabel
    extra = 0
    fields = ["verdict", "label", "value", "language"]


@admin.register(RatingScale)
class RatingScaleAdmin(_ModelAdmin):
    """The labels readers see. Published fact checks keep the label they were published with:
    publish a claim again to correct it with a new label."""

    list_display = ["name", "active", "worst_rating", "best_rating"]
    inlines = [RatingLabelInline]
