"""Request bodies: JSON as DRF parses it, except that nesting is bounded (a 400, not a 500)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from config.json_input import JSONTooDeepError, json_parse


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser through ``json_parse``: JSON nested too deep is a ``ParseError``."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            "".encode(encoding)  # only text encodings: bz2_codec and the like decompress
        except (LookupError, UnicodeError) as error:
            raise ParseError(
                f"The request's charset {encoding!r} is not a text encoding."
            ) from error
        try:
            return json_parse(stream.read().decode(encoding), strict=self.strict)
        except JSONTooDeepError as error:
            raise ParseError(error.message) from error
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
