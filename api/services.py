"""API tokens: created (the secret shown once), revoked, checked."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import Permission, User
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from api.models import ApiToken
from claims.services import Actor

TOKEN_PREFIX = "ct_"  # noqa: S105 (a marker, not a secret)
# Writing last_used_at on every request would make each read a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, actor: Actor, user: User, name: str, expires_in: timedelta | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with the raw secret, which is never stored."""
    if not isinstance(actor, User) or not (actor == user or actor.is_superuser):
        raise ValidationError("Only the user or a superuser may create a token for a user.")
    if not name.strip():
        raise ValidationError({"name": "Give the token a name saying what it is for."})
    if expires_in is not None and expires_in <= timedelta(0):
        raise ValidationError({"expires_in": "The expiry must be in the future."})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=raw[:10],
        digest=token_digest(raw),
        expires_at=timezone.now() + expires_in if expires_in else None,
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    """Revoke a token at once; requests with it get 401 from then on."""
    if not isinstance(actor, User) or not (actor.pk == token.user_id or actor.is_superuser):
        raise ValidationError("Only the token's user or a superuser may revoke it.")
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
    return locked


@functools.cache
def _tokens_with_permissions() -> QuerySet[ApiToken]:
    """Tokens with their user and the user's permissions (own and through groups) as
    "app_label.codename". Built once per process and cloned for each request (bench/)."""
    user = OuterRef("user")
    permissions = (
        Permission.objects.filter(Q(user=user) | Q(group__user=user))
        .order_by()
        .values_list(Concat(F("content_type__app_label"), Value("."), F("codename")))
    )
    return ApiToken.objects.select_related("user").annotate(
        user_permissions=ArraySubquery(permissions)
    )


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The active token with this secret, or None. Records when it was last used.

    One query loads the token, its user and the user's permissions: they fill the cache
    that ModelBackend keeps on the user (``_perm_cache``), so the permission checks of the
    request read no more rows. Superusers have every permission and need no cache.
    """
    token = (
        _tokens_with_permissions().filter(digest=token_digest(raw), revoked_at__isnull=True).first()
    )
    if token is None or not token.is_active or not token.user.is_active:
        return None
    if not token.user.is_superuser:
        token.user._perm_cache = set(token.user_permissions)  # type: ignore[attr-defined]
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
