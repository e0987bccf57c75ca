"""Every API error is an RFC 9457 problem details object (core.problems), whatever raised it.

DRF's exceptions and the domain's are reshaped here; ``errors`` maps field names to messages
for invalid input. The site's 400, 404 and 500 handlers live in core.problems.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.template.defaultfilters import filesizeformat
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from api.throttling import throttled_instead
from core.errors import DomainError, StaleVersionError, TransitionNotAllowedError
from core.problems import PROBLEM_CONTENT_TYPE, problem


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "Send If-Match with the ETag of the version you are changing."
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The ETag in If-Match is not the current version."
    default_code = "precondition_failed"

    def __init__(self, detail: str | None = None, *, current_etag: str | None = None) -> None:
        super().__init__(detail)
        self.current_etag = current_etag


class ContentTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "content_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as ``{"field.sub": ["message", ...]}``."""
    if isinstance(errors, dict):
        flat: dict[str, list[str]] = {}
        for key, value in errors.items():
            name = "" if key in ("non_field_errors", "__all__") and not prefix else str(key)
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            for field, messages in _flatten(value, path).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    if isinstance(errors, list) and errors and all(isinstance(e, (dict, list)) for e in errors):
        flat = {}
        for index, value in enumerate(errors):
            for field, messages in _flatten(
                value, f"{prefix}.{index}" if prefix else str(index)
            ).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    messages = errors if isinstance(errors, list) else [errors]
    return {prefix: [str(message) for message in messages]}


def _convert(exc: Exception) -> Exception:
    """The domain's exceptions as the API exceptions that carry their status."""
    if isinstance(exc, StaleVersionError):
        converted = PreconditionFailed(exc.message, current_etag=f'"v{exc.current_version}"')
        return converted
    if isinstance(exc, TransitionNotAllowedError):
        conflict = Conflict(exc.message)
        conflict.allowed = exc.allowed  # type: ignore[attr-defined]
        return conflict
    if isinstance(exc, DomainError):  # what the claim's state does not allow
        return Conflict(exc.message)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, RequestDataTooBig):  # Django would answer with an HTML 400 page
        limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return ContentTooLarge(
            f"The request body is larger than {limit}; send files as multipart uploads."
        )
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with its answer reshaped as problem details."""
    exc = throttled_instead(_convert(exc), context.get("request"), context.get("view"))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's handler500 answers (also as a problem)
    request = context.get("request")
    instance = request.path if request is not None else None
    extra: dict[str, Any] = {}
    code = None
    if isinstance(exc, exceptions.ValidationError):
        extra["errors"] = _flatten(exc.detail)
        general = extra["errors"].pop("", None)
        detail = " ".join(general) if general else "The request has invalid fields; see errors."
        code = "invalid"
    else:
        detail = str(exc.detail) if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(exc, (PreconditionFailed, PreconditionRequired, Conflict)):
            code = exc.default_code
        if isinstance(exc, Conflict) and hasattr(exc, "allowed"):
            code = "transition_not_allowed"
            extra["allowed_transitions"] = exc.allowed
        if isinstance(exc, PreconditionFailed) and exc.current_etag:
            response["ETag"] = exc.current_etag
            code = "stale_version"
    response.data = problem(response.status_code, detail, code=code, instance=instance, **extra)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
