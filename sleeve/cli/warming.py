"""Prefilling the image store from a list of Discogs release ids, a drip at a time.

The warmer asks a *running* gateway for ``/images/releases/{id}/0``, exactly as a client
would, rather than writing the store itself: the gateway owns the single flight, the
allow-list and the daily image budget that all its processes share, so a warm run can
never fetch an image twice, spend budget the gateway would not, or store anything a
client could not have caused.

The budget is for clients first. Before each fetch the warmer reads the budget from the
gateway's image statistics and holds back once spending one more unit would leave less
than ``(1 - share)`` of the limit: clients keep that part whatever the warmer does. (A
client may still spend between the read and the fetch; the gateway's own budget stays the
hard cap, only the reserve shrinks by what was spent in that moment.)

Progress is kept in an append-only state file, so a run that is stopped — by Ctrl-C, a
kill, or the budget — resumes where it stopped. Releases without an image are recorded
too (there is nothing to prefill); failures are not, so the next run tries them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import json
import os
import pathlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any, Self

import aiohttp

from ..governance.retry import parse_retry_after

__all__ = [
    "Answer",
    "BadLine",
    "Budget",
    "IdList",
    "Pacer",
    "Verdict",
    "WarmError",
    "WarmPolicy",
    "WarmState",
    "WarmTally",
    "budget_allows",
    "classify",
    "parse_ids",
    "read_id_file",
    "retry_after",
    "warm",
]

KEY_HEADER = "X-Sleeve-Key"
STATS_PATH = "/_sleeve/images/stats"
DEFAULT_RETRY_AFTER = 5.0  # a 429/503 without Retry-After: a short, polite pause


class WarmError(Exception):
    """The run cannot go on at all (the key is refused, the gateway is unreachable)."""


# --- the id file ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class BadLine:
    number: int  # 1-based, as editors show it
    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class IdList:
    ids: list[int]  # in file order, each once
    bad: list[BadLine]


def parse_ids(lines: Iterable[str]) -> IdList:
    """Release ids, one a line; blank lines and ``#`` comments (whole or trailing) allowed.

    Bad lines are returned, not raised: one typo in a list of thousands should cost that
    line, not the run. Repeats are dropped so that each id is asked for once.
    """
    ids: dict[int, None] = {}  # an ordered set
    bad = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if text.isascii() and text.isdigit() and int(text) > 0:
            ids.setdefault(int(text), None)
        else:
            bad.append(BadLine(number, line.rstrip("\r\n")))
    return IdList(list(ids), bad)


def read_id_file(path: str | os.PathLike[str]) -> IdList:
    """``parse_ids`` of a UTF-8 file; ``OSError``/``UnicodeDecodeError`` for the caller."""
    with open(path, encoding="utf-8") as lines:
        return parse_ids(lines)


# --- the state file -------------------------------------------------------------------


class WarmState:
    """Ids already warmed, kept as ``<id> stored|none`` lines appended to a file.

    Every line is written through to the OS at once (a kill loses nothing), and fsync'd
    per ``batch`` lines or ``sync_seconds`` (a power cut loses at most that much, and an
    id warmed again is a hit at the gateway: it costs no budget). Lines that do not parse,
    such as one torn by a crash mid-write, are ignored.
    """

    HEADER = "# sleeve images warm: release ids done (stored, or none: no image)\n"
    OUTCOMES = ("stored", "none")

    def __init__(
        self, path: str | os.PathLike[str], *, batch: int = 20, sync_seconds: float = 5.0
    ) -> None:
        self.path = pathlib.Path(path)
        self.done: dict[int, str] = self._load(self.path)
        self._batch = batch
        self._sync_seconds = sync_seconds
        self._file: IO[str] | None = None
        self._unsynced = 0
        self._synced_at = time.monotonic()

    @classmethod
    def _load(cls, path: pathlib.Path) -> dict[int, str]:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return {}
        done = {}
        for line in text.splitlines():
            number, _, outcome = line.strip().partition(" ")
            if number.isascii() and number.isdigit() and outcome in cls.OUTCOMES:
                done[int(number)] = outcome
        return done

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:
        new = not self.path.exists()
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115  (closed in close)
        if new:
            self._file.write(self.HEADER)
            self.sync()
            _sync_directory(self.path.parent)  # so the new file itself survives a power cut

    def record(self, release_id: int, outcome: str) -> None:
        if outcome not in self.OUTCOMES:
            raise ValueError(f"not a warm outcome: {outcome!r}")
        if self._file is None:
            raise RuntimeError("the warm state file is not open")
        self._file.write(f"{release_id} {outcome}\n")
        self._file.flush()
        self.done[release_id] = outcome
        self._unsynced += 1
        if (
            self._unsynced >= self._batch
            or time.monotonic() - self._synced_at >= self._sync_seconds
        ):
            self.sync()

    def sync(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
        self._unsynced = 0
        self._synced_at = time.monotonic()

    def close(self) -> None:
        if self._file is not None:
            self.sync()
            self._file.close()
            self._file = None


def _sync_directory(directory: pathlib.Path) -> None:
    with contextlib.suppress(OSError):  # not every platform/filesystem allows it
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


# --- the budget -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Budget:
    """The gateway's image budget, as ``GET /_sleeve/images/stats`` reports it."""

    limit: int
    used: int
    reset: float  # seconds until the window is empty again

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any]) -> Budget:
        budget = stats["budget"]
        return cls(int(budget["limit"]), int(budget["used"]), float(budget.get("reset", 0)))


