from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from tests.admin.conftest import (  # noqa: F401 (fixtures)
    editor_client,
    editor_user,
    reviewer_client,
    reviewer_user,
    viewer_client,
    viewer_user,
)


@pytest.fixture(autouse=True)
def _figures_forgotten() -> Iterator[None]:
    """Each test starts without the figures an earlier page kept."""
    cache.clear()
    yield
    cache.clear()
