"""One way to write numbers, shares and dates on a page or in an export: Babel with the
Indonesian locale (``1.234``, ``2,5``, ``75%``, ``1 Januari 2026``), never hand-made formats."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

LOCALE = "id"


@lru_cache(maxsize=1)
def _locale() -> Locale:
    # Parsed once: Babel parses a locale name again on every call (6% of a review page).
    return Locale.parse(LOCALE)


@lru_cache(maxsize=4096)
def _count(value: int) -> str:
    # Counts repeat on a page (ages in hours, days, case counts); formatting was a fifth of
    # the review queue's CPU (issue 23).
    return format_decimal(value, locale=_locale())


def number(value: float | None, decimals: int = 1) -> str:
    """A count as ``12.345``; a measure with ``decimals`` places (``2,5``); None as ``-``."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return _count(int(value))  # int(): True is counted as 1 either way
    return _measure(value, decimals)


@lru_cache(maxsize=4096)
def _measure(value: float, decimals: int) -> str:
    # Risk scores (two decimals) and medians repeat too.
    pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
    return format_decimal(value, format=pattern, locale=_locale())


def share(value: float | None) -> str:
    """A fraction as a percentage (``0.75`` -> ``75%``)."""
    return "-" if value is None else _share(value)


@lru_cache(maxsize=4096)
def _share(value: float) -> str:
    return format_percent(value, locale=_locale())


def day(value: date | None) -> str:
    """A date as ``1 Januari 2026``."""
    return "-" if value is None else format_date(value, "d MMMM y", locale=_locale())


def month(value: date) -> str:
    """A month as ``Mei 2026``."""
    return format_date(value, "MMMM y", locale=_locale())


def moment(value: datetime | None, tz: tzinfo) -> str:
    """A time as ``2 Des 2026 13.37 WIB`` (local time of ``tz``)."""
    if value is None:
        return "-"
    return _moment(value, tz)


@lru_cache(maxsize=4096)
def _moment(value: datetime, tz: tzinfo) -> str:
    # A cached dashboard shows the same hundred times on every request: a fifth of its CPU.
    return format_datetime(value, "d MMM y HH.mm", tzinfo=tz, locale=_locale()) + " WIB"
