"""What every adapter shares: the raw upstream answer and the ways a call can fail.

Errors form a small tree, so callers can catch as broadly as they need::

    UpstreamError            no usable answer from the upstream
    ├── UpstreamUnreachable  connection refused, reset or dropped mid-answer
    ├── UpstreamTimeout      no complete answer within the configured time
    └── UpstreamGarbage      an answer that cannot be what the upstream sends

    RequestTooLong           the request line would exceed what the upstream accepts;
                             nothing was sent

Each error carries the ``host`` it was asked of and its ``cause``, one word for operators'
logs and metrics: ``dns``, ``refused``, ``tls``, ``reset`` (dropped or disconnected),
``unreachable`` (any other connection failure), ``timeout``, ``malformed``, ``too_large``.

An answer is read as a stream and never past ``max_bytes`` of decompressed body: a 200 MB
answer, or 10 MB of gzip that inflates to a gigabyte, stops at the bound as
:class:`UpstreamGarbage` (aiohttp inflates in bounded steps, so memory stays near the
bound).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import aiohttp
import yarl
from multidict import CIMultiDict, CIMultiDictProxy


@dataclass(frozen=True)
class UpstreamResponse:
    """An upstream's answer as received: status, headers and the whole body; ``host``,
    who answered (for logs), when it came over the network."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    host: str | None = None


class UpstreamError(Exception):
    """No usable answer from ``upstream``; the message is safe to show a client.

    ``host`` and ``cause`` are for operators (see the module's docstring); the message
    never names a URL, which may carry credentials.
    """

    default_cause = "failed"

    def __init__(
        self, upstream: str, message: str, *, host: str | None = None, cause: str | None = None
    ) -> None:
        super().__init__(message)
        self.upstream = upstream
        self.host = host
        self.cause = cause or self.default_cause


class UpstreamUnreachable(UpstreamError):
    default_cause = "unreachable"


class UpstreamTimeout(UpstreamError):
    default_cause = "timeout"


class UpstreamGarbage(UpstreamError):
    default_cause = "malformed"


class RequestTooLong(Exception):
    """The request target would be ``length`` bytes, over the upstream's ``limit``."""

    def __init__(self, upstream: str, length: int, limit: int) -> None:
        super().__init__(
            f"The query is too long to forward to {upstream}: "
            f"{length} bytes encoded, at most {limit}."
        )
        self.upstream, self.length, self.limit = upstream, length, limit


#: How deep an upstream's JSON may nest: real answers nest a handful of levels; a deeper
#: one is an attack or a broken upstream, and would exhaust recursion further on.
MAX_JSON_DEPTH = 64


