"""HTTP caching towards clients: strong ETags, ``If-None-Match`` and the response headers
that say how old an answer is and where it came from.

Pure functions. ``Cache-Status`` follows RFC 9211; conditional requests RFC 9110 §13.1.2
(``If-None-Match`` uses the weak comparison, so ``W/"x"`` matches ``"x"``).
"""

from __future__ import annotations

import hashlib
import math

CACHE_NAME = "sleeve"


def strong_etag(*parts: bytes) -> str:
    """A strong validator for exactly these bytes (a representation and its variant)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return f'"{digest.hexdigest()}"'


def if_none_match(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match: header`` matches ``etag`` (so the answer is a 304)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def freshness_headers(stored_at: float, fresh_until: float, now: float) -> dict[str, str]:
    """``Age`` and ``Cache-Control`` for an answer stored at ``stored_at``."""
    age = max(0, int(now - stored_at))
    return {"Age": str(age), "Cache-Control": cache_control(fresh_until, now)}


def cache_control(fresh_until: float, now: float) -> str:
    """``Cache-Control`` for a shared answer fresh until ``fresh_until``."""
    return f"public, max-age={max(0, math.floor(fresh_until - now))}"


def cache_status(
    outcome: str, *, ttl: float | None = None, stored: bool = False, collapsed: bool = False
) -> str:
    """The ``Cache-Status`` member for one of sleeve's outcomes.

    ``hit`` (fresh), ``stale`` (served past freshness while refreshing), ``stale-if-error``
    (served because the upstream failed), ``miss`` (fetched), ``bypass`` (private answer).
    """
    parts = [CACHE_NAME]
    if outcome in ("hit", "stale", "stale-if-error"):
        parts.append("hit")
    elif outcome == "miss":
        parts.append("fwd=miss")
    else:
        parts.append("fwd=bypass")
    if ttl is not None:
        parts.append(f"ttl={math.floor(ttl)}")
    if outcome == "stale":
        parts.append('detail="stale-while-revalidate"')
    if outcome == "stale-if-error":
        parts.append('detail="stale-if-error"')
    if stored:
        parts.append("stored")
    if collapsed:
        parts.append("collapsed")
    return "; ".join(parts)
