"""The Discogs API v2 adapter: credentials, identification and representations.

Discogs wants a unique ``User-Agent`` (without one it answers an empty body), takes
credentials as an ``Authorization: Discogs …`` header, and picks the text markup of an
answer from the ``Accept`` header (``application/vnd.discogs.v2.{discogs|html|plaintext}+json``).

Every 200 of the database API is a JSON object; anything else with a 200 (an empty body,
Cloudflare's HTML, ``null``, JSON nested past reason) is :class:`UpstreamGarbage`, so it
is never stored and a stale answer can stand in for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .http import Adapter, HttpClient, UpstreamGarbage, UpstreamResponse, checked_json_object

NAME = "Discogs"
MEDIA_TYPES = frozenset(
    f"application/vnd.discogs.v2.{variant}+json" for variant in ("discogs", "html", "plaintext")
)
CREDENTIAL_PARAMETERS = frozenset({"token", "key", "secret"})
# Discogs sits behind Cloudflare, which refuses URLs over 16 KB; the contract's length
# limits keep every valid query under this, so it guards only against a contract change.
MAX_REQUEST_TARGET = 16_000
_AUTHORIZATION = re.compile(
    r"\s*Discogs\s+(?:token=(?P<token>[^\s,]+)|key=(?P<key>[^\s,]+)\s*,\s*secret=(?P<secret>[^\s,]+))\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DiscogsCredentials:
    """A personal token, or a consumer key and secret. ``repr`` never shows them."""

    token: str | None = None
    key: str | None = None
    secret: str | None = None

    def __repr__(self) -> str:
        kind = "token" if self.token else "key+secret"
        return f"DiscogsCredentials(<{kind}>)"

    def authorization(self) -> str:
        if self.token:
            return f"Discogs token={self.token}"
        return f"Discogs key={self.key}, secret={self.secret}"

    @classmethod
    def from_client(
        cls, authorization: str | None, query: Mapping[str, str]
    ) -> DiscogsCredentials | None:
        """The credentials a Discogs client sent, in any of the forms Discogs accepts: an
        ``Authorization: Discogs token=…`` or ``… key=…, secret=…`` header, or the same
        as query parameters. The header wins."""
        match = _AUTHORIZATION.fullmatch(authorization or "")
        if match:
            return cls(**match.groupdict())
        if query.get("token"):
            return cls(token=query["token"])
        if query.get("key") and query.get("secret"):
            return cls(key=query["key"], secret=query["secret"])
        return None


def representation(accept: str | None) -> str | None:
    """The Discogs media type a client asked for, or ``None`` for the default one."""
    if not accept:
        return None
    for media_range in accept.split(","):
        media_type = media_range.split(";", 1)[0].strip().lower()
        if media_type in MEDIA_TYPES:
            return media_type
    return None


class DiscogsAdapter(Adapter):
    """GETs on the Discogs database API with sleeve's identity."""

    def __init__(
        self,
        http: HttpClient,
        *,
        credentials: DiscogsCredentials | None,
        base_url: str,
        user_agent: str,
        connect_timeout: float,
        timeout: float,
        max_bytes: int = 32 << 20,
    ) -> None:
        super().__init__(
            http,
            base_url=base_url,
            user_agent=user_agent,
            connect_timeout=connect_timeout,
            timeout=timeout,
            max_bytes=max_bytes,
        )
        self._credentials = credentials

    @property
    def authenticated(self) -> bool:
        """Whether sleeve has credentials of its own for Discogs."""
        return self._credentials is not None

    async def get(
        self,
        path: str,
        query: list[tuple[str, str]],
        *,
        media_type: str | None = None,
        credentials: DiscogsCredentials | None = None,
    ) -> UpstreamResponse:
        """GET ``path`` with ``credentials`` (a client's own), else sleeve's."""
        headers = {"User-Agent": self._user_agent, "Accept": media_type or "application/json"}
        chosen = credentials or self._credentials
        if chosen is not None:
            headers["Authorization"] = chosen.authorization()
        answer = await self._http.get(
            NAME,
            f"{self.base_url}{path}",
            params=query,
            headers=headers,
            timeout=self._timeout,
            max_target=MAX_REQUEST_TARGET,
            max_bytes=self._max_bytes,
        )
        if answer.status == 200 and not await checked_json_object(answer.body):
            raise UpstreamGarbage(
                NAME, f"{NAME} sent an answer that is not a JSON object.", host=answer.host
            )
        return answer

    async def get_image(self, url: str, *, max_bytes: int) -> UpstreamResponse:
        """GET an image at ``url``, as an answer gave it (signed: sent unchanged), of at
        most ``max_bytes``.

        No credentials: image hosts need none, and a URL from an answer is not trusted
        with them.
        """
        headers = {"User-Agent": self._user_agent, "Accept": "image/*"}
        return await self._http.get(
            NAME, url, params=[], headers=headers, timeout=self._timeout, max_bytes=max_bytes
        )