def is_json_object(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` is a JSON object nesting at most ``max_depth`` levels."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return False
    return isinstance(document, dict) and _depth_at_most(document, max_depth)


async def checked_json_object(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """:func:`is_json_object`, in a thread for a large body: decoding megabytes of JSON
    would stop the event loop for every other request meanwhile."""
    if len(body) > LARGE_BODY:
        return await asyncio.to_thread(is_json_object, body, max_depth)
    return is_json_object(body, max_depth)


#: Bodies larger than this are decoded (and rewritten) off the event loop.
LARGE_BODY = 256 << 10


def _depth_at_most(document: object, max_depth: int) -> bool:
    """Iteratively, so that the check itself cannot run out of stack."""
    pending: list[tuple[object, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children: Iterable[object] = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > max_depth:
            return False
        pending.extend((child, depth + 1) for child in children)
    return True


def client_timeout(connect: float, total: float) -> aiohttp.ClientTimeout:
    """The timeout for one call: ``connect`` to get a socket, ``total`` for everything."""
    return aiohttp.ClientTimeout(total=total, sock_connect=connect)


class HttpClient:
    """The process's one aiohttp session, opened and closed with the app's lifespan.

    Adapters are built before the event loop runs; they hold this object and reach the
    session only per call, so the session can be born and die inside the lifespan.
    """

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100, ttl_dns_cache=300),
            auto_decompress=True,
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def is_open(self) -> bool:
        """Between the lifespan's start and its end (readiness asks)."""
        return self._session is not None

    async def get(
        self,
        upstream: str,
        url: str,
        *,
        params: list[tuple[str, str]],
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
        max_target: int = 8000,
        max_bytes: int = 32 << 20,
    ) -> UpstreamResponse:
        """GET ``url`` and read the whole answer, translating failures into the tree above.

        A request whose target (path and encoded query) would be longer than
        ``max_target`` bytes is refused before sending: servers answer such request lines
        with a 400 or 414 that would otherwise look like the upstream's fault.
        Messages name the upstream but never the URL: the query may carry credentials.
        """
        if self._session is None:
            raise UpstreamUnreachable(upstream, "sleeve is not started: no HTTP session")
        try:
            target = yarl.URL(url).update_query(params)
        except (ValueError, TypeError):  # a URL an upstream sent (a redirect) that is none
            raise UpstreamGarbage(upstream, f"{upstream} pointed at an unusable URL.") from None
        if len(target.raw_path_qs) > max_target:
            raise RequestTooLong(upstream, len(target.raw_path_qs), max_target)
        return await self._exchange(upstream, "GET", target, headers, timeout, max_bytes)

    async def post_form(
        self,
        upstream: str,
        url: str,
        *,
        form: Mapping[str, str],
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
        max_bytes: int = 1 << 20,
    ) -> UpstreamResponse:
        """POST ``form`` (``application/x-www-form-urlencoded``) to ``url``: an OAuth token
        endpoint's request. Failures as :meth:`get`'s."""
        if self._session is None:
            raise UpstreamUnreachable(upstream, "sleeve is not started: no HTTP session")
        try:
            target = yarl.URL(url)
        except (ValueError, TypeError):
            raise UpstreamGarbage(upstream, f"{upstream}'s URL is unusable.") from None
        return await self._exchange(
            upstream, "POST", target, headers, timeout, max_bytes, data=dict(form)
        )

    async def _exchange(
        self,
        upstream: str,
        method: str,
        target: yarl.URL,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
        max_bytes: int,
        data: dict[str, str] | None = None,
    ) -> UpstreamResponse:
        assert self._session is not None
        host = target.host
        try:
            async with self._session.request(
                method, target, headers=headers, timeout=timeout, allow_redirects=False, data=data
            ) as answer:
                body = await _read_within(answer, max_bytes, upstream, host)
                # Header names are case-insensitive (RFC 9110 §5.1): keep them so.
                kept = CIMultiDictProxy(CIMultiDict(answer.headers))
                return UpstreamResponse(answer.status, kept, body, host)
        except TimeoutError:
            raise UpstreamTimeout(
                upstream, f"{upstream} did not answer in time.", host=host
            ) from None
        except (aiohttp.ClientPayloadError, aiohttp.ClientResponseError) as exc:
            raise UpstreamGarbage(
                upstream, f"{upstream} sent a malformed answer.", host=host
            ) from exc
        except aiohttp.ClientError as exc:
            cause = connection_cause(exc)
            raise UpstreamUnreachable(
                upstream, f"{upstream} could not be reached.", host=host, cause=cause
            ) from exc


def connection_cause(exc: aiohttp.ClientError) -> str:
    """One word for why a connection failed, for operators (most specific first: a
    certificate error is also a connector error)."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "dns"
    if isinstance(exc, aiohttp.ClientSSLError | aiohttp.ClientConnectorCertificateError):
        return "tls"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "refused" if isinstance(exc.os_error, ConnectionRefusedError) else "unreachable"
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError):
        return "reset"
    return "unreachable"


async def _read_within(
    answer: aiohttp.ClientResponse, max_bytes: int, upstream: str, host: str | None
) -> bytes:
    """The whole (decompressed) body, or :class:`UpstreamGarbage` past ``max_bytes``."""
    too_large = UpstreamGarbage(
        upstream, f"{upstream} sent an answer over {max_bytes} bytes.", host=host, cause="too_large"
    )
    if answer.content_length is not None and answer.content_length > max_bytes:
        raise too_large
    chunks, size = [], 0
    async for chunk in answer.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


class Adapter:
    """What every upstream's adapter holds: the shared session, where the upstream is,
    who sleeve says it is, how long a call may take and how large an answer may be."""

    def __init__(
        self,
        http: HttpClient,
        *,
        base_url: str,
        user_agent: str,
        connect_timeout: float,
        timeout: float,
        max_bytes: int = 32 << 20,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = yarl.URL(self.base_url).host  # for operators' logs
        self._http = http
        self._user_agent = user_agent
        self._timeout = client_timeout(connect_timeout, timeout)
        self._max_bytes = max_bytes
