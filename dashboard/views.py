"""What the dashboard shows a signed-in user: ``ReviewAdminSite.index`` renders it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from core import permissions
from dashboard import charts
from dashboard.selectors import dashboard_figures, reviewer_desk
from verification.workflow import VERDICTS

FIGURES_CACHE_KEY = "dashboard:figures-html:v1"


def figures_html() -> SafeString:
    """The team's figures and their charts as HTML, computed and drawn at most once every
    ``DASHBOARD_FIGURES_SECONDS`` (in each process, with the default local-memory cache)."""

    def render() -> SafeString:
        figures = dashboard_figures()
        return mark_safe(  # noqa: S308 (a template's output, escaped by it)
            render_to_string(
                "admin/dashboard_figures.html",
                {
                    "figures": figures,
                    "verdicts_chart": charts.verdicts_per_week_chart(figures),
                    "median_chart": charts.median_days_chart(figures),
                    "reviewers_chart": charts.open_per_reviewer_chart(figures),
                    "verdicts": VERDICTS,
                    "figures_seconds": settings.DASHBOARD_FIGURES_SECONDS,
                },
            )
        )

    seconds = settings.DASHBOARD_FIGURES_SECONDS
    if seconds <= 0:
        return render()
    html: Any = cache.get_or_set(FIGURES_CACHE_KEY, render, seconds)
    return mark_safe(html)  # noqa: S308 (kept as rendered above)


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """The dashboard for those who may see claims (the proposals part for those who may
    approve them); nothing for others, who see the list of what they may use."""
    user = request.user
    if not user.has_perm(permissions.VIEW_CLAIM):
        return {}
    desk = reviewer_desk(reviewer=user, may_approve=user.has_perm(permissions.CHANGE_CLAIM_STATUS))
    return {"desk": desk, "figures_html": figures_html()}
