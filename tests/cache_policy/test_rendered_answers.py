"""The fast path's memory: bounded in whole entries (key, headers, body) and in their
number, least recently used out first, swept of what expired, never stale."""

from __future__ import annotations

from sleeve.cache.keys import Kind
from sleeve.cache.rendered import ENTRY_OVERHEAD, RenderedAnswer, RenderedAnswers
from sleeve.edge.hot_path import FastKey

HEADERS = ((b"content-type", b"application/json"),)


def answer(size: int, serve_until: float = 100.0) -> RenderedAnswer:
    kind = Kind("discogs", "artist")
    return RenderedAnswer(b"x" * size, HEADERS, '"e"', 0.0, serve_until, serve_until, kind)


def key(name: str) -> FastKey:
    return (name.encode(), b"", b"", b"", b"", b"")


def cost(size: int) -> int:
    return ENTRY_OVERHEAD + 1 + sum(len(n) + len(v) for n, v in HEADERS) + size


def test_bounded_in_bytes_of_whole_entries_least_recently_used_out_first() -> None:
    answers = RenderedAnswers(max_bytes=3 * cost(100))
    for name in ("a", "b", "c"):
        answers.remember(key(name), answer(100), now=0)
    assert answers.size == (3, 3 * cost(100))
    assert answers.recall(key("a"), now=1) is not None  # "a" is now the most recent
    answers.remember(key("d"), answer(100), now=0)
    assert answers.recall(key("b"), now=1) is None
    assert all(answers.recall(key(n), now=1) for n in ("a", "c", "d"))


def test_tiny_answers_under_long_keys_are_not_free() -> None:
    answers = RenderedAnswers(max_bytes=100_000)
    for i in range(10_000):
        answers.remember((f"/artists/1?junk={i:0200d}".encode(), b""), answer(1), now=0)
    entries, held = answers.size
    assert held <= 100_000 and entries < 200


def test_bounded_in_entries() -> None:
    answers = RenderedAnswers(max_entries=5)
    for i in range(50):
        answers.remember(key(str(i)), answer(1), now=0)
    assert answers.size[0] == 5
    assert answers.recall(key("49"), now=1) is not None
    assert answers.recall(key("0"), now=1) is None


def test_replacing_an_entry_counts_it_once() -> None:
    answers = RenderedAnswers(max_bytes=cost(100) + cost(50))
    for _ in range(5):
        answers.remember(key("a"), answer(100), now=0)
    answers.remember(key("b"), answer(50), now=0)
    assert answers.recall(key("a"), now=1) is not None
    assert answers.size == (2, cost(100) + cost(50))


def test_expired_entries_are_swept_as_new_ones_come() -> None:
    answers = RenderedAnswers()
    for i in range(100):
        answers.remember(key(f"old{i}"), answer(10, serve_until=5), now=0)
    for i in range(100):
        answers.remember(key(f"new{i}"), answer(10), now=6)
    assert answers.size[0] == 100  # every expired one went, none of the fresh


def test_nothing_is_recalled_past_its_serve_until() -> None:
    answers = RenderedAnswers()
    answers.remember(key("a"), answer(10, serve_until=5), now=0)
    assert answers.recall(key("a"), now=4.9) is not None
    assert answers.recall(key("a"), now=5) is None


def lasting(serve_until: float, fresh_until: float) -> RenderedAnswer:
    kind = Kind("discogs", "release")
    return RenderedAnswer(b"x", HEADERS, '"e"', 0.0, fresh_until, serve_until, kind)


def test_one_request_rechecks_an_answer_past_its_serve_until_the_rest_are_answered() -> None:
    answers = RenderedAnswers(max_age=5)
    answers.remember(key("a"), lasting(serve_until=5, fresh_until=100), now=0)
    assert answers.recall(key("a"), now=5) is None  # this one goes the usual way
    assert answers.recall(key("a"), now=5.1) is not None  # meanwhile, from memory
    assert answers.recall(key("a"), now=9.9) is not None
    assert answers.recall(key("a"), now=10) is None  # the re-check never came back: gone
    assert answers.size == (0, 0)


def test_the_recheck_s_answer_replaces_the_old_one() -> None:
    answers = RenderedAnswers(max_age=5)
    answers.remember(key("a"), lasting(serve_until=5, fresh_until=100), now=0)
    assert answers.recall(key("a"), now=6) is None
    answers.remember(key("a"), lasting(serve_until=11, fresh_until=100), now=6)
    assert answers.recall(key("a"), now=10.5) is not None
    assert answers.recall(key("a"), now=11) is None  # the new one's turn to be re-checked


def test_no_answer_is_recalled_past_its_freshness_even_while_rechecked() -> None:
    answers = RenderedAnswers(max_age=5)
    answers.remember(key("a"), lasting(serve_until=5, fresh_until=7), now=0)
    assert answers.recall(key("a"), now=5) is None
    assert answers.recall(key("a"), now=6.9) is not None
    assert answers.recall(key("a"), now=7) is None
