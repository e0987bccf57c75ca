"""Middleware of the whole project (the apps' own live in their packages)."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse

from core.problems import bad_request

NUL_IN_PARAMETERS = "A query parameter contains a NUL character (%00), which no field can hold."


class RefuseNulParametersMiddleware:
    """A query parameter with a NUL character is a 400 saying so (handler400's answer).

    PostgreSQL text cannot hold NUL: the admin's list filters and search pass parameters to
    the database as they are, and a NUL there was a DataError, a 500. Forms and serializers
    already refuse NUL in the fields they validate (Django's ProhibitNullCharactersValidator).
    Answered here rather than raised, so that it is the same answer with DEBUG on.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key + "".join(values) for key, values in request.GET.lists()):
            return bad_request(request, BadRequest(NUL_IN_PARAMETERS))
        return self.get_response(request)
