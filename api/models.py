"""Per-user API tokens. Only a digest of each token is stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from claims.text import SingleLineTextField


class ApiToken(models.Model):
    """A bearer token: its SHA-256 digest, a name, an optional expiry, revocable."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = SingleLineTextField(
        max_length=100, help_text="What the token is for, e.g. newsroom CMS."
    )
    prefix = models.CharField(
        max_length=12, editable=False, help_text="The first characters, to recognise a token."
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(digest__regex=r"^[0-9a-f]{64}$"), name="apitoken_digest_sha256"
            ),
            models.CheckConstraint(condition=Q(name__regex=r"\S"), name="apitoken_name_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
