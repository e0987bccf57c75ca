from typing import Any

from django.http import HttpRequest
from pghistory.middleware import HistoryMiddleware


class HistoryContextMiddleware(HistoryMiddleware):
    """Records who made an edit, at which URL and through which channel (admin or API)."""

    def get_context(self, request: HttpRequest) -> dict[str, Any]:
        channel = "api" if request.path.startswith("/api/") else "admin"
        return {**super().get_context(request), "channel": channel}
