"""Time: everything is stored in UTC and shown in the configured zone (Asia/Jakarta)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
