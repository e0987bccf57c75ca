"""The admin site, whose front page is the reviewer's dashboard."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReviewAdminSite(admin.AdminSite):
    site_header = "Claim tracker"
    site_title = "Claim tracker"
    index_title = "Review claims"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """The dashboard, the list of models beside it (templates/admin/index.html)."""
        # Imported when the page is asked for: the admin modules the dashboard draws on
        # register their models with this site when they are imported.
        from dashboard.views import dashboard_context

        return super().index(request, {**dashboard_context(request), **(extra_context or {})})
