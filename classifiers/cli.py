"""Command-line entry points: ``python -m classifiers train|evaluate|screen``.

The lead mounts the same functions under ``lapor classifier ...`` and ``lapor screen``.
``screen`` reads JSON lines ``{"id", "complaint", "follow_up"?}`` and writes
``{"id", "score", "level": "block"|"review"|"pass", "decision": "conflict"|"general",
"reasons": [...]}``; ``decision`` is ``conflict`` whenever the level is not ``pass`` (the
case is flagged for a reviewer). ``generate`` rewrites the generated real-register corpus and
the frozen check set (``classifiers.generator``). Messages are English (CLI); reasons are
Bahasa Indonesia.

Exit codes: 0 ok; 2 bad input (``ScreenInputError``, ``CorpusError``); 3 no usable model
(``ModelError``: every case then needs manual screening, nothing is written as screened).
Error messages name line numbers, never case text (it may hold personal data).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from classifiers.corpus import screening_text
from classifiers.errors import CorpusError, ModelError, ScreenInputError
from classifiers.model import ConflictModel, load_model

BATCH = 2048


def _read_cases(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError:
                raise ScreenInputError(f"line {number}: not valid JSON") from None
            if not isinstance(raw, dict):
                raise ScreenInputError(f"line {number}: expected a JSON object")
            case_id, complaint = raw.get("id"), raw.get("complaint")
            follow_up = raw.get("follow_up")
            if not isinstance(case_id, str | int) or isinstance(case_id, bool):
                raise ScreenInputError(f"line {number}: 'id' must be a string or integer")
            if not isinstance(complaint, str):
                raise ScreenInputError(f"line {number}: 'complaint' must be a string")
            if follow_up is not None and not isinstance(follow_up, str):
                raise ScreenInputError(f"line {number}: 'follow_up' must be a string")
            yield str(case_id), screening_text(complaint, follow_up)


def screen_lines(model: ConflictModel, cases: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Score (id, text) pairs into output records."""
    scores = model.score([text for _, text in cases])
    return [
        {
            "id": case_id,
            "score": round(score.probability, 6),
            "level": score.decision,
            "decision": "general" if score.decision == "pass" else "conflict",
            "reasons": score.reasons,
        }
        for (case_id, _), score in zip(cases, scores, strict=True)
    ]


def cli_screen(input_path: Path, output_path: Path, model_path: Path | None = None) -> int:
    """Screen a JSONL file into another; returns the number of cases written.

    The whole input is validated before anything is written; the output is written to a
    temporary file and renamed, so a failure never leaves a partial result behind.
    Raises ``ModelError`` (no usable model) or ``ScreenInputError``.
    """
    model = load_model(model_path)
    cases = list(_read_cases(Path(input_path)))
    output_path = Path(output_path)
    temp = output_path.with_name(f".{output_path.name}.tmp")
    count = 0
    with temp.open("w", encoding="utf-8") as out:
        for start in range(0, len(cases), BATCH):
            for record in screen_lines(model, cases[start : start + BATCH]):
                out.write(json.dumps(record, ensure_ascii=False))
                out.write("\n")
                count += 1
    temp.replace(output_path)
    return count


def _train(args: argparse.Namespace) -> int:
    from classifiers.training import train

    result = train(corpus_path=args.corpus, output_dir=args.model_dir, candidate=args.candidate)
    for row in result.comparison:
        print(
            f"{row.name:18s} roc_auc={row.roc_auc:.4f} "
            f"general_pass@review_recall={row.general_pass_at_review_recall:.4f} "
            f"({row.seconds:.1f}s)"
        )
    print(f"saved {result.model_path} version {result.fitted.metadata['version']}")
    for part, report in result.fitted.metadata["metrics"].items():
        print(
            f"{part}: roc_auc={report['roc_auc']:.4f} "
            f"recall@review={report['recall_at_review']:.4f} "
            f"general_pass={report['general_pass']:.4f} recall@block={report['recall']:.4f} "
            f"general_not_blocked={report['general_not_blocked']:.4f}"
        )
    return 0


def _generate(args: argparse.Namespace) -> int:
    from classifiers.generator import generate_files

    for path in generate_files(args.data_dir):
        print(f"wrote {path}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from classifiers.corpus import load_corpus, split3
    from classifiers.evaluation import evaluate, external_check, render_report

    model = load_model(args.model_dir)
    _, _, test = split3(load_corpus(args.corpus))
    report = evaluate(model, test)
    if args.json:
        payload = report.to_dict()
        if args.external:
            payload["external_check"] = external_check(model).to_dict()
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    from rich.console import Console

    console = Console()
    for renderable in render_report(report):
        console.print(renderable)
    if args.external:
        check = external_check(model)
        console.print(
            f"External check ({check.dataset}): {check.tweets} tweets, "
            f"{check.share_block:.1%} blocked, {check.share_review:.1%} review or higher"
        )
    return 0


def _screen(args: argparse.Namespace) -> int:
    count = cli_screen(args.input, args.output, args.model_dir)
    print(f"screened {count} cases", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m classifiers")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("generate").add_argument(
        "--data-dir", type=Path, default=None, help="default: classifiers/data"
    )
    for name in ("train", "evaluate", "screen"):
        command = sub.add_parser(name)
        command.add_argument("--model-dir", type=Path, default=None)
        if name in {"train", "evaluate"}:
            command.add_argument("--corpus", type=Path, default=None)
    sub.choices["train"].add_argument("--candidate", default=None)
    sub.choices["evaluate"].add_argument("--json", action="store_true")
    sub.choices["evaluate"].add_argument(
        "--external", action="store_true", help="also score the HS_Religion/HS_Race tweets"
    )
    sub.choices["screen"].add_argument("--input", type=Path, required=True)
    sub.choices["screen"].add_argument("--output", type=Path, required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"train": _train, "evaluate": _evaluate, "screen": _screen, "generate": _generate}
    try:
        return handlers[args.command](args)
    except ModelError as exc:
        print(f"error: no usable model ({exc}); cases need manual screening", file=sys.stderr)
        return 3
    except (ScreenInputError, CorpusError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
