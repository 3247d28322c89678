"""The app factory as uvicorn calls it (``--factory``, no arguments: settings from the
environment), and the one line a person gets when ``lapor db upgrade`` was not run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from publisher.app.factory import create_app
from publisher.cli.main import app as cli
from publisher.core.crypto import new_key
from publisher.core.settings import get_settings
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.web_support import free_port, make_user

ROOT = Path(__file__).resolve().parents[1]


def environment(tmp_path: Path, database: Path) -> dict[str, str]:
    return {
        "LAPOR_DATABASE_URL": f"sqlite:///{database}",
        "LAPOR_SECRET_KEY": new_key(),
        "LAPOR_MEDIA_DIR": str(tmp_path / "media"),
        "LAPOR_PRIVATE_MEDIA_DIR": str(tmp_path / "private-media"),
    }


def get(url: str, within_s: float = 60) -> httpx.Response:
    """GET once the server listens: polled with a doubling delay (workers start at their pace)."""
    deadline, delay = time.monotonic() + within_s, 0.05
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def test_uvicorn_serves_the_app_with_factory_and_settings_from_the_environment(
    tmp_path: Path,
) -> None:
    ctx = make_context(f"sqlite:///{tmp_path / 'app.db'}", tmp_path)
    make_user(ctx, "kepala", "admin")
    ctx.close()
    port = free_port()
    env = {**os.environ, **environment(tmp_path, tmp_path / "app.db"), "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "--factory", "publisher.app.factory:create_app"),
            *("--host", "127.0.0.1", "--port", str(port), "--workers", "2"),
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
        login = get(f"http://127.0.0.1:{port}/login")
        assert login.status_code == 200 and "Masuk" in login.text
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert b"Traceback" not in stderr, stderr.decode()


def test_a_database_without_migrations_answers_with_one_line_on_the_web_and_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name, value in environment(tmp_path, tmp_path / "empty.db").items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        app = create_app()
        ctx = app.state.ctx
        assert isinstance(ctx, AppContext)
        with TestClient(app) as web:
            page = web.get("/publik")
            web.cookies.set("lapor_session", "an-old-cookie")  # the session look-up needs a table
            api = web.get("/api/v1/me")
        assert page.status_code == 503 and "lapor db upgrade" in page.text
        assert "no such table" not in page.text
        assert api.status_code == 503 and "lapor db upgrade" in api.json()["detail"]
        assert "the database is not migrated: run `lapor db upgrade`" in caplog.messages
        result = CliRunner().invoke(cli, ["stats"])
        assert result.exit_code == 2
        assert result.output.strip().endswith("run `lapor db upgrade`")
        assert "Traceback" not in result.output and "no such table" not in result.output
    finally:
        get_settings.cache_clear()
