"""``python -m classifiers screen`` / ``classifiers.cli_screen`` and the evaluation report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifiers import ModelNotFound, cli_screen, load_model
from classifiers.cli import main
from classifiers.errors import ScreenInputError
from classifiers.evaluation import evaluate, external_check, render_report

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _write(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_screen_writes_one_scored_line_per_case(tmp_path: Path) -> None:
    source = _write(
        tmp_path / "in.jsonl",
        [
            {
                "id": "a1",
                "complaint": "Kades menyelewengkan dana desa untuk beli mobil pribadi",
                "follow_up": "Inspektorat memeriksa",
            },
            {"id": 2, "complaint": "Lampu jalan di depan masjid mati sudah seminggu"},
        ],
    )
    target = tmp_path / "out.jsonl"
    assert cli_screen(source, target) == 2
    rows = [json.loads(line) for line in target.read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a1", "2"]
    assert rows[0]["decision"] == "conflict" and rows[1]["decision"] == "general"
    assert set(rows[0]) == {"id", "score", "level", "decision", "reasons"}
    assert 0.0 <= rows[1]["score"] < rows[0]["score"] <= 1.0
    assert rows[0]["reasons"]


def test_screen_decision_is_conflict_whenever_the_level_is_not_pass(tmp_path: Path) -> None:
    model = load_model()
    complaints = [
        "Tetangga sering ribut soal parkir di gang kami dan kemarin hampir berkelahi",
        "Saluran irigasi tersier jebol dan sawah kekurangan air sejak seminggu",
        "Ada pungutan 50 ribu saat mengambil rapor di sekolah negeri anak saya",
    ]
    source = _write(
        tmp_path / "in.jsonl", [{"id": str(i), "complaint": c} for i, c in enumerate(complaints)]
    )
    cli_screen(source, tmp_path / "out.jsonl")
    for line in (tmp_path / "out.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        level = model.decide(row["score"])
        assert row["level"] == level
        assert row["decision"] == ("general" if level == "pass" else "conflict")


def test_a_bad_line_is_reported_by_number_without_its_content(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "1", "complaint": "ok ok"}\n{"id": "2", "complaint": 5}\n', "utf-8")
    with pytest.raises(ScreenInputError, match="line 2") as caught:
        cli_screen(source, tmp_path / "out.jsonl")
    assert "ok ok" not in str(caught.value)
    assert not (tmp_path / "out.jsonl").exists()


def test_without_a_usable_model_nothing_is_screened(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.jsonl", [{"id": "1", "complaint": "lampu mati"}])
    with pytest.raises(ModelNotFound):
        cli_screen(source, tmp_path / "out.jsonl", model_path=tmp_path / "nothing")
    assert not (tmp_path / "out.jsonl").exists()
    code = main(
        [
            "screen",
            "--input",
            str(source),
            "--output",
            str(tmp_path / "o.jsonl"),
            "--model-dir",
            str(tmp_path / "nothing"),
        ]
    )
    assert code == 3


def test_the_evaluation_report_has_metrics_table_and_json() -> None:
    report = evaluate(load_model())
    data = json.loads(report.to_json())
    for key in (
        "roc_auc",
        "precision",
        "recall",
        "confusion_matrix",
        "per_topic",
        "general_not_blocked",
        "general_pass",
    ):
        assert key in data
    assert data["true_positives"] + data["false_negatives"] == data["conflict_cases"]
    assert report.recall_at_review >= 0.95 and report.roc_auc >= 0.97
    assert report.general_not_blocked >= 0.80
    assert len(render_report(report)) == 2


def test_evaluate_prints_json_from_the_module_entry_point(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["evaluate", "--json"]) == 0
    assert "roc_auc" in json.loads(capsys.readouterr().out)


def test_the_external_hate_speech_check_scores_religion_and_race_tweets() -> None:
    dataset = SHARED / "data" / "id-multilabel-hatespeech"
    if not (dataset / "re_dataset.csv").exists():
        pytest.skip(f"external dataset not present at {dataset}")
    check = external_check(load_model(), dataset)
    assert check.tweets > 1000
    assert 0.0 <= check.share_block <= check.share_review <= 1.0


def test_the_lapor_screen_command_module_loads_no_database_or_runtime() -> None:
    """Issue #17: ``lapor screen`` loads the model, not the whole app (bench/screen.py)."""
    import subprocess
    import sys

    probe = (
        "import sys, publisher.screening.cli; "
        "print(sorted(m for m in ('sqlalchemy', 'publisher.runtime.console', "
        "'publisher.db.models', 'publisher.screening.screen', 'sklearn') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
