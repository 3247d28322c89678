"""Where bundled files live, in a checkout and in an installed wheel alike."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # publisher/, not publisher/core/


def templates_dir() -> Path:
    """``templates/`` at the repository root in a checkout; ``publisher/_templates`` in a wheel."""
    checkout = PACKAGE_DIR.parent / "templates"
    if (checkout / "posts").is_dir():
        return checkout
    installed = PACKAGE_DIR / "_templates"
    if (installed / "posts").is_dir():
        return installed
    raise FileNotFoundError("templates/ not found next to the package nor inside it")
