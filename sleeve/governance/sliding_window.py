"""The arithmetic of a sliding-window log, whoever keeps the log.

At ``now`` the window is ``(now - window, now]``: an admission made at ``t`` counts until
``t + window`` and not after, so two admissions exactly ``window`` apart are never in the
same window. *Live* admissions are the ones in the window, ranked oldest first. A call is
admitted iff no pause runs past ``now`` and fewer than ``limit - reserve`` are live.

:mod:`~sleeve.governance.local_limiter` calls these functions on its deques;
:mod:`~sleeve.governance.redis_limiter` makes the same decision inside Lua (it must be
atomic there) and hands the facts it read back to :func:`answer`.
"""

from __future__ import annotations

from .limiter import Admission

__all__ = ["MAX_PAUSE", "admits", "answer", "blocking_rank", "check_reserve", "pause_length"]

MAX_PAUSE = 1e9
"""Seconds (about 31 years). A longer ``Retry-After`` is broken; clamping keeps Redis's
``PX`` and float arithmetic valid."""


def check_reserve(reserve: int) -> None:
    if reserve < 0:
        raise ValueError(f"reserve must not be negative, not {reserve!r}")


def pause_length(seconds: float) -> float:
    """``seconds`` checked (a number, not negative) and clamped to :data:`MAX_PAUSE`."""
    if not seconds >= 0:
        raise ValueError(f"a pause must be a non-negative number of seconds, not {seconds!r}")
    return min(float(seconds), MAX_PAUSE)


def admits(live: int, limit: int, reserve: int, *, paused: bool) -> bool:
    return not paused and live < limit - reserve


def blocking_rank(live: int, limit: int, reserve: int) -> int | None:
    """Which live admission (0 = oldest) must leave the window before one more fits;
    ``None`` if the count does not block.

    The caller needs ``live - (limit - reserve) + 1`` of them gone, the last of which has
    rank ``live - (limit - reserve)``. A ``reserve`` of ``limit`` or more never fits; the
    newest stands in, so that ``retry_after`` stays a finite hint.
    """
    allowance = limit - reserve
    if live == 0 or live < allowance:
        return None
    return min(live - allowance, live - 1)


def answer(
    *,
    admitted: bool,
    live: int,
    limit: int,
    window: float,
    now: float,
    blocking: float | None = None,
    newest: float | None = None,
    paused_until: float | None = None,
) -> Admission:
    """The :class:`Admission` for a decision already made.

    ``live`` counts this call if it was admitted; ``blocking`` is the time of the admission
    at :func:`blocking_rank` (denials only), ``newest`` the time of the newest live one, and
    ``paused_until`` the end of the pause, if any.
    """
    remaining = max(0, limit - live)
    reset = 0.0 if newest is None else max(0.0, (newest - now) + window)
    if blocking is not None:
        blocking = min(blocking, now)  # a held slot may be released any moment: hope so
    if admitted:
        return Admission(True, live, remaining, 0.0, reset)
    retry_after = _retry_after(now, window, blocking, paused_until)
    return Admission(False, live, remaining, retry_after, reset)


def _retry_after(
    now: float, window: float, blocking: float | None, paused_until: float | None
) -> float:
    wait = 0.0 if blocking is None else (blocking - now) + window
    if paused_until is not None:
        wait = max(wait, paused_until - now)
    # Only a reserve of the whole limit is denied with nothing to wait for: say "a window".
    return wait if wait > 0 else window
