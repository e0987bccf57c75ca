from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class CursorPage(CursorPagination):
    """Stable pages under concurrent inserts; ``page_size`` up to ``API_MAX_PAGE_SIZE``.

    A view orders its pages by ``cursor_ordering`` unless it has an ordering filter.
    """

    page_size = settings.API_PAGE_SIZE
    max_page_size = settings.API_MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    ordering = ("-updated_at", "-id")

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        if any(hasattr(backend, "get_ordering") for backend in view.filter_backends):
            return super().get_ordering(request, queryset, view)
        return tuple(getattr(view, "cursor_ordering", self.ordering))
