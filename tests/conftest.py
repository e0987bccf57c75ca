from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session", autouse=True)
def _broker_connections_closed(django_db_setup: None) -> Iterator[None]:
    """The embedded broker may live in the test database: close its connections before the
    test database is dropped."""
    yield
    from config.celery import app

    app.pool.force_close_all()


@pytest.fixture(autouse=True)
def _media_root(settings: Settings, tmp_path: Path) -> None:
    """Each test stores uploads in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _search_index_dir(settings: Settings, tmp_path: Path) -> None:
    """Each test has search and similar-claim index directories of its own, empty: searches go
    to PostgreSQL until the test builds an index (``search_engine``)."""
    settings.SEARCH_INDEX_DIR = tmp_path / "search"
    settings.SIMILAR_INDEX_DIR = tmp_path / "similar"


@pytest.fixture
def prepared_at_once() -> Iterator[None]:
    """The connection prepares each statement of a prepared_cursor (core.queries) from its
    first use, as after five: production's connections prepare them, the tests' do not."""
    from django.db import connection

    connection.ensure_connection()
    before = connection.connection.prepare_threshold
    connection.connection.prepare_threshold = 0
    yield
    connection.connection.prepare_threshold = before


@pytest.fixture(params=["index", "postgres"])
def search_engine(request: pytest.FixtureRequest, settings: Settings) -> Callable[[], None]:
    """Each search engine in turn (SEARCH_BACKEND); call the value once the claims are
    written, before searching: it builds the index from them."""
    settings.SEARCH_BACKEND = request.param

    def ready() -> None:
        if request.param == "index":
            from search.indexer import index_rebuild

            index_rebuild(settings.SEARCH_INDEX_DIR)

    return ready


@pytest.fixture(autouse=True)
def _roles(request: pytest.FixtureRequest) -> None:
    """Transactional tests truncate every table; give them back the groups of the roles and
    the default rating scale and rating mapping."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        from django.contrib.auth.models import Group, Permission

        from core.roles import roles_sync
        from interchange.defaults import rating_mappings_default
        from interchange.models import RatingMapping
        from publishing.defaults import rating_scale_default
        from publishing.models import RatingLabel, RatingScale

        request.getfixturevalue("transactional_db")
        roles_sync(group_model=Group, permission_model=Permission)
        rating_scale_default(scale_model=RatingScale, label_model=RatingLabel)
        rating_mappings_default(mapping_model=RatingMapping)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if chromium_path() is None:
        terminalreporter.write_line(
            "BROWSER TESTS NOT RUN: no Chromium found (looked for /usr/bin/chromium). "
            "Install Debian's package with: apt-get install chromium",
            yellow=True,
            bold=True,
        )
