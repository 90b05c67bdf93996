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

__all__ = ["SLEEVE_HANDLER", "TEXT_FORMAT", "configure_logging", "formatter"]

#: The attribute that marks the handler :func:`configure_logging` installs, holding
#: ``(log_format, process)``: the access log writes its lines itself where it finds it
#: (:mod:`sleeve.observability.access_lines`).
SLEEVE_HANDLER = "sleeve_log_format"

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
WORKER_TEXT_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


def formatter(log_format: str, *, process: bool = False) -> logging.Formatter:
    """``process``: each line names the process (``sleeve serve --workers N``)."""
    if log_format == "json":
        fields = "%(asctime)s %(levelname)s %(name)s %(message)s"
        return JsonFormatter(
            fields + (" %(process)d" if process else ""),
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return logging.Formatter(WORKER_TEXT_FORMAT if process else TEXT_FORMAT)


def configure_logging(level: str, log_format: str, *, process: bool = False) -> None:
    """The root logger at ``level``, writing ``log_format`` lines to standard error."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format, process=process))
    setattr(handler, SLEEVE_HANDLER, (log_format, process))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
