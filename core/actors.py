"""Who acts in a service, and the permission check every service starts with."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied

Actor = User | AnonymousUser


def require_perm(actor: Actor, perm: str, action: str) -> User:
    """The acting user, if signed in with ``perm``; otherwise ``PermissionDenied``."""
    if not isinstance(actor, User) or not actor.is_active or not actor.has_perm(perm):
        raise PermissionDenied(f"You do not have permission to {action}.")
    return actor
