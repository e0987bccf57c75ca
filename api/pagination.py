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
from rest_framework.utils.urls import replace_query_param


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
