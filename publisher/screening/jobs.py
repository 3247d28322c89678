"""Screening jobs: ``screen`` (score every case not yet screened) and the weekly ``retrain``:
reviewers' decisions (``review_examples``) join the corpus; the new model is promoted into
``LAPOR_MODEL_DIR`` only if it is not worse on the fixed evaluation split, and nothing is trained
when nothing changed."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from classifiers import default_model_path
from classifiers.corpus import LabelledExample
from classifiers.training import retrain as retrain_model
from publisher.db.models import Case, ReviewExample
from publisher.privacy.guard import case_identities, scrub
from publisher.runtime.context import AppContext
from publisher.screening.screen import model_loader, screen_pending


def screen(ctx: AppContext) -> dict[str, Any]:
    with ctx.sessions() as session, session.begin():
        loader = model_loader(ctx.settings.model_dir)
        return dataclasses.asdict(screen_pending(session, loader))


def reviewer_examples(ctx: AppContext) -> list[LabelledExample]:
    """Every stored decision as a labelled example, its texts scrubbed of personal data so no
    name can become a word the model learns (and later shows as a reason)."""
    examples = []
    with ctx.readonly_sessions() as session:
        rows = session.execute(
            select(ReviewExample, Case)
            .join(Case, Case.id == ReviewExample.case_id)
            .order_by(ReviewExample.id)
        ).all()
        for example, case in rows:
            known = case_identities(case, ctx.vault)
            follow_up = case.follow_ups[-1].action_text if case.follow_ups else ""
            examples.append(
                LabelledExample(
                    id=f"review-{example.id}",
                    complaint=scrub(case.complaint_text, known),
                    follow_up=scrub(follow_up, known),
                    label="conflict" if example.label == "conflict" else "general",
                    topic=f"reviewer:{example.origin}",
                    reason=example.origin,
                    source="reviewer",
                )
            )
    return examples


def seed_model_dir(model_dir: Path) -> None:
    """Start the promoted-model folder from the committed artefact, so the first retrain is
    compared against the model actually in use."""
    committed = default_model_path().parent
    model_dir.mkdir(parents=True, exist_ok=True)
    for item in committed.iterdir():
        if item.is_file():
            shutil.copy2(item, model_dir / item.name)


def retrain(ctx: AppContext) -> dict[str, Any]:
    examples = reviewer_examples(ctx)
    model_dir = ctx.settings.model_dir
    if not (model_dir / "model.json").exists():
        if not examples:
            return {"status": "skipped", "reason": "no reviewer decisions yet", "examples": 0}
        seed_model_dir(model_dir)
    result = retrain_model(examples, model_dir=model_dir)
    return {
        "status": result.status,
        "reason": result.reason,
        "examples": len(examples),
        "old_version": result.old_version,
        "new_version": result.new_version,
    }
