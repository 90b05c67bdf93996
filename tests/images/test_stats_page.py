"""The stats page's chart for histories of 0, 1, 2 and 30 days, and one with a gap: points
where there are days, a line only between days that follow one another, and an axis whose
labels say which days they are."""

from __future__ import annotations

import datetime
import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from sleeve.images.stats_page import MAX_DATE_LABELS, render_page

SVG = "{http://www.w3.org/2000/svg}"
FIRST = datetime.date(2026, 11, 1)


def stats(days: dict[str, dict[str, int]]) -> dict:
    return {
        "stored": {"files": 3, "bytes": 12345},
        "budget": {"limit": 1000, "window": 86400, "used": 7, "remaining": 993, "reset": 1.0},
        "kinds": {},
        "days": days,
    }


def history(count: int, *, skip: frozenset[int] = frozenset()) -> dict[str, dict[str, int]]:
    """``count`` days from :data:`FIRST`; day ``i`` has ``i`` hits and one miss."""
    return {
        (FIRST + datetime.timedelta(days=i)).isoformat(): {"hit": i, "miss": 1}
        for i in range(count)
        if i not in skip
    }


def chart(days: dict[str, dict[str, int]]) -> ET.Element:
    page = render_page(stats(days))
    (svg,) = re.findall(r"<svg.*?</svg>", page, flags=re.DOTALL)
    return ET.fromstring(svg)  # well-formed, or this raises


def circles(svg: ET.Element) -> list[tuple[float, float]]:
    return [(float(c.get("cx", "")), float(c.get("cy", ""))) for c in svg.iter(f"{SVG}circle")]


def lines(svg: ET.Element) -> list[list[tuple[float, float]]]:
    return [
        [tuple(map(float, point.split(","))) for point in (line.get("points") or "").split()]
        for line in svg.iter(f"{SVG}polyline")
    ]  # type: ignore[misc]


def labels(svg: ET.Element, kind: str) -> list[str]:
    return [text.text or "" for text in svg.iter(f"{SVG}text") if text.get("class") == kind]


def test_no_days_is_a_sentence_not_an_empty_chart() -> None:
    page = render_page(stats({}))
    assert "<svg" not in page
    assert "No image requests yet." in page


def test_one_day_is_one_point_over_its_date() -> None:
    svg = chart(history(1))
    ((x, _),) = circles(svg)
    assert lines(svg) == []  # not a line from a date to itself
    assert labels(svg, "date-label") == ["2026-11-01"]
    assert labels(svg, "ratio-label") == ["0%", "25%", "50%", "75%", "100%"]
    (date_label,) = (t for t in svg.iter(f"{SVG}text") if t.get("class") == "date-label")
    assert float(date_label.get("x", "")) == x  # the label is under the point
    left, width = 56, 600
    assert left < x < left + width  # inside the plot, off the axis
    assert "0.0%" in ET.tostring(svg, encoding="unicode")  # 0 hits, 1 miss: the title says so


def test_two_days_are_two_points_joined_with_both_dates() -> None:
    svg = chart(history(2))
    (first, second) = circles(svg)
    assert first[0] < second[0]
    assert first[1] > second[1]  # 0 % then 50 %: the second point is higher
    assert lines(svg) == [[first, second]]
    assert labels(svg, "date-label") == ["2026-11-01", "2026-11-02"]


def test_thirty_days_thin_the_labels_and_keep_the_ends() -> None:
    svg = chart(history(30))
    points = circles(svg)
    assert len(points) == 30
    xs = [x for x, _ in points]
    assert xs == sorted(xs) and len(set(xs)) == 30
    gaps = [b - a for a, b in itertools.pairwise(xs)]
    assert max(gaps) - min(gaps) < 0.2  # one day is one step, everywhere (to the 0.1 drawn)
    (line,) = lines(svg)
    assert line == points
    shown = labels(svg, "date-label")
    assert 2 < len(shown) <= MAX_DATE_LABELS
    assert shown[0] == "2026-11-01" and shown[-1] == "2026-11-30"
    assert shown == sorted(shown)


def test_a_day_without_requests_is_a_gap_in_the_line() -> None:
    svg = chart(history(5, skip=frozenset({2})))
    points = circles(svg)
    assert len(points) == 4
    assert lines(svg) == [points[:2], points[2:]]
    # Placed by date: the gap is two steps wide.
    xs = [x for x, _ in points]
    assert xs[2] - xs[1] == pytest.approx(2 * (xs[1] - xs[0]))


def test_the_table_lists_every_day() -> None:
    page = render_page(stats(history(3)))
    assert page.count("<tr><td>2026-11-0") == 3
    assert "<td>66.7%</td>" in page  # 2 hits, 1 miss
