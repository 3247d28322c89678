"""Interim keyword screener with the final model's interface (replaced by the trained model)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from classifiers.errors import ModelCorrupt, ModelNotFound

Decision = Literal["block", "review", "pass"]


@dataclass(frozen=True)
class Score:
    probability: float
    decision: Decision
    reasons: list[str]


def default_model_path() -> Path:
    return Path(__file__).resolve().parent / "artifacts" / "keywords.json"


class ConflictModel:
    def __init__(self, version: str, weights: dict[str, float], block: float, review: float):
        self.version = version
        self.block_threshold = block
        self.review_threshold = review
        self._weights = weights
        self._pattern = re.compile(
            r"\b(" + "|".join(re.escape(w) for w in sorted(weights, key=len, reverse=True)) + r")"
        )

    def score(self, texts: Sequence[str]) -> list[Score]:
        out = []
        for text in texts:
            hits = sorted({m.group(1) for m in self._pattern.finditer(text.lower())})
            p = min(0.99, 0.05 + sum(self._weights[h] for h in hits))
            decision: Decision = (
                "block"
                if p >= self.block_threshold
                else "review"
                if p >= self.review_threshold
                else "pass"
            )
            out.append(Score(p, decision, [f'kata "{h}" menaikkan skor' for h in hits]))
        return out


def load_model(path: Path | None = None) -> ConflictModel:
    path = path or default_model_path()
    if not path.exists():
        raise ModelNotFound(f"no model at {path}")
    try:
        raw = json.loads(path.read_text("utf-8"))
        return ConflictModel(raw["version"], raw["weights"], raw["block"], raw["review"])
    except (ValueError, KeyError) as exc:
        raise ModelCorrupt(f"unreadable model {path}: {type(exc).__name__}") from None
