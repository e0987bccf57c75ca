"""The public pages' colours, read from their stylesheet, meet WCAG AA contrast (4.5:1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

BASE = Path(__file__).resolve().parents[2] / "templates" / "public" / "base.html"


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _css() -> str:
    return BASE.read_text()


def _variable(name: str) -> str:
    return re.search(rf"--{name}: (#[0-9a-f]{{6}})", _css()).group(1)


def _background(selector: str) -> str:
    return re.search(rf"{re.escape(selector)} {{ background: (#[0-9a-f]{{6}})", _css()).group(1)


def _chrome() -> tuple[str, str]:
    pattern = r"footer\.site \{ background: (#[0-9a-f]{6}); color: (#[0-9a-f]{6})"
    found = re.search(pattern, _css())
    return found.group(1), found.group(2)


@pytest.mark.parametrize(
    ("what", "foreground", "background"),
    [
        ("body text", lambda: _variable("text"), lambda: "#ffffff"),
        ("quiet text", lambda: _variable("quiet"), lambda: "#ffffff"),
        ("links", lambda: _variable("accent"), lambda: "#ffffff"),
        ("header and footer", lambda: _chrome()[1], lambda: _chrome()[0]),
        ("the search button", lambda: "#ffffff", lambda: _variable("accent")),
        *[
            (
                f"the {verdict} label",
                lambda: "#ffffff",
                lambda v=verdict: _background(f".verdict-{v}"),
            )
            for verdict in ("false", "misleading", "unproven", "verified")
        ],
        ("a correction", lambda: _variable("text"), lambda: "#fffbeb"),
    ],
)
def test_text_is_readable(what, foreground, background) -> None:
    assert contrast(foreground(), background()) >= 4.5, what


def test_the_check_refuses_poor_contrast() -> None:
    assert contrast("#777777", "#ffffff") < 4.5
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
