"""Which model directory is in use: light on purpose (no database, no app), so that
``lapor screen`` loads only the model (issue #17)."""

from __future__ import annotations

from pathlib import Path


def active_model_path(model_dir: Path) -> Path | None:
    """The promoted model in ``model_dir`` if there is one, else None (the committed model)."""
    return model_dir if (model_dir / "model.json").exists() else None
