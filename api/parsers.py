"""Request bodies: JSON as DRF parses it, except that nesting is bounded (a 400, not a 500)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding

from config.json_input import JSONTooDeepError, json_parse


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser through ``json_parse``: JSON nested too deep is a ``ParseError``."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = get_encoding(parser_context or {})
        try:
            return json_parse(stream.read().decode(encoding), strict=self.strict)
        except JSONTooDeepError as error:
            raise ParseError(error.message) from error
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
