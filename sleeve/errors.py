"""Every error a client can meet, and how upstream failures become one.

Exceptions, as they travel up from the network to the client::

    Exception
    ├── UpstreamError               (sleeve.adapters.http) no usable answer came
    │   ├── UpstreamUnreachable     refused, reset, dropped mid-answer
    │   ├── UpstreamTimeout         no complete answer in time
    │   ├── UpstreamGarbage         an answer that cannot be what the upstream sends
    │   └── UpstreamBusy            (sleeve.governance.gate) no call made in time: no
    │                               slot within the limit, or the breaker is open
    ├── RequestTooLong              (sleeve.adapters.http) nothing sent: too long a query
    └── GatewayError                what the client gets: a status, a message, headers

:func:`upstream_errors` turns the first ones into :class:`GatewayError`;
:func:`answer_error` does the same for an upstream *answer* that is not the one asked
for. The edge (:mod:`sleeve.edge.error_responses`) renders a :class:`GatewayError` in the
dialect of the upstream whose path was asked for. Messages name the upstream, never a
URL or a credential.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Mapping

from .adapters.http import RequestTooLong, UpstreamError, UpstreamTimeout
from .governance.gate import UpstreamBusy
from .governance.retry import retry_after_seconds

__all__ = ["RETRY_UNREACHABLE_AFTER", "GatewayError", "answer_error", "upstream_errors"]

RETRY_UNREACHABLE_AFTER = 60


class GatewayError(Exception):
    """A failure sleeve reports to its client as ``status`` with ``message``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@contextlib.contextmanager
def upstream_errors(*, unreachable_status: int = 502, timeout_status: int = 504) -> Iterator[None]:
    """Failures on the way to an upstream, as the errors clients get.

    A query too long to forward is 414; an upstream too busy for sleeve to call now is
    503 with ``Retry-After``; a timeout is 504 and anything else unusable 502, unless the
    caller's upstream contract says otherwise (the Cover Art Archive answers 503 for both).
    """
    try:
        yield
    except RequestTooLong as exc:
        raise GatewayError(414, str(exc)) from None
    except UpstreamBusy as exc:
        raise GatewayError(503, str(exc), {"Retry-After": str(exc.retry_after)}) from None
    except UpstreamTimeout as exc:
        raise GatewayError(timeout_status, str(exc), _retry_soon(timeout_status)) from None
    except UpstreamError as exc:
        raise GatewayError(unreachable_status, str(exc), _retry_soon(unreachable_status)) from None


def answer_error(
    upstream: str,
    status: int,
    headers: Mapping[str, str],
    *,
    said: str | None = None,
    passed: Collection[int] = (404,),
    retry_after: int = RETRY_UNREACHABLE_AFTER,
    otherwise: int = 502,
) -> GatewayError:
    """The error a client gets for an upstream's answer with ``status`` (not the 200 asked
    for), where ``said`` is the upstream's own message, if it gave one.

    - ``passed`` statuses are about the request and pass through in the upstream's words
      (a 404 is a 404);
    - 429 and 503 mean "not now": 503 with ``Retry-After`` (the upstream's, within
      reason, else ``retry_after``) — never the upstream's 429, which would blame the
      client for sleeve's pace;
    - anything else is the upstream's fault: ``otherwise`` (502) naming its status.
    """
    if status in passed:
        stock = _STOCK.get(status, "{upstream} answered {status}.")
        return GatewayError(status, said or stock.format(upstream=upstream, status=status))
    if status in (429, 503):
        seconds = retry_after_seconds(headers.get("Retry-After"), retry_after)
        reason = "is rate limiting sleeve" if status == 429 else "is unavailable"
        return GatewayError(
            503, f"{upstream} {reason}; try again in {seconds} s.", {"Retry-After": str(seconds)}
        )
    message = f"{upstream} answered {status}" + (f": {said}" if said else ".")
    return GatewayError(otherwise, message, _retry_soon(otherwise))


_STOCK = {
    400: "Bad request.",
    404: "The requested resource was not found.",
    422: "{upstream} could not process the request.",
}


def _retry_soon(status: int) -> dict[str, str]:
    return {"Retry-After": str(RETRY_UNREACHABLE_AFTER)} if status == 503 else {}
