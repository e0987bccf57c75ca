from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib import parse

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from search.backends import MAX_RESULTS, Found


class CursorPage(CursorPagination):
    """Stable pages under concurrent inserts; ``page_size`` up to ``API_MAX_PAGE_SIZE``.

    A view orders its pages by ``cursor_ordering`` unless it has an ordering filter. A cursor
    that is not one this API gave out for this list in this order is a 400, like any other
    invalid parameter: its position could break the page query (a date where a rank goes).
    """

    page_size = settings.API_PAGE_SIZE
    max_page_size = settings.API_MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    ordering = ("-updated_at", "-id")
    invalid_cursor_message = "This is not a cursor from this list's next or previous link."

    def get_page_size(self, request: Request) -> int:
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return min(self.page_size, self.max_page_size)
        if not (value.isascii() and value.isdigit() and 1 <= int(value) <= self.max_page_size):
            raise serializers.ValidationError(
                {self.page_size_query_param: [self.page_size_message()]}
            )
        return int(value)

    def page_size_message(self) -> str:
        return f"Give a whole number from 1 to {self.max_page_size}."

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        if any(hasattr(backend, "get_ordering") for backend in view.filter_backends):
            return super().get_ordering(request, queryset, view)
        return tuple(getattr(view, "cursor_ordering", self.ordering))

    def _signer(self) -> signing.Signer:
        """Signs cursors for one list (the path) in one order."""
        path = parse.urlsplit(str(self.base_url)).path
        return signing.Signer(salt=f"api.cursor:{path}:{','.join(self.ordering)}")

    def encode_cursor(self, cursor: Cursor) -> str:
        url = super().encode_cursor(cursor)
        encoded = parse.parse_qs(parse.urlsplit(url).query)[self.cursor_query_param][0]
        return replace_query_param(url, self.cursor_query_param, self._signer().sign(encoded))

    def decode_cursor(self, request: Request) -> Cursor | None:
        signed = request.query_params.get(self.cursor_query_param)
        if not signed:
            return None  # an empty cursor is the first page
        try:
            encoded = self._signer().unsign(signed)
            # DRF's decoding, of the value inside the signature.
            return super().decode_cursor(
                SimpleNamespace(query_params={self.cursor_query_param: encoded})  # type: ignore[arg-type]
            )
        except (signing.BadSignature, NotFound) as error:
            raise serializers.ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}
            ) from error

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = (
                    "The cursor of a next or previous link of this list; empty or absent: "
                    "the first page."
                )
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(
                    minimum=1, maximum=self.max_page_size, default=self.page_size
                )
                parameter["description"] = (
                    f"Items per page, from 1 to {self.max_page_size} (default "
                    f"{self.page_size}); anything else is a 400."
                )
        return parameters

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # OpenAPI 3.1 has no "nullable": the last page's next link is null.
        paginated = super().get_paginated_response_schema(schema)
        for link in ("next", "previous"):
            paginated["properties"][link].pop("nullable", None)
            paginated["properties"][link]["type"] = ["string", "null"]
        paginated["required"] = ["next", "previous", "results"]
        return paginated


class ClaimPage(CursorPage):
    """The claims' pages; a search's (``q``) follow the search's order, their cursor holding
    the offset of the page's first match, and say how many match (``count``)."""

    def search_window(self, request: Request, order: str) -> tuple[int, int]:
        """(offset, page size) of the search page the request asks for."""
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        self.ordering = ("search", order)  # a search's cursors are refused by other lists
        cursor = self.decode_cursor(request)
        position = cursor.position if cursor else "0"
        if not (isinstance(position, str) and position.isdigit()):
            raise serializers.ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}
            )
        return int(position), self.page_size

    def search_response(self, results: Any, found: Found, offset: int) -> Response:
        following = offset + self.page_size
        # Beyond a count that is only a lower bound, a full page says there may be more.
        more = following < found.total if found.exact else len(found.ids) == self.page_size
        return Response(
            {
                "count": found.total,
                "count_exact": found.exact,
                "next": self._offset_link(following) if more and following < MAX_RESULTS else None,
                "previous": self._offset_link(max(offset - self.page_size, 0)) if offset else None,
                "results": results,
            }
        )

    def _offset_link(self, offset: int) -> str:
        if not offset:
            return str(remove_query_param(str(self.base_url), self.cursor_query_param))
        return self.encode_cursor(Cursor(offset=0, reverse=False, position=str(offset)))  # type: ignore[arg-type]

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"] = {
            "count": {
                "type": "integer",
                "description": "With q: how many claims match (at least that many when "
                "count_exact is false).",
            },
            "count_exact": {"type": "boolean", "description": "With q: whether count is exact."},
            **paginated["properties"],
        }
        return paginated
