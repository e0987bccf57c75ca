from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@pytest.fixture(autouse=True)
def _media_root(settings: Settings, tmp_path: Path) -> None:
    """Each test stores uploads in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if chromium_path() is None:
        terminalreporter.write_line(
            "BROWSER TESTS NOT RUN: no Chromium found (looked for /usr/bin/chromium). "
            "Install Debian's package with: apt-get install chromium",
            yellow=True,
            bold=True,
        )
