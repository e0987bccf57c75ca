"""What every public page's template knows of the site."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def public_site(request: HttpRequest) -> dict[str, Any]:
    return {
        "publisher_name": settings.PUBLISHER_NAME,
        "site_url": settings.SITE_URL.rstrip("/"),
        "site_language": settings.LANGUAGE_CODE,
    }
