"""Reading ``/metrics`` in tests: samples by name and labels, and what changed between two
scrapes (the session's emulators are shared, so tests count differences)."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(base: str, **kwargs: object) -> Samples:
    answer = httpx.get(f"{base}/metrics", **kwargs)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text
    return samples(answer.text)


def samples(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def families(text: str) -> set[str]:
    """The metric names exposed (with the ``_total``/``_bucket``/… of their samples)."""
    return {
        sample.name for family in text_string_to_metric_families(text) for sample in family.samples
    } | {family.name for family in text_string_to_metric_families(text)}


def value(scraped: Samples, name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def deltas(before: Samples, after: Samples, name: str) -> Mapping[frozenset, float]:
    """Every label set of ``name`` that changed, with its change."""
    keys = {labels for sample, labels in [*before, *after] if sample == name}
    changed = {
        labels: after.get((name, labels), 0.0) - before.get((name, labels), 0.0) for labels in keys
    }
    return {labels: change for labels, change in changed.items() if change}
