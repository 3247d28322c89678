"""CSV / XLSX import of cases (``lapor import FILE``): spreadsheets agencies already keep.

Each row is one case. Columns are named after the flat fields of :data:`FIELDS` (e.g.
``tracking_number``, ``reporter_name``, ``follow_up_text``); a mapping renames the sheet's own
headers (``--map "No. Laporan=tracking_number"``). Rows become case-feed records and go through
:func:`publisher.intake.records.ingest` like any other source, so the same validation,
quarantine and idempotency apply. A dry run does all of it inside a transaction that is rolled
back: it shows exactly what would change, and stores nothing.

Dates are ISO-8601; a date without an offset is read as Asia/Jakarta (WIB), which is what a
spreadsheet typed in Tegal means. ``media_urls`` holds URLs separated by spaces, commas or
semicolons; ``media_taken_by`` is ``pic`` (default) or ``reporter``.

Errors: :class:`publisher.core.errors.IntakeError` for a file that cannot be read at all (format,
encoding, no header row, unknown mapped column); a bad row is reported with its row number and
quarantined, the other rows go on.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from publisher.core.crypto import Vault
from publisher.core.errors import IntakeError
from publisher.intake.records import IntakeCounts, RecordOutcome, ingest

FIELDS = (
    "id",
    "tracking_number",
    "agency",
    "category",
    "kecamatan",
    "desa",
    "complaint",
    "privacy",
    "status",
    "reporter_name",
    "reporter_phone",
    "reporter_nik",
    "reporter_email",
    "reporter_address",
    "received_at",
    "first_response_at",
    "resolved_at",
    "follow_up_id",
    "follow_up_text",
    "follow_up_at",
    "media_urls",
    "media_taken_by",
    "updated_at",
)
HISTORY = (
    ("received", "received_at"),
    ("in_progress", "first_response_at"),
    ("resolved", "resolved_at"),
)
WIB = ZoneInfo("Asia/Jakarta")
MAX_ROWS = 50_000


@dataclass(frozen=True)
class RowResult:
    row: int  # 1-based, the header is row 1: what a person sees in the spreadsheet
    external_id: str
    outcome: str
    reason: str = ""


@dataclass
class ImportReport:
    counts: IntakeCounts = field(default_factory=IntakeCounts)
    rows: list[RowResult] = field(default_factory=list)
    dry_run: bool = False


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``["Header=field", ...]`` -> {header: field}, refusing fields we do not know."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        header, sep, target = pair.rpartition("=")
        if not sep or not header.strip():
            raise IntakeError(f"mapping {pair!r} is not HEADER=FIELD")
        if target.strip() not in FIELDS:
            raise IntakeError(f"mapping {pair!r}: unknown field (known: {', '.join(FIELDS)})")
        mapping[header.strip()] = target.strip()
    return mapping


def read_rows(path: Path) -> list[dict[str, Any]]:
    suffix = path.suffix.casefold()
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    raise IntakeError(f"{path.name}: only .csv and .xlsx files can be imported")


def _read_csv(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise IntakeError(f"{path.name}: not UTF-8 text (save the sheet as CSV UTF-8)") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames:
        raise IntakeError(f"{path.name}: no header row")
    return [dict(row) for _, row in zip(range(MAX_ROWS), reader, strict=False)]


def _read_xlsx(path: Path) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise IntakeError(f"{path.name}: not a readable .xlsx ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise IntakeError(f"{path.name}: no header row")
        names = [str(h).strip() if h is not None else "" for h in header]
        found = []
        for _, values in zip(range(MAX_ROWS), rows, strict=False):
            if all(v is None or v == "" for v in values):
                continue
            found.append(dict(zip(names, values, strict=False)))
        return found
    finally:
        book.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=WIB)).isoformat()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=WIB).isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _when(text: str) -> str:
    """An ISO date(-time); without an offset it is WIB. Unreadable text is passed on as is so
    that validation names the field."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return (moment if moment.tzinfo else moment.replace(tzinfo=WIB)).isoformat()


def row_to_record(row: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    flat = {field_name: "" for field_name in FIELDS}
    for header, value in row.items():
        if header is None:
            continue
        name = mapping.get(str(header).strip(), str(header).strip())
        if name in flat:
            flat[name] = _cell(value)
    reporter = {
        part: flat[f"reporter_{part}"]
        for part in ("name", "phone", "nik", "email", "address")
        if flat[f"reporter_{part}"]
    }
    history = [
        {"status": status, "at": _when(flat[column])} for status, column in HISTORY if flat[column]
    ]
    updated = _when(flat["updated_at"] or flat["resolved_at"] or flat["follow_up_at"])
    record: dict[str, Any] = {
        "id": flat["id"] or flat["tracking_number"],
        "tracking_number": flat["tracking_number"],
        "agency": flat["agency"],
        "category": flat["category"],
        "kecamatan": flat["kecamatan"],
        "desa": flat["desa"],
        "complaint": flat["complaint"],
        "privacy": flat["privacy"] or "normal",
        "reporter": reporter,
        "status": flat["status"] or "resolved",
        "history": history,
        "updated_at": updated,
    }
    if flat["follow_up_text"]:
        urls = [u for u in re.split(r"[\s,;]+", flat["media_urls"]) if u]
        record["follow_up"] = {
            "id": flat["follow_up_id"] or f"{record['id']}-tl",
            "text": flat["follow_up_text"],
            "submitted_at": _when(flat["follow_up_at"]) or updated,
            "media": [
                {"url": u, "taken_by": flat["media_taken_by"] or "pic", "phase": ""} for u in urls
            ],
        }
    return record


def import_file(
    sessions: sessionmaker[Session],
    vault: Vault,
    path: Path,
    *,
    source: str = "import",
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import every row of ``path`` in one transaction (rolled back on a dry run)."""
    rows = read_rows(path)
    records = [row_to_record(row, mapping or {}) for row in rows]
    outcomes: list[RecordOutcome] = []
    report = ImportReport(dry_run=dry_run)
    with sessions() as session:
        transaction = session.begin()
        try:
            report.counts = ingest(session, vault, source, records, report=outcomes)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    report.rows = [RowResult(o.index + 2, o.external_id, o.outcome, o.reason) for o in outcomes]
    return report
