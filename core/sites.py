"""Absolute addresses of this site, for what leaves a request: emails, webhooks, feeds, markup."""

from __future__ import annotations

from django.conf import settings


def site_url(path: str) -> str:
    """``path`` on ``SITE_URL``, the address readers and receivers reach the site at."""
    return settings.SITE_URL.rstrip("/") + path
