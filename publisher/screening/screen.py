"""Screen cases before anything is drafted: conflict score with reasons, privacy mode.

With no usable model the decision is ``manual``: the case is never failed open, a person must
screen it before its post can be approved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers import ConflictModel, ModelError, load_model
from publisher.db.models import Case, FollowUp, Screening
from publisher.screening.paths import active_model_path as active_model_path

log = logging.getLogger(__name__)

MANUAL_REASON = "Model penyaring tidak tersedia: kasus ini perlu disaring manual oleh reviewer."
RAHASIA_REASON = "Laporan bersifat rahasia: tidak boleh dipublikasikan."


def model_loader(model_dir: Path) -> Callable[[], ConflictModel]:
    return lambda: load_model(active_model_path(model_dir))


@dataclass
class ScreeningCounts:
    screened: int = 0
    passed: int = 0
    review: int = 0
    blocked: int = 0
    manual: int = 0


def screening_text(case: Case, follow_up: FollowUp | None) -> str:
    return case.complaint_text + ("\n" + follow_up.action_text if follow_up else "")


def screen_pending(
    session: Session, load_model: Callable[[], ConflictModel], *, limit: int = 1000
) -> ScreeningCounts:
    """Screen resolved cases that have a follow-up and no screening yet."""
    counts = ScreeningCounts()
    screened = select(Screening.case_id)
    cases = session.scalars(
        select(Case)
        .where(
            Case.status.in_(("resolved", "closed")),
            Case.id.in_(select(FollowUp.case_id)),
            Case.id.not_in(screened),
        )
        .order_by(Case.id)
        .limit(limit)
    ).all()
    if not cases:
        return counts
    model: ConflictModel | None
    try:
        model = load_model()
    except ModelError as exc:
        log.error("conflict model unusable, cases go to manual screening: %s", exc)
        model = None
    texts = [screening_text(c, c.current_follow_up) for c in cases]
    scores = model.score(texts) if model else [None] * len(cases)
    for case, score in zip(cases, scores, strict=True):
        if score is None:
            row = Screening(
                case_id=case.id,
                model_version="unavailable",
                score=None,
                decision="manual",
                reasons=[MANUAL_REASON],
            )
        else:
            assert model is not None
            reasons = list(score.reasons)
            decision = score.decision
            if case.privacy_mode == "rahasia":
                decision, reasons = "block", [RAHASIA_REASON, *reasons]
            row = Screening(
                case_id=case.id,
                model_version=model.version,
                score=score.probability,
                decision=decision,
                reasons=reasons,
            )
        session.add(row)
        counts.screened += 1
        attr = {"pass": "passed", "review": "review", "block": "blocked", "manual": "manual"}
        setattr(counts, attr[row.decision], getattr(counts, attr[row.decision]) + 1)
    session.flush()
    return counts
