"""Content negotiation: what ?format= and Accept may ask for, and what they get."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class ApiNegotiation(DefaultContentNegotiation):
    """DRF's, except that an unknown ``?format=`` is a 406 (DRF answers 404, as for a URL)."""

    def filter_renderers(
        self, renderers: Iterable[BaseRenderer], format: str
    ) -> list[BaseRenderer]:
        known = list(renderers)
        matching = [renderer for renderer in known if renderer.format == format]
        if not matching:
            formats = ", ".join(sorted({str(renderer.format) for renderer in known}))
            raise NotAcceptable(f"There is no format {format[:40]!r} here; use one of: {formats}.")
        return matching


class FileNegotiation(ApiNegotiation):
    """A file is served whatever Accept asks for (image/png, ...); only errors are rendered."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        renderers = list(renderers)
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
