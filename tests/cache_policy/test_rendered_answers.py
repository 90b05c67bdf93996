"""The fast path's memory: bounded in bytes, least recently used out first, never stale."""

from __future__ import annotations

from sleeve.cache.keys import Kind
from sleeve.cache.rendered import RenderedAnswer, RenderedAnswers
from sleeve.edge.hot_path import FastKey


def answer(size: int, serve_until: float = 100.0) -> RenderedAnswer:
    kind = Kind("discogs", "artist")
    return RenderedAnswer(b"x" * size, (), '"e"', 0.0, serve_until, serve_until, kind)


def key(name: str) -> FastKey:
    return (name.encode(), b"", b"", b"", b"", b"")


def test_bounded_in_bytes_least_recently_used_out_first() -> None:
    answers = RenderedAnswers(max_bytes=300)
    for name in ("a", "b", "c"):
        answers.remember(key(name), answer(100))
    assert answers.recall(key("a"), now=1) is not None  # "a" is now the most recent
    answers.remember(key("d"), answer(100))
    assert answers.recall(key("b"), now=1) is None
    assert all(answers.recall(key(n), now=1) for n in ("a", "c", "d"))


def test_replacing_an_entry_counts_its_bytes_once() -> None:
    answers = RenderedAnswers(max_bytes=150)
    for _ in range(5):
        answers.remember(key("a"), answer(100))
    answers.remember(key("b"), answer(50))
    assert answers.recall(key("a"), now=1) is not None


def test_nothing_is_recalled_past_its_serve_until() -> None:
    answers = RenderedAnswers()
    answers.remember(key("a"), answer(10, serve_until=5))
    assert answers.recall(key("a"), now=4.9) is not None
    assert answers.recall(key("a"), now=5) is None
