from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from api.models import ApiToken

READ_METHODS = ("GET", "HEAD", "OPTIONS")


class RolePermissions(BasePermission):
    """The model permissions of the user's role, per method, as the view declares them.

    A view sets ``required_perms = {"GET": [...], "POST": [...]}``; a method it does not list
    is not allowed (405, once the user is known). Anonymous users may read views with
    ``public_read`` when the setting ``API_PUBLIC_VERDICTS`` is on (the view then shows only
    claims with a verdict).
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        method = "GET" if request.method in READ_METHODS else request.method
        perms = getattr(view, "required_perms", {}).get(method)
        user = request.user
        if not user or not user.is_authenticated:
            return (
                perms is not None
                and method == "GET"
                and getattr(view, "public_read", False)
                and settings.API_PUBLIC_VERDICTS
            )
        if perms is None:
            # What the resource does not do is a 405 for everyone, not a 403 of their role.
            raise exceptions.MethodNotAllowed(request.method or "")
        return bool(user.has_perms(perms))


class DocsAccess(BasePermission):
    """The OpenAPI schema and the docs UI: open to all when ``API_DOCS_PUBLIC`` is on
    (development), otherwise to API tokens and signed-in staff users (production)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if settings.API_DOCS_PUBLIC:
            return True
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return isinstance(request.auth, ApiToken) or bool(user.is_staff)
