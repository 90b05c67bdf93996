"""Log lines for people (``text``) or for log collectors (``json``: one object a line).

The JSON lines are python-json-logger's: the message as text, plus the fields a line was
logged with (a request's ``request_id``, ``operation``, ``status``, ``duration_ms``,
``cache``, ``client``, ``upstream_calls``; an upstream failure's ``upstream``, ``host``,
``cause``), so a collector can filter on them without parsing the text. uvicorn's own
loggers go through the same handler.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

__all__ = ["TEXT_FORMAT", "configure_logging", "formatter"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(level: str, log_format: str) -> None:
    """The root logger at ``level``, writing ``log_format`` lines to standard error."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
