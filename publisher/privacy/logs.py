"""Logging configuration for the CLI and services (English, one line per event).

``LAPOR_LOG_FORMAT=text`` (default) prints readable lines; ``json`` prints one JSON object per
line (``ts``, ``level``, ``logger``, ``msg``, ``process``, ``thread`` and ``exc`` when there is a
traceback) for journald / Loki / Elasticsearch. Filters passed in ``filters`` (the
personal-data filter, ``publisher.privacy.PersonalDataFilter``) are attached to the root
handler, so they see every record of every logger, in both formats, before it is written.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

# Loggers that say too much at INFO: httpx logs every URL, and URLs can carry bot tokens.
QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "apscheduler": logging.WARNING}
HANDLER_NAME = "lapor"
# uvicorn's own loggers. With its default ``log_config`` uvicorn gives them handlers of their
# own that do not propagate, so tracebacks and access lines would bypass the filter below;
# servers are started with ``UVICORN_LOGGING`` and :func:`configure` sends them to the root.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
UVICORN_LOGGING: dict[str, Any] = {"log_config": None}


class DropQueryStrings(logging.Filter):
    """Access lines keep the path and lose the query string: forms and links put names and
    phone numbers there, often URL-encoded past what the detector reads."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) >= 3:
            path = str(args[2]).split("?", 1)[0]
            record.args = (*args[:2], path, *args[3:])
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "process": record.process,
            "thread": record.threadName,
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes each record to ``sys.stderr`` as it is when the record is written.

    A plain ``StreamHandler(sys.stderr)`` keeps the stream it was given; once that is swapped
    and closed (a test runner's capture, a redirect in a CLI runner) every later line is lost
    with "I/O operation on closed file"."""

    @property  # type: ignore[override]
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        """Ignored: the stream is always the current ``sys.stderr``."""


def configure(
    level: str = "INFO",
    fmt: Literal["text", "json"] = "text",
    filters: Sequence[logging.Filter] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """(Re)configure the root logger; safe to call again (it replaces its own handler)."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == HANDLER_NAME:
            root.removeHandler(old)
    handler: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else StderrHandler()
    )
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    # Privacy is a hard invariant: every line passes the personal-data filter, on the handler
    # (a logger-level filter would miss records propagated from child loggers).
    from publisher.privacy import PersonalDataFilter

    handler.addFilter(DropQueryStrings())
    handler.addFilter(PersonalDataFilter())
    for log_filter in filters:
        handler.addFilter(log_filter)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    for name in UVICORN_LOGGERS:
        server_logger = logging.getLogger(name)
        for own in list(server_logger.handlers):
            server_logger.removeHandler(own)
        server_logger.propagate = True
        server_logger.setLevel(logging.NOTSET)  # the level given here, not one set earlier
    return handler
