"""Redaction tags, the logging filter and the ``redact`` JSONL command."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.privacy import (
    REDACTION_TAGS,
    Finding,
    KnownIdentities,
    PersonalDataDetector,
    PersonalDataFilter,
    RedactionError,
    cli_redact,
    redact,
)

REPO = Path(__file__).resolve().parents[1]
TEXT = "sudah dicek ke rumah Bu Sri RT 03/RW 05, hp 0812-3456-7890"


def test_redaction_replaces_each_finding_with_its_readable_tag() -> None:
    findings = PersonalDataDetector().detect(TEXT)
    result = redact(TEXT, findings)
    assert result.text == (
        "sudah dicek ke rumah Bu [nama disamarkan] [RT/RW disamarkan], "
        "hp [nomor telepon disamarkan]"
    )
    assert [f.text for f in result.removed] == ["Sri", "RT 03/RW 05", "0812-3456-7890"]


def test_every_kind_has_a_bahasa_tag() -> None:
    kinds = ["nik", "kk", "phone", "email", "address", "rt_rw", "house_number", "plate"]
    kinds += ["bank_account", "name"]
    assert set(REDACTION_TAGS) == set(kinds)
    tags = REDACTION_TAGS.values()
    assert all(tag.startswith("[") and tag.endswith("disamarkan]") for tag in tags)


def test_redaction_refuses_overlapping_findings() -> None:
    with pytest.raises(RedactionError):
        redact("abcdef", [Finding("name", 0, 3, "abc"), Finding("name", 2, 4, "cd")])


def test_redaction_refuses_findings_from_another_text_without_echoing_it() -> None:
    with pytest.raises(RedactionError) as err:
        redact("Bu Ani", [Finding("name", 3, 6, "Sri")])
    assert "Sri" not in str(err.value) and "Ani" not in str(err.value)


def _logger_with_filter(stream: list[str], known: KnownIdentities | None = None) -> logging.Logger:
    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            stream.append(self.format(record))

    logger = logging.getLogger(f"test.privacy.{id(stream)}")
    logger.propagate = False
    handler = ListHandler()
    handler.addFilter(PersonalDataFilter(known=lambda: known))
    logger.addHandler(handler)
    return logger


def test_the_logging_filter_scrubs_message_arguments() -> None:
    lines: list[str] = []
    logger = _logger_with_filter(lines)
    logger.warning("callback failed for %s (%s)", "Bu Sri", "0812-3456-7890")
    assert lines == ["callback failed for Bu [nama disamarkan] ([nomor telepon disamarkan])"]


def test_the_logging_filter_scrubs_exception_text_and_known_names() -> None:
    lines: list[str] = []
    logger = _logger_with_filter(lines, KnownIdentities(names=("Wahyuningsih",)))
    try:
        raise ValueError("bad reporter wahyuningsih, nik 3328014108900002")
    except ValueError:
        logger.exception("import failed")
    assert "wahyuningsih" not in lines[0].lower() and "3328014108900002" not in lines[0]
    assert "ValueError: bad reporter [nama disamarkan], nik [NIK disamarkan]" in lines[0]


def test_the_logging_filter_survives_a_broken_format_string() -> None:
    lines: list[str] = []
    logger = _logger_with_filter(lines)
    logger.error("broken %d", "Bu Sri")
    assert lines == ["broken %d"]


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_cli_redact_writes_redacted_text_with_offsets_into_the_input(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    text = "pelapor wahyuni, hp 0812-3456-7890, kerja bakti di Desa Kalisapu"
    _write_jsonl(src, [{"id": 7, "text": text, "known": {"names": ["Sri Wahyuni"]}}])
    assert cli_redact(src, dst) == 0
    (row,) = [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]
    assert row["id"] == 7
    assert row["text"] == (
        "pelapor [nama disamarkan], hp [nomor telepon disamarkan], kerja bakti di Desa Kalisapu"
    )
    spans = [(f["kind"], text[f["start"] : f["end"]]) for f in row["findings"]]
    assert spans == [("name", "wahyuni"), ("phone", "0812-3456-7890")]


def test_cli_redact_rejects_a_bad_line_without_echoing_it_or_writing_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"id": 1, "text": "ok"}\n{"id": 2, "text": "Bu Sri 0812-3456-7890"\n')
    assert cli_redact(src, dst) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "0812" not in err and "Sri" not in err
    assert not dst.exists() and list(tmp_path.iterdir()) == [src]


def test_the_module_entry_point_runs_redact(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_jsonl(src, [{"id": "a", "text": "email budi@example.com"}])
    proc = subprocess.run(
        [sys.executable, "-m", "publisher.privacy", "redact", "--input", str(src), "--output",
         str(dst)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(dst.read_text(encoding="utf-8"))["text"] == "email [email disamarkan]"
