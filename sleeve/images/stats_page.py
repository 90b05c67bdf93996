"""The image statistics page: the figures, and the daily hit ratio as an inline SVG chart.

Self-contained (no script, no stylesheet to fetch), so it works from a gateway with no
network. The chart is drawn for any length of history: one day is one point over that
day's date, not a line from a date to itself; days are placed on a calendar axis, so a day
without image requests is a gap and not a shortcut; and the date labels thin out to a
handful as the history grows.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Day", "hit_ratio_chart", "render_page"]

WIDTH, HEIGHT = 600, 200  # the plot area, in SVG units
LEFT, RIGHT, TOP, BOTTOM = 56, 24, 12, 36  # room for the axes' labels
INSET = 40  # keeps the first and last points (and their dates) off the axes
MAX_DATE_LABELS = 7
MIN_LABEL_GAP = 84  # a date label is about 70 units wide


@dataclass(frozen=True)
class Day:
    label: str
    hits: int
    misses: int

    @property
    def ratio(self) -> float:
        return self.hits / max(1, self.hits + self.misses)


def render_page(stats: Mapping[str, Any]) -> str:
    """The whole page for the figures :class:`ImageStatsHandlers` gathers."""
    days = [
        Day(label, counts.get("hit", 0), counts.get("miss", 0))
        for label, counts in sorted(stats["days"].items())
    ]
    budget = stats["budget"]
    rows = "".join(
        f"<tr><td>{html.escape(day.label)}</td><td>{day.hits}</td><td>{day.misses}</td>"
        f"<td>{day.ratio:.1%}</td></tr>"
        for day in days
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sleeve images</title>
<style>body{{font:15px system-ui,sans-serif;margin:2em;max-width:60em}}
td,th{{padding:.2em .8em;text-align:right}}svg text{{font-size:12px}}</style></head><body>
<h1>Images</h1>
<p>{stats["stored"]["files"]} files stored, {stats["stored"]["bytes"]:,} bytes.
Upstream budget: {budget["used"]} of {budget["limit"]} used in the current window,
{budget["remaining"]} left.</p>
<h2>Hit ratio per day</h2>
{hit_ratio_chart(days)}
<table><tr><th>day</th><th>hits</th><th>misses</th><th>hit ratio</th></tr>{rows}</table>
</body></html>"""


def hit_ratio_chart(days: list[Day]) -> str:
    """An SVG of the days' hit ratios (0 to 100 %), oldest first; a sentence if none."""
    if not days:
        return "<p>No image requests yet.</p>"
    positions = _day_positions(days)
    points = [
        (x, TOP + HEIGHT - day.ratio * HEIGHT) for x, day in zip(positions, days, strict=True)
    ]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {LEFT + WIDTH + RIGHT} '
        f'{TOP + HEIGHT + BOTTOM}" width="{LEFT + WIDTH + RIGHT}" role="img" '
        f'aria-label="hit ratio per day, {len(days)} day{"s" if len(days) != 1 else ""}">',
        *_ratio_axis(),
        *_date_axis(days, positions),
    ]
    for run in _consecutive_runs(days):
        if len(run) > 1:
            line = " ".join(f"{points[i][0]:.1f},{points[i][1]:.1f}" for i in run)
            parts.append(
                f'<polyline class="ratio" fill="none" stroke="#1a6" stroke-width="2" '
                f'points="{line}"/>'
            )
    for (x, y), day in zip(points, days, strict=True):
        parts.append(
            f'<circle class="day" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1a6">'
            f"<title>{html.escape(day.label)}: {day.ratio:.1%} "
            f"({_count(day.hits, 'hit')}, {_count(day.misses, 'miss')})</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "es" if noun.endswith("s") else "s")


def _ratio_axis() -> list[str]:
    """The vertical axis, 0 to 100 % in quarters, with light grid lines across."""
    parts = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + HEIGHT}" stroke="#888"/>',
        f'<line x1="{LEFT}" y1="{TOP + HEIGHT}" x2="{LEFT + WIDTH}" y2="{TOP + HEIGHT}" '
        'stroke="#888"/>',
    ]
    for percent in (0, 25, 50, 75, 100):
        y = TOP + HEIGHT - percent / 100 * HEIGHT
        if percent:
            parts.append(
                f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + WIDTH}" y2="{y:.1f}" stroke="#ddd"/>'
            )
        parts.append(
            f'<text class="ratio-label" x="{LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{percent}%</text>'
        )
    return parts


def _date_axis(days: list[Day], positions: list[float]) -> list[str]:
    """A tick and a label under at most :data:`MAX_DATE_LABELS` days, spread evenly along
    the axis (by date, not by count, so a gap does not crowd them), never overlapping, the
    first and the last day always among them."""
    parts = []
    for index in _labelled(positions):
        x = positions[index]
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP + HEIGHT}" x2="{x:.1f}" y2="{TOP + HEIGHT + 5}" '
            'stroke="#888"/>'
            f'<text class="date-label" x="{x:.1f}" y="{TOP + HEIGHT + 20}" '
            f'text-anchor="middle">{html.escape(days[index].label)}</text>'
        )
    return parts


def _labelled(positions: list[float]) -> list[int]:
    first, last = positions[0], positions[-1]
    if last - first < MIN_LABEL_GAP:
        return [0]  # one day, or all at one place
    spacing = max(MIN_LABEL_GAP, (last - first) / (MAX_DATE_LABELS - 1))
    shown = [0]
    for index, x in enumerate(positions[1:-1], start=1):
        if x - positions[shown[-1]] >= spacing and last - x >= MIN_LABEL_GAP:
            shown.append(index)
    return [*shown, len(positions) - 1]


def _day_positions(days: list[Day]) -> list[float]:
    """Each day's x: by calendar date where the labels are dates, else evenly; one day in
    the middle."""
    dates = _dates(days)
    offsets: list[float] = (
        [float((date - dates[0]).days) for date in dates]
        if dates
        else list(map(float, range(len(days))))
    )
    span = offsets[-1] - offsets[0]
    if span <= 0:
        return [LEFT + WIDTH / 2] * len(days)
    usable = WIDTH - 2 * INSET
    return [LEFT + INSET + (offset - offsets[0]) / span * usable for offset in offsets]


def _consecutive_runs(days: list[Day]) -> list[list[int]]:
    """Indices of days that follow one another; a missing day breaks the line."""
    dates = _dates(days)
    runs: list[list[int]] = [[0]]
    for index in range(1, len(days)):
        if dates and (dates[index] - dates[index - 1]).days != 1:
            runs.append([])
        runs[-1].append(index)
    return runs


def _dates(days: list[Day]) -> list[datetime.date] | None:
    try:
        return [datetime.date.fromisoformat(day.label) for day in days]
    except ValueError:
        return None
