"""Interchange in the admin: the rating mapping, imports (an upload page with the import's
report) and what the claim page shows of other publishers' reviews."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from claims.models import ClaimStatus
from claims.text import web_address
from core.admin import ReadOnlyAdmin, acting_user
from core.forms import form_add_service_error
from core.permissions import IMPORT_REVIEWS
from interchange import services
from interchange.models import Import, ImportedClaim, ImportStatus, RatingMapping, Review
from interchange.selectors import claim_reviews, mapped_verdict

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = admin.ModelAdmin

# An upload at most this large is imported while the page waits; a larger one by a worker.
IMPORT_INLINE_MAX_BYTES = 1024 * 1024


@admin.register(RatingMapping)
class RatingMappingAdmin(_ModelAdmin):
    """What other publishers' rating labels mean in our verdicts. A review's verdict is read
    through this table: a change here applies to every review with that label at once."""

    list_display = ["label", "verdict", "language"]
    list_filter = ["verdict", "language"]
    search_fields = ["label", "key"]
    fields = ["label", "verdict", "language"]


class ImportForm(forms.Form):
    file = forms.FileField(
        required=False,
        help_text="ClaimReview JSON-LD, JSON Lines, an HTML page, a Fact Check Tools API "
        "response or a DataFeed.",
    )
    url = forms.CharField(
        required=False,
        max_length=2000,
        validators=[web_address],
        help_text="Or the address to read it from.",
        widget=forms.URLInput(attrs={"size": 80}),
    )
    dry_run = forms.BooleanField(required=False, help_text="Read and report; change nothing.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            upload = data.get("file")
            try:
                services.import_source_check(
                    file_size=None if upload is None else upload.size, url=data.get("url", "")
                )
            except ValidationError as error:
                self.add_error(None, error)
        return data


@admin.register(Import)
class ImportAdmin(ReadOnlyAdmin, _ModelAdmin):
    """Imports and their reports; "Import fact checks" is the upload page."""

    list_display = ["source", "status", "summary", "dry_run", "created_by", "created_at"]
    list_filter = ["status", "dry_run"]
    fields = (
        "source",
        "status",
        "summary",
        "error",
        "dry_run",
        "read",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "attempts",
        "refusal_list",
        "duplicate_list",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("created_by").defer("content")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(IMPORT_REVIEWS)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "add/", self.admin_site.admin_view(self.upload_view), name="interchange_import_add"
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Possible duplicates")
    def duplicate_list(self, run: Import) -> str:
        if not run.duplicates:
            return "—"
        rows = format_html_join(
            "",
            '<li><a href="{}" dir="auto"><bdi>{}</bdi></a> looks like {}</li>',
            (
                (
                    reverse("admin:claims_claim_change", args=[item["claim"]]),
                    Truncator(item["text"]).chars(120),
                    format_html_join(
                        "; ",
                        '<a href="{}" dir="auto"><bdi>{}</bdi></a> ({}, {})',
                        (
                            (
                                reverse("admin:claims_claim_change", args=[found["claim"]]),
                                Truncator(found["text"]).chars(120),
                                found["reason"].lower(),
                                found["status"],
                            )
                            for found in item["similar"]
                        ),
                    ),
                )
                for item in run.duplicates
            ),
        )
        return format_html('<ul class="import-duplicates">{}</ul>', rows)

    @admin.display(description="Refused items")
    def refusal_list(self, run: Import) -> str:
        if not run.refusals:
            return "—"
        more = run.refused - len(run.refusals)
        items = format_html_join(
            "",
            "<li><strong>{}</strong>: {}</li>",
            ((r["where"], r["reason"]) for r in run.refusals),
        )
        return format_html("<ul>{}</ul>{}", items, f"… and {more:,} more" if more > 0 else "")

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = services.import_create(
                    actor=acting_user(request),
                    source=upload.name if upload else form.cleaned_data["url"],
                    content=upload.read() if upload else None,
                    url=form.cleaned_data["url"],
                    dry_run=form.cleaned_data["dry_run"],
                )
            except (ValidationError, PermissionDenied) as error:
                form_add_service_error(form, error)
            else:
                if upload is not None and upload.size <= IMPORT_INLINE_MAX_BYTES:
                    run = services.import_run(run=run)
                    level = messages.ERROR if run.status == ImportStatus.FAILED else messages.INFO
                    failure = f" It failed: {run.error}" if run.error else ""
                    messages.add_message(
                        request, level, f"Import of {run.source}: {run.summary}.{failure}"
                    )
                else:
                    services.import_queue(run=run)
                    messages.info(request, "A worker is running the import: reload for its report.")
                return HttpResponseRedirect(
                    reverse("admin:interchange_import_change", args=[run.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import fact checks",
            "form": form,
            "max_bytes": settings.IMPORT_MAX_BYTES,
        }
        return TemplateResponse(request, "admin/interchange/import/upload.html", context)


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin, _ModelAdmin):
    """Other publishers' fact checks, as imported; changed only by importing again."""

    list_display = ["publisher_name", "rating_label", "verdict", "reviewed_at", "claim"]
    list_filter = ["publisher_site"]
    search_fields = ["url", "publisher_name", "rating_label"]
    list_select_related = ["claim"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).annotate(verdict=mapped_verdict())

    @admin.display(description="Our verdict")
    def verdict(self, review: Any) -> str:
        return review.verdict or "— (not mapped)"


def claim_reviews_context(claim: Any) -> dict[str, Any]:
    """What the claim page shows of other publishers' reviews and of the claim's import."""
    reviews: list[Any] = list(claim_reviews(claim_id=claim.pk))  # annotated with ``verdict``
    return {
        "external_reviews": [
            (review, ClaimStatus(review.verdict).label if review.verdict else "")
            for review in reviews
        ],
        "imported": ImportedClaim.objects.filter(claim=claim).first(),
    }
