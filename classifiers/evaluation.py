"""Evaluation: metrics on the fixed held-out split, per-topic errors, the external check.

``evaluate(model)`` scores the held-out split of the corpus (or given examples) and returns an
``EvaluationReport``: ROC AUC; precision, recall and the confusion matrix at the ``block``
threshold (the screen decision "conflict"); recall and pass share at ``review``; and errors per
topic. ``report.to_json()`` is for machines, ``render_report(report)`` for people (Rich).

``external_check`` scores the tweets labelled HS_Religion or HS_Race in the Indonesian
multi-label hate-speech dataset (CC BY-NC-SA 4.0, Ibrohim & Budi 2019): evaluation only,
never training, never copied into the project.

Errors: ``FileNotFoundError`` when the external dataset is absent.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.corpus import LabelledExample, load_corpus, screening_text, split3
from classifiers.model import ConflictModel


@dataclass
class TopicErrors:
    topic: str
    label: str
    cases: int
    errors: int

    @property
    def error_rate(self) -> float:
        return self.errors / self.cases if self.cases else 0.0


@dataclass
class EvaluationReport:
    model_version: str
    cases: int
    conflict_cases: int
    general_cases: int
    roc_auc: float
    block_threshold: float
    review_threshold: float
    precision: float
    recall: float
    true_positives: int
    false_positives: int
    true_negatives: int
    false_negatives: int
    general_not_blocked: float
    recall_at_review: float
    general_pass: float
    per_topic: list[TopicErrors] = field(default_factory=list)
    missed_conflict_ids: list[str] = field(default_factory=list)
    blocked_general_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        raw = asdict(self)
        raw["confusion_matrix"] = {
            "labels": ["conflict", "general"],
            "rows_are_truth": [
                [self.true_positives, self.false_negatives],
                [self.false_positives, self.true_negatives],
            ],
        }
        for row, topic in zip(raw["per_topic"], self.per_topic, strict=True):
            row["error_rate"] = round(topic.error_rate, 4)
        return raw

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def evaluate(
    model: ConflictModel,
    examples: Sequence[LabelledExample] | None = None,
    with_note: bool = True,
) -> EvaluationReport:
    """Score ``examples`` (default: the corpus' fixed held-out split) and measure.

    ``with_note=False`` scores the complaint alone, as a case arrives without a PIC note.
    """
    from sklearn.metrics import roc_auc_score

    if examples is None:
        _, _, examples = split3(load_corpus())
    y = np.array([e.y for e in examples])
    texts = [e.text if with_note else screening_text(e.complaint, None) for e in examples]
    probabilities = model.probabilities(texts)
    blocked = probabilities >= model.block_threshold
    reviewed = probabilities >= model.review_threshold
    tp = int(np.sum(blocked & (y == 1)))
    fp = int(np.sum(blocked & (y == 0)))
    tn = int(np.sum(~blocked & (y == 0)))
    fn = int(np.sum(~blocked & (y == 1)))
    conflict, general = int(np.sum(y == 1)), int(np.sum(y == 0))
    topics: dict[tuple[str, str], list[int]] = {}
    for example, is_blocked in zip(examples, blocked.tolist(), strict=True):
        counts = topics.setdefault((example.topic, example.label), [0, 0])
        counts[0] += 1
        counts[1] += int(is_blocked != (example.y == 1))
    per_topic = sorted(
        (TopicErrors(topic, label, n, errors) for (topic, label), (n, errors) in topics.items()),
        key=lambda t: (-t.errors, t.label, t.topic),
    )
    both_classes = 0 < conflict < len(examples)
    return EvaluationReport(
        model_version=model.version,
        cases=len(examples),
        conflict_cases=conflict,
        general_cases=general,
        roc_auc=float(roc_auc_score(y, probabilities)) if both_classes else float("nan"),
        block_threshold=model.block_threshold,
        review_threshold=model.review_threshold,
        precision=tp / (tp + fp) if tp + fp else 0.0,
        recall=tp / conflict if conflict else 0.0,
        true_positives=tp,
        false_positives=fp,
        true_negatives=tn,
        false_negatives=fn,
        general_not_blocked=tn / general if general else 0.0,
        recall_at_review=float(np.sum(reviewed & (y == 1)) / conflict) if conflict else 0.0,
        general_pass=float(np.sum(~reviewed & (y == 0)) / general) if general else 0.0,
        per_topic=per_topic,
        missed_conflict_ids=[e.id for e, b in zip(examples, blocked, strict=True) if e.y and not b],
        blocked_general_ids=[e.id for e, b in zip(examples, blocked, strict=True) if b and not e.y],
    )


def render_report(report: EvaluationReport) -> list[Any]:
    """Rich renderables (two tables) for a terminal."""
    from rich.table import Table

    summary = Table(title=f"Model {report.model_version}: held-out evaluation")
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    rows = [
        (
            "cases (conflict / general)",
            f"{report.cases} ({report.conflict_cases} / {report.general_cases})",
        ),
        ("ROC AUC", f"{report.roc_auc:.4f}"),
        ("block threshold", f"{report.block_threshold:.4f}"),
        ("review threshold", f"{report.review_threshold:.4f}"),
        ("precision at block", f"{report.precision:.4f}"),
        ("recall at block", f"{report.recall:.4f}"),
        ("general not blocked", f"{report.general_not_blocked:.4f}"),
        ("recall at review", f"{report.recall_at_review:.4f}"),
        ("general below review (pass)", f"{report.general_pass:.4f}"),
        (
            "confusion [TP FN / FP TN]",
            f"{report.true_positives} {report.false_negatives} / "
            f"{report.false_positives} {report.true_negatives}",
        ),
    ]
    for name, value in rows:
        summary.add_row(name, value)
    topics = Table(title="Errors per topic (at block threshold)")
    for column in ("topic", "label", "cases", "errors", "error rate"):
        topics.add_column(column, justify="left" if column in {"topic", "label"} else "right")
    for topic in report.per_topic:
        topics.add_row(
            topic.topic,
            topic.label,
            str(topic.cases),
            str(topic.errors),
            f"{topic.error_rate:.2%}",
        )
    return [summary, topics]


@dataclass
class ExternalCheck:
    dataset: str
    tweets: int
    flagged_block: int
    flagged_review: int

    @property
    def share_block(self) -> float:
        return self.flagged_block / self.tweets if self.tweets else 0.0

    @property
    def share_review(self) -> float:
        return self.flagged_review / self.tweets if self.tweets else 0.0

    def to_dict(self) -> dict[str, Any]:
        raw = asdict(self)
        raw.update(share_block=self.share_block, share_review=self.share_review)
        return raw


def default_hate_speech_dir() -> Path:
    """../shared/data/id-multilabel-hatespeech relative to the repository root."""
    return (
        Path(__file__).resolve().parents[1].parent
        / "shared"
        / "data"
        / ("id-multilabel-hatespeech")
    )


def external_check(model: ConflictModel, dataset_dir: Path | None = None) -> ExternalCheck:
    """Share of HS_Religion/HS_Race tweets the model flags (block, and review or higher)."""
    path = (dataset_dir or default_hate_speech_dir()) / "re_dataset.csv"
    texts: list[str] = []
    with path.open(encoding="latin-1", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("HS_Religion") == "1" or row.get("HS_Race") == "1":
                # The file writes line breaks as the two characters "\n".
                texts.append(row["Tweet"].replace("\\n", " "))
    probabilities = model.probabilities(texts) if texts else np.zeros(0)
    return ExternalCheck(
        dataset="id-multilabel-hatespeech (HS_Religion or HS_Race)",
        tweets=len(texts),
        flagged_block=int(np.sum(probabilities >= model.block_threshold)),
        flagged_review=int(np.sum(probabilities >= model.review_threshold)),
    )
