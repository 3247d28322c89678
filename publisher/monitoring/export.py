"""CSV export of a :class:`~publisher.monitoring.stats.Report` (column names in Bahasa
Indonesia, for the people who open it in a spreadsheet).

Cells that a spreadsheet would run as a formula (leading ``= + - @``, tab, CR) get a leading
apostrophe, so an agency or PIC name can never become a formula in someone's Excel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Literal

from publisher.monitoring.stats import GroupStats, OverdueCase, Report

Kind = Literal["agencies", "pics", "overdue"]
KINDS: tuple[Kind, ...] = ("agencies", "pics", "overdue")

GROUP_COLUMNS: tuple[tuple[str, Callable[[GroupStats], object]], ...] = (
    ("kode", lambda s: s.key),
    ("nama", lambda s: s.label),
    ("instansi", lambda s: s.agency),
    ("diterima", lambda s: s.received),
    ("dijawab", lambda s: s.answered),
    ("belum_dijawab", lambda s: s.unanswered),
    ("selesai", lambda s: s.resolved),
    ("ditindaklanjuti", lambda s: s.followed_up),
    ("dipublikasikan", lambda s: s.published),
    ("terlambat", lambda s: s.overdue),
    ("median_respons_hari_kerja", lambda s: s.median_response_wd),
    ("median_selesai_hari_kerja", lambda s: s.median_resolution_wd),
)

OVERDUE_COLUMNS: tuple[tuple[str, Callable[[OverdueCase], object]], ...] = (
    ("nomor_lacak", lambda o: o.tracking_number),
    ("instansi", lambda o: o.agency),
    ("pic", lambda o: o.pic),
    ("hari_kerja_tanpa_progres", lambda o: o.idle_working_days),
    ("progres_terakhir_utc", lambda o: o.last_progress_at.isoformat()),
)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and text != "-" else text


def report_csv(report: Report, kind: Kind) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if kind == "overdue":
        writer.writerow([name for name, _ in OVERDUE_COLUMNS])
        for case in report.overdue:
            writer.writerow([_cell(get(case)) for _, get in OVERDUE_COLUMNS])
        return out.getvalue()
    groups = report.agencies if kind == "agencies" else report.pics
    ranks = {entry.stats.key: entry.rank for entry in report.ranking}
    header = [name for name, _ in GROUP_COLUMNS]
    writer.writerow([*header, "peringkat"] if kind == "pics" else header)
    for stats in groups:
        row = [_cell(get(stats)) for _, get in GROUP_COLUMNS]
        writer.writerow([*row, ranks.get(stats.key, "")] if kind == "pics" else row)
    return out.getvalue()
