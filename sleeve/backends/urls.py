"""Redis URLs fit to show: in logs and error messages (no credentials at all), and in
``sleeve config`` (every password redis-py would read, masked)."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["MASK", "masked_url", "without_credentials"]

MASK = "**********"


def without_credentials(url: str) -> str:
    """``url`` fit for error messages, which end up in logs: no user, password or query."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


def masked_url(url: str) -> str:
    """``url`` with every password redis-py would read masked: the userinfo's (which may
    itself contain ``@``: redis-py splits at the last one) and a ``password`` parameter."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if at:
        user, colon, _ = userinfo.partition(":")
        userinfo = f"{user}:{MASK}" if colon else MASK
    query = "&".join(
        f"{name}={MASK}" if name.lower() == "password" else f"{name}{sep}{value}"
        for name, sep, value in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    netloc = f"{userinfo}{at}{host}"
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")
