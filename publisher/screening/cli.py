"""``lapor classifier train|evaluate|retrain`` and ``lapor screen``: the conflict classifier's
commands, delegating to ``classifiers.cli`` (one implementation) with the configured model.
``app`` is the ``classifier`` group; ``commands`` holds the top-level ``screen``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from publisher.core.settings import load_settings_or_exit

app: typer.Typer = typer.Typer(help="The conflict-prone classifier.", no_args_is_help=True)
commands: typer.Typer = typer.Typer()


def _run(argv: list[str]) -> None:
    from classifiers.cli import main as classifiers_main

    code = classifiers_main(argv)
    if code:
        raise typer.Exit(code)


def _model_args(model_dir: Path | None) -> list[str]:
    from publisher.screening.paths import active_model_path

    chosen = model_dir or active_model_path(load_settings_or_exit().model_dir)
    return ["--model-dir", str(chosen)] if chosen else []


@app.command()
def train(
    model_dir: Annotated[
        Path | None, typer.Option(help="where to save (default: LAPOR_MODEL_DIR)")
    ] = None,
    corpus: Annotated[Path | None, typer.Option(help="a corpus JSONL (default: ours)")] = None,
) -> None:
    """Compare the candidate models by cross-validation, train the best, save it atomically."""
    target = model_dir or load_settings_or_exit().model_dir
    target.mkdir(parents=True, exist_ok=True)
    _run(["train", "--model-dir", str(target), *(["--corpus", str(corpus)] if corpus else [])])


@app.command()
def evaluate(
    model_dir: Annotated[Path | None, typer.Option(help="default: the model in use")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of tables")] = False,
    external: Annotated[
        bool, typer.Option(help="also score the HS_Religion/HS_Race tweets in ../shared")
    ] = False,
) -> None:
    """Precision, recall, ROC AUC, confusion matrix and per-topic errors on the held-out split."""
    argv = ["evaluate", *_model_args(model_dir)]
    _run(argv + (["--json"] if as_json else []) + (["--external"] if external else []))


@app.command()
def retrain() -> None:
    """Train on the corpus plus reviewers' decisions; promote only if not worse."""
    from publisher.core.console import console
    from publisher.ops.runs import run_recorded
    from publisher.runtime.console import context
    from publisher.screening.jobs import retrain as retrain_job

    with context() as ctx:
        counts = run_recorded(ctx, "retrain", retrain_job)
    console.print_json(json.dumps(counts, default=str))


@commands.command()
def screen(
    input: Annotated[
        Path, typer.Option("--input", help='JSONL: {"id", "complaint", "follow_up"?}')
    ],
    output: Annotated[
        Path, typer.Option("--output", help="JSONL: id, score, level, decision, reasons")
    ],
    model_dir: Annotated[Path | None, typer.Option(help="default: the model in use")] = None,
) -> None:
    """Score cases for conflict: level block/review/pass; decision "conflict" unless pass."""
    from classifiers import ModelError
    from classifiers.errors import ScreenInputError

    try:
        _run(["screen", "--input", str(input), "--output", str(output), *_model_args(model_dir)])
    except (ModelError, ScreenInputError) as exc:
        from publisher.core.console import fail  # Rich: only when there is an error to show

        raise fail(str(exc), 3 if isinstance(exc, ModelError) else 2) from None
