"""Problem details (RFC 9457): the one error shape of the API, and the site's error handlers.

``type`` is ``about:blank`` for plain HTTP errors (the title is the status phrase) and a
``urn:claimtracker:problem:<code>`` URN for the domain's own problems. The handlers answer
with a problem under ``/api/`` and with Django's own pages elsewhere (the admin).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.views import defaults

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_URN = "urn:claimtracker:problem:"


def problem(
    status_code: int,
    detail: str,
    *,
    code: str | None = None,
    instance: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"{PROBLEM_URN}{code}" if code else "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def _django_problem(request: HttpRequest, status_code: int, detail: str) -> HttpResponse:
    return JsonResponse(
        problem(status_code, detail, instance=request.path),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # The project raises BadRequest with a message for the client; Django's other 400s
    # (SuspiciousOperation) keep theirs to the log.
    ours = type(exception) is BadRequest
    detail = str(exception) if ours else "The request is malformed."
    if is_api_request(request):
        return _django_problem(request, 400, detail)
    if ours:
        return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
    return defaults.bad_request(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return _django_problem(request, 404, "There is nothing at this URL.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return _django_problem(
            request, 500, "The server failed to answer this request; it has been logged."
        )
    return defaults.server_error(request)
