"""The dashboard's charts: SVG drawn by pygal on the server, shown without JavaScript.

pygal writes a ``<script>`` of its tooltip configuration into every chart (and links its
tooltip script from a CDN unless ``js`` is empty): both are left out, so a chart is a static
picture, with its values printed on it where they fit and in a table beside it.
"""

from __future__ import annotations

import itertools
from typing import Any

import pygal
from django.utils.safestring import SafeString, mark_safe
from lxml import etree
from pygal.style import Style

from claims.models import ClaimStatus
from dashboard.selectors import Figures
from verification.admin import STATUS_COLOURS
from verification.workflow import VERDICTS

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family='-apple-system, "Segoe UI", system-ui, Roboto, "Helvetica Neue", Arial, sans-serif',
    foreground="#333",
    foreground_strong="#333",
    foreground_subtle="#767676",
    opacity="1",
    opacity_hover="1",
    colors=tuple(STATUS_COLOURS[verdict] for verdict in VERDICTS),
    label_font_size=12,
    major_label_font_size=12,
    value_font_size=11,
    legend_font_size=12,
    title_font_size=14,
)
_CONFIG: dict[str, Any] = {
    "js": [],  # no tooltip script from a CDN
    "disable_xml_declaration": True,  # an element in the page, not a document
    "explicit_size": False,  # a viewBox only: it scales with the column
    "style": _STYLE,
    "height": 320,
    "width": 800,
    "margin": 12,
    "legend_at_bottom": True,
    "no_data_text": "Nothing yet",
    "show_y_guides": True,
    "value_formatter": lambda value: f"{value:,.0f}",  # counts: 20,796
}


def _chart(kind: type[Any], colour: str | None = None, **options: Any) -> Any:
    """A pygal chart of ``kind`` with the dashboard's look; one ``colour`` for one series."""
    style = Style(**{**_STYLE.to_dict(), "colors": (colour,)}) if colour else _STYLE
    return kind(**{**_CONFIG, "style": style, **options})


def _svg(chart: Any, label: str) -> SafeString:
    """The chart as inline SVG, its script element removed, named for screen readers."""
    root = chart.render_tree()
    for node in [*root.iter("script", etree.Comment)]:
        node.getparent().remove(node)
    for title in root.iterchildren("title"):
        title.text = label  # pygal's is "Pygal"
    root.set("role", "img")
    root.set("aria-label", label)
    # lxml escapes every text and attribute it writes, labels and usernames included.
    return mark_safe(etree.tostring(root, encoding="unicode"))  # noqa: S308


def _count_ticks(largest: int) -> list[int]:
    """Whole-number ticks from 0 to ``largest`` or just past it, at most 9, a step of 1, 2 or
    5 times a power of ten apart: counts have no fractions, which pygal's own ticks show."""
    step = 1
    for factor in itertools.cycle((2, 2.5, 2)):  # 1, 2, 5, 10, 20, 50, 100, ...
        if largest <= 8 * step:
            break
        step = int(step * factor)
    return list(range(0, largest + step, step)) if largest else [0, 1]


def verdicts_per_week_chart(figures: Figures) -> SafeString:
    weekly = [sum(week) for week in zip(*figures.verdicts_per_week.values(), strict=True)]
    chart = _chart(
        pygal.StackedBar,
        y_labels=_count_ticks(max(weekly, default=0)),
        x_label_rotation=0,
        show_minor_x_labels=False,
        x_labels_major_every=4,
        truncate_label=-1,
    )
    chart.x_labels = [week.strftime("%d %b") for week in figures.weeks]
    for verdict in VERDICTS:
        chart.add(str(ClaimStatus(verdict).label), figures.verdicts_per_week[verdict])
    return _svg(chart, "Verdicts per week over the last year, by verdict")


def median_days_chart(figures: Figures) -> SafeString:
    chart = _chart(
        pygal.Line,
        STATUS_COLOURS[ClaimStatus.IN_REVIEW],
        show_legend=False,
        print_values=True,
        value_formatter=lambda days: f"{days:,g}" if days is not None else "",
        allow_interruptions=True,
        dots_size=4,
        truncate_label=-1,
        margin_right=48,  # room for the last month's value
    )
    chart.x_labels = [month.strftime("%b %y") for month in figures.months]
    chart.add("Median days", figures.median_days)
    return _svg(chart, "Median days from first seen to verdict, by month of the verdict")


def open_per_reviewer_chart(figures: Figures) -> SafeString:
    rows = list(figures.open_per_reviewer)
    if figures.open_others:
        rows.append(("Other reviewers", figures.open_others))
    chart = _chart(
        pygal.HorizontalBar,
        STATUS_COLOURS[ClaimStatus.IN_REVIEW],
        y_labels=_count_ticks(max((n for _, n in rows), default=0)),
        margin_right=48,  # room for the busiest's count
        height=max(160, 40 + 26 * len(rows)),
        show_legend=False,
        print_values=True,
        print_values_position="top",
        truncate_label=24,
    )
    # Busiest at the top: pygal draws a horizontal bar chart's first label at the bottom.
    chart.x_labels = [name for name, _ in reversed(rows)]
    chart.add("Open claims", [n for _, n in reversed(rows)])
    return _svg(chart, "Open claims per reviewer")