def budget_allows(budget: Budget, share: float) -> bool:
    """May the warmer spend one more unit? Only if what is left afterwards still covers
    the part reserved for clients, ``(1 - share)`` of the limit.

    With a limit of 10 and a share of 0.5 that is 5 units at most, fewer if clients
    already spent some.
    """
    reserved = budget.limit * (1 - share)
    return budget.limit - budget.used - 1 >= reserved - 1e-9


# --- answers --------------------------------------------------------------------------


class Verdict(enum.Enum):
    STORED = "stored"  # 200: on the gateway's disk now
    NO_IMAGE = "none"  # 404: the release has no image (or is not on Discogs)
    BUDGET = "budget"  # 503 of a spent budget: wait for the budget, or stop
    RETRY = "retry"  # 429/other 503: wait Retry-After, then the same id again
    REFUSED = "refused"  # 401/403: the key is wrong; every other id would fail too
    FAILED = "failed"  # anything else: counted, and tried again on the next run


def classify(status: int, message: str) -> Verdict:
    """What an answer of the image operation means for the warmer."""
    if status == 200:
        return Verdict.STORED
    if status == 404:
        return Verdict.NO_IMAGE
    if status == 503 and "budget" in message.lower():
        return Verdict.BUDGET
    if status in (429, 503):
        return Verdict.RETRY
    if status in (401, 403):
        return Verdict.REFUSED
    return Verdict.FAILED


def retry_after(headers: Mapping[str, str], default: float = DEFAULT_RETRY_AFTER) -> float:
    """``Retry-After`` in seconds (RFC 9110: seconds or an HTTP-date), else ``default``."""
    seconds = parse_retry_after(headers.get("Retry-After"))
    return default if seconds is None else seconds


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    message: str  # the error body's ``message``; "" for an image


# --- the run --------------------------------------------------------------------------


@dataclasses.dataclass
class WarmTally:
    """What a run did so far; kept up to date, so an interrupted run can still report."""

    total: int = 0  # distinct ids in the list
    skipped: int = 0  # done by an earlier run (in the state file)
    stored: int = 0
    no_image: int = 0
    failed: int = 0
    failures: dict[int, str] = dataclasses.field(default_factory=dict)
    waiting: str = ""  # why the run is waiting right now, if it is
    stopped: str = ""  # why the run ended before the end of the list, if it did
    budget_spent: bool = False  # it ended because its share of the budget is spent

    @property
    def processed(self) -> int:
        return self.skipped + self.stored + self.no_image + self.failed

    @property
    def left(self) -> int:
        return self.total - self.processed


