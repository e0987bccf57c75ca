from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.test import APIClient

from api.services import api_token_create


def token_for(user: User, **kwargs: Any) -> str:
    _, raw = api_token_create(actor=user, user=user, name="tests", **kwargs)
    return raw


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> None:
    """Throttling counts requests in the cache; each test starts with none counted."""
    cache.clear()


@pytest.fixture
def api() -> Callable[[User | None], APIClient]:
    """An API client authenticated with a real bearer token of ``user`` (None: anonymous)."""

    def make(user: User | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        return client

    return make
