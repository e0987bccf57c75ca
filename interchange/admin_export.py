"""The claims list's Export button: exactly the claims the list shows, streamed as a file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, reverse

from interchange import exporting

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = admin.ModelAdmin

# The export's own parameter; every other one is the list's (filters, search, ordering).
FORMAT_VAR = "format"


class ClaimExportAdminMixin(_ModelAdmin):
    """``<changelist>/export/?<the list's query>&format=csv|jsonl|claimreview``: the claims of
    the list as filtered and searched (``get_changelist_instance``, so that the export and the
    list cannot disagree), oldest first, for whoever may view the list."""

    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name=name),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        if not self.has_view_permission(request):
            raise PermissionDenied
        export_format = request.GET.get(FORMAT_VAR, exporting.DEFAULT_FORMAT)
        if export_format not in exporting.FORMATS:
            return HttpResponseBadRequest(exporting.unknown_format_message(export_format))
        # The list takes every other parameter for a filter: without ours, it is the list's.
        listed = request.GET.copy()
        listed.pop(FORMAT_VAR, None)
        request.GET = listed  # type: ignore[assignment]  # a copy, for the list
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:  # the list itself answers so (and says it)
            url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            return HttpResponseRedirect(f"{url}?{ERROR_FLAG}=1")
        return exporting.claims_export_response(changelist.queryset, export_format)
