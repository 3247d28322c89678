"""``lapor import FILE``: CSV and XLSX, column mapping, dry run, per-row errors."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from publisher.cli.main import app
from publisher.db.models import Case, Quarantine
from publisher.runtime.context import AppContext
from tests.factories import person
from tests.flow import add_account
from tests.intake_support import draft, plaintext_everywhere

HEADER = [
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
    "received_at",
    "resolved_at",
    "follow_up_text",
    "media_urls",
    "updated_at",
]


def row(n: int, **overrides: str) -> dict[str, str]:
    who = person(n)
    values = {
        "id": f"XL-{n}",
        "tracking_number": f"LPR-2025-1{n:04d}",
        "agency": "dpupr",
        "category": "jalan",
        "kecamatan": "Slawi",
        "desa": "Procot",
        "complaint": "Jalan berlubang di depan balai desa.",
        "privacy": "normal",
        "status": "resolved",
        "reporter_name": who["name"],
        "reporter_phone": who["phone"],
        "received_at": "2025-05-01 08:00",
        "resolved_at": "2025-05-03 15:30",
        "follow_up_text": "Lubang sudah ditambal.",
        "media_urls": "",
        "updated_at": "",
    }
    values.update(overrides)
    return values


def write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(ctx: AppContext, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    settings = ctx.settings
    monkeypatch.setenv("LAPOR_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LAPOR_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("LAPOR_MEDIA_DIR", str(settings.media_dir))
    from publisher.core.settings import get_settings

    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()


def count(ctx: AppContext, model: type) -> int:
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_dry_run_shows_what_would_change_and_stores_nothing(
    ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sheet = write_csv(tmp_path / "kasus.csv", [row(1), row(2)], delimiter=";")
    result = run(ctx, monkeypatch, "import", str(sheet), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run, nothing stored: 2 rows" in result.output and "new: 2" in result.output
    assert count(ctx, Case) == 0
    result = run(ctx, monkeypatch, "import", str(sheet))
    assert result.exit_code == 0 and count(ctx, Case) == 2
    again = run(ctx, monkeypatch, "import", str(sheet))
    assert "unchanged: 2" in again.output and count(ctx, Case) == 2


def test_every_bad_row_is_reported_by_row_number_and_the_good_rows_are_stored(
    ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        row(1),
        row(2, kecamatan="Atlantis"),
        row(3, received_at="kemarin"),
        row(4, tracking_number=""),
        row(5, status="beres"),
        row(6),
    ]
    result = run(ctx, monkeypatch, "import", str(write_csv(tmp_path / "k.csv", rows)))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    for number, reason in (
        (3, "kecamatan"),
        (4, "history.0.at"),
        (5, "tracking_number"),
        (6, "status"),
    ):
        assert any(line.startswith(f"row {number} ") and reason in line for line in lines), (
            number,
            result.output,
        )
    assert count(ctx, Case) == 2 and count(ctx, Quarantine) == 4


def test_an_xlsx_with_its_own_headers_is_imported_through_a_column_mapping(
    ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "No. Laporan",
            "OPD",
            "Kategori",
            "Kecamatan",
            "Isi Aduan",
            "Status",
            "Tindak Lanjut",
            "Selesai",
        ]
    )
    from datetime import datetime

    sheet.append(
        [
            "LPR-2025-20001",
            "dpupr",
            "jalan",
            "Slawi",
            "Jalan berlubang parah.",
            "resolved",
            "Sudah ditambal.",
            datetime(2025, 5, 3, 15, 30),
        ]
    )
    path = tmp_path / "rekap.xlsx"
    book.save(path)
    mapping = [
        "No. Laporan=tracking_number",
        "OPD=agency",
        "Kategori=category",
        "Kecamatan=kecamatan",
        "Isi Aduan=complaint",
        "Status=status",
        "Tindak Lanjut=follow_up_text",
        "Selesai=resolved_at",
    ]
    args = ["import", str(path), "--source", "rekap"]
    for pair in mapping:
        args += ["--map", pair]
    result = run(ctx, monkeypatch, *args)
    assert result.exit_code == 0, result.output
    with ctx.sessions() as session:
        case = session.scalar(select(Case))
        assert case is not None and (case.source, case.tracking_number) == (
            "rekap",
            "LPR-2025-20001",
        )
        assert case.resolved_at is not None and case.resolved_at.hour == 8  # 15:30 WIB in UTC


def test_an_unknown_mapping_target_and_an_unsupported_file_are_refused(
    ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sheet = write_csv(tmp_path / "k.csv", [row(1)])
    bad_map = run(ctx, monkeypatch, "import", str(sheet), "--map", "Nama=nama_pelapor")
    (tmp_path / "k.pdf").write_bytes(b"%PDF")
    bad_file = run(ctx, monkeypatch, "import", str(tmp_path / "k.pdf"))
    assert bad_map.exit_code == 1 and "unknown field" in bad_map.output
    assert bad_file.exit_code == 1 and "only .csv and .xlsx" in bad_file.output


def test_imported_rahasia_never_reaches_a_post_and_anonim_never_names_the_reporter(
    ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    who = person(9)
    rows = [
        row(1, privacy="rahasia"),
        row(
            2,
            privacy="anonim",
            reporter_name=who["name"],
            reporter_phone=who["phone"],
            complaint=f"Pelapor {who['name']} minta jalan diperbaiki.",
        ),
    ]
    add_account(ctx, "folder", "dpupr-folder")
    run(ctx, monkeypatch, "import", str(write_csv(tmp_path / "k.csv", rows)))
    posts = draft(ctx)
    assert len(posts) == 1
    stored = plaintext_everywhere(ctx)
    assert who["name"] not in stored and who["phone"] not in stored
    assert who["name"] not in posts[0].caption