Report = Callable[[WarmTally], None]


class Pacer:
    """At most ``rate`` requests per second, evenly spaced (no bursts after a pause)."""

    def __init__(self, rate: float) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be positive, not {rate!r}")
        self._gap = 1.0 / rate
        self._next = 0.0

    async def wait(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._next > now:
            await asyncio.sleep(self._next - now)
            now = self._next
        self._next = now + self._gap


@dataclasses.dataclass(frozen=True, slots=True)
class WarmPolicy:
    """How a run treats the gateway.

    ``share`` (0 < share ≤ 1): the part of the image budget the run may spend; ``rate``:
    gateway requests per second (each id costs a budget read and the image request);
    ``wait`` False ends the run when the share is spent instead of waiting for it to come
    back, checking every ``poll_interval`` s; ``max_attempts``: tries per id on a 429/503.
    """

    share: float = 0.5
    rate: float = 1.0
    wait: bool = True
    poll_interval: float = 60.0
    max_attempts: int = 5

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1:
            raise ValueError(f"share must be in (0, 1], not {self.share!r}")


class _Warmer:
    """One run: the HTTP side and the loop over ids. ``warm`` is its front door."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        key: str,
        policy: WarmPolicy,
        *,
        tally: WarmTally,
        report: Report,
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._headers = {KEY_HEADER: key}
        self._share = policy.share
        self._pacer = Pacer(policy.rate)
        self._wait = policy.wait
        self._poll = policy.poll_interval
        self._max_attempts = policy.max_attempts
        self.tally = tally
        self._report = report

    async def run(self, ids: Sequence[int], state: WarmState, stop_after: int | None) -> None:
        for count, release_id in enumerate(ids):
            if stop_after is not None and count >= stop_after:
                self.tally.stopped = f"stopped after {stop_after} ids, as asked"
                return
            verdict = await self._warm_one(release_id)
            if verdict is Verdict.BUDGET:  # only without waiting: the run ends here
                return
            if verdict in (Verdict.STORED, Verdict.NO_IMAGE):
                state.record(release_id, verdict.value)
            self._count(verdict)
            self._report(self.tally)

    def _count(self, verdict: Verdict) -> None:
        if verdict is Verdict.STORED:
            self.tally.stored += 1
        elif verdict is Verdict.NO_IMAGE:
            self.tally.no_image += 1
        else:
            self.tally.failed += 1

    async def _warm_one(self, release_id: int) -> Verdict:
        """The id's final verdict: STORED, NO_IMAGE, FAILED, or BUDGET (stop, no wait)."""
        attempts = 0
        while True:
            if not await self._budget_open():
                return Verdict.BUDGET
            answer = await self._image(release_id)
            verdict = classify(answer.status, answer.message)
            if verdict is Verdict.REFUSED:
                raise WarmError(f"the gateway refused the key ({answer.status}): {answer.message}")
            if verdict is Verdict.BUDGET:
                if not self._wait:
                    self.tally.stopped = f"the gateway's image budget is spent: {answer.message}"
                    self.tally.budget_spent = True
                    return verdict
                why, seconds = "the gateway's image budget is spent", retry_after(answer.headers)
                await self._pause(why, min(seconds, self._poll))
                continue
            if verdict is Verdict.RETRY:
                attempts += 1
                if attempts < self._max_attempts:
                    await self._pause(
                        f"the gateway said {answer.status}", retry_after(answer.headers)
                    )
                    continue
                verdict = Verdict.FAILED
            if verdict is Verdict.FAILED:
                self.tally.failures[release_id] = f"{answer.status} {answer.message}".strip()
            return verdict

    async def _budget_open(self) -> bool:
        """Whether the warmer may spend one more unit now; waits for it unless told not to."""
        while True:
            budget = await self._budget()
            if budget_allows(budget, self._share):
                return True
            why = (
                f"the warm share of the image budget is spent: {budget.used} of "
                f"{budget.limit} used, {self._reserved(budget)} kept for clients"
            )
            if not self._wait:
                self.tally.stopped, self.tally.budget_spent = why, True
                return False
            await self._pause(why, min(budget.reset, self._poll))  # it returns gradually

    def _reserved(self, budget: Budget) -> str:
        return f"{budget.limit * (1 - self._share):g}"

    async def _pause(self, why: str, seconds: float) -> None:
        """Sleep, saying why: progress displays show it while it lasts."""
        self.tally.waiting = why
        self._report(self.tally)
        await asyncio.sleep(max(seconds, 0.05))
        self.tally.waiting = ""

    async def _budget(self) -> Budget:
        for attempt in range(1, self._max_attempts + 1):
            try:
                answer, stats = await self._get(STATS_PATH, want_json=True)
            except (aiohttp.ClientError, TimeoutError) as exc:
                if attempt == self._max_attempts:
                    raise WarmError(f"cannot reach the gateway at {self._base}: {exc}") from None
                await self._pause("the gateway is unreachable", 2.0**attempt)
                continue
            if answer.status == 200:
                try:
                    return Budget.from_stats(stats)
                except (KeyError, TypeError, ValueError):
                    raise WarmError(f"{self._base}{STATS_PATH} has no image budget") from None
            if classify(answer.status, answer.message) is Verdict.REFUSED:
                raise WarmError(f"the gateway refused the key ({answer.status}): {answer.message}")
            if answer.status not in (429, 503) or attempt == self._max_attempts:
                raise WarmError(
                    f"cannot read the image budget: {answer.status} {answer.message}".strip()
                )
            await self._pause(f"the gateway said {answer.status}", retry_after(answer.headers))
        raise AssertionError("unreachable")

    async def _image(self, release_id: int) -> Answer:
        try:
            answer, _ = await self._get(f"/images/releases/{release_id}/0", want_json=False)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return Answer(0, {}, f"no answer: {type(exc).__name__}: {exc}")
        return answer

    async def _get(self, path: str, *, want_json: bool) -> tuple[Answer, Any]:
        """One paced GET; the image bytes themselves are read and dropped."""
        await self._pacer.wait()
        async with self._session.get(self._base + path, headers=self._headers) as response:
            body = await response.read()
        headers = response.headers  # case-insensitive: uvicorn sends ``retry-after``
        if response.status == 200:
            return Answer(200, headers, ""), _json(body) if want_json else None
        return Answer(response.status, headers, _message(body)), None


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _message(body: bytes) -> str:
    """The ``message`` of sleeve's ``{"message": …}`` errors, else the start of the body."""
    document = _json(body)
    if isinstance(document, dict) and isinstance(document.get("message"), str):
        return document["message"]
    return body[:200].decode("utf-8", "replace").strip()


async def warm(
    session: aiohttp.ClientSession,
    base_url: str,
    key: str,
    ids: Sequence[int],
    state_path: str | os.PathLike[str],
    policy: WarmPolicy = WarmPolicy(),
    *,
    stop_after: int | None = None,
    tally: WarmTally | None = None,
    report: Report | None = None,
) -> WarmTally:
    """Ask the gateway at ``base_url`` for the primary image of each release in ``ids``.

    Ids recorded in ``state_path`` are skipped, and every id done is recorded there.
    ``policy`` says how to treat the gateway; ``stop_after`` ends the run after that many
    ids. ``tally`` (updated as it goes) and ``report`` (called after each id and on each
    wait) are for progress displays; the tally is also returned. Raises ``WarmError``
    when the run cannot go on (key refused, gateway unreachable).
    """
    tally = tally if tally is not None else WarmTally()
    report = report or (lambda _tally: None)
    with WarmState(state_path) as state:
        todo = [release_id for release_id in ids if release_id not in state.done]
        tally.total = len(ids)
        tally.skipped = len(ids) - len(todo)
        warmer = _Warmer(session, base_url, key, policy, tally=tally, report=report)
        report(tally)
        await warmer.run(todo, state, stop_after)
    return tally
