"""One way to write numbers, shares and dates on a page or in an export: Babel with the
Indonesian locale (``1.234``, ``2,5``, ``75%``, ``1 Januari 2026``), never hand-made formats."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

LOCALE = "id"


def number(value: float | None, decimals: int = 1) -> str:
    """A count as ``12.345``; a measure with ``decimals`` places (``2,5``); None as ``-``."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return format_decimal(value, locale=LOCALE)
    pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
    return format_decimal(value, format=pattern, locale=LOCALE)


def share(value: float | None) -> str:
    """A fraction as a percentage (``0.75`` -> ``75%``)."""
    return "-" if value is None else format_percent(value, locale=LOCALE)


def day(value: date | None) -> str:
    """A date as ``1 Januari 2026``."""
    return "-" if value is None else format_date(value, "d MMMM y", locale=LOCALE)


def month(value: date) -> str:
    """A month as ``Mei 2026``."""
    return format_date(value, "MMMM y", locale=LOCALE)


def moment(value: datetime | None, tz: tzinfo) -> str:
    """A time as ``2 Des 2026 13.37 WIB`` (local time of ``tz``)."""
    if value is None:
        return "-"
    return format_datetime(value, "d MMM y HH.mm", tzinfo=tz, locale=LOCALE) + " WIB"
