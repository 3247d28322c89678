"""The wheel carries the templates, migrations, reference data and model artefact, and the
installed copy finds its templates without a checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_bundles_templates_and_finds_them_when_installed(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for required in (
            "publisher/_templates/posts/telegram/photo.txt.j2",
            "publisher/_templates/web/base.html",
            "publisher/web/static/vendor/htmx-2.0.11.min.js",
            "classifiers/artifacts/model.json",
            "publisher/db/migrations/env.py",
            "publisher/db/migrations/script.py.mako",
            "publisher/reference/tegal.json",
            "jobs/pipeline.py",
            "classifiers/__init__.py",
        ):
            assert required in names, required
        zf.extractall(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "from publisher.core.paths import templates_dir; print(templates_dir())",
        ],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert found == str(tmp_path / "site" / "publisher" / "_templates")
