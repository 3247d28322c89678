"""Logging configuration for the CLI and services (English, one line per event)."""

from __future__ import annotations

import logging


def configure(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO; URLs can carry bot tokens.
    logging.getLogger("httpx").setLevel(logging.WARNING)
