"""Service errors as form errors and admin messages: the one translation every form uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError

# The one domain module core reads: the errors the services raise (pure Python, no models).
from core.errors import STALE_MESSAGE, DomainError

# The exceptions a service raises for something the user can fix (or may not do).
SERVICE_ERRORS = (ValidationError, PermissionDenied, DomainError)


def service_error_messages(error: Exception) -> dict[str, list[str]]:
    """The messages of a service error, by field name (``__all__`` for the whole form)."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return {name: list(messages) for name, messages in error.message_dict.items()}
        return {NON_FIELD_ERRORS: list(error.messages)}
    if isinstance(error, DomainError):
        return {NON_FIELD_ERRORS: [error.message]}
    if isinstance(error, PermissionDenied):
        return {NON_FIELD_ERRORS: [str(error) or "You do not have permission to do this."]}
    raise TypeError(f"Not a service error: {error!r}")


def service_error_text(error: Exception) -> str:
    """A service error as one line, for an admin message."""
    parts = []
    for name, messages in service_error_messages(error).items():
        text = " ".join(messages)
        parts.append(text if name == NON_FIELD_ERRORS else f"{name}: {text}")
    return " ".join(parts)


def form_add_service_error(
    form: forms.BaseForm, error: Exception, field_map: Mapping[str, str] | None = None
) -> None:
    """Show a service error on ``form``: on the matching field, or above the form."""
    field_map = field_map or {}
    for name, messages in service_error_messages(error).items():
        target = field_map.get(name, name)
        for message in messages:
            if target in form.fields:
                form.add_error(target, message)
            else:
                prefix = "" if target == NON_FIELD_ERRORS else f"{target}: "
                form.add_error(None, prefix + message)


class SeenVersionForm(forms.Form):
    """A form about one object that carries the version it was opened for, and refuses to go
    on once the object changed since (``STALE_MESSAGE``, said before any other error)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, seen: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen = seen
        self.fields["version"].initial = seen.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.data.get("version") and str(self.seen.version) != self.data.get("version"):
            raise ValidationError(STALE_MESSAGE)
        return cleaned
