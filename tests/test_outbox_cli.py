"""The publishing commands run as a user would: pace limits, a dry account test, resume after
a pause, a post's status per account, takedown, and a worker that stops on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import select

from publisher.db.models import Delivery, SocialAccount
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.flow import add_account
from tests.publishing_env import approved_posts
from tests.test_cli import LAPOR, lapor


def _env(ctx: AppContext) -> dict[str, str]:
    return {
        "LAPOR_DATABASE_URL": ctx.settings.database_url,
        "LAPOR_SECRET_KEY": ctx.settings.secret_key,
        "LAPOR_MEDIA_DIR": str(ctx.settings.media_dir),
        "LAPOR_FOLDER_PLATFORM_DIR": str(ctx.settings.folder_platform_dir),
    }


def test_pace_test_resume_status_and_takedown_from_the_command_line(tmp_path: Path) -> None:
    ctx = make_context(f"sqlite:///{tmp_path / 'cli.db'}", tmp_path)
    try:
        account = add_account(ctx, "folder", "dpupr")
        approved_posts(ctx, 1, photos=0)
        env = _env(ctx)
        limits = lapor(
            "accounts",
            "limits",
            str(account),
            "--per-hour",
            "5",
            "--window",
            "07:00-21:00",
            env=env,
        )
        assert limits.returncode == 0, limits.stderr
        assert '"window": "07:00-21:00"' in limits.stdout
        from typer.testing import CliRunner

        from publisher.cli.main import app

        # Refused before any setting is read: in-process is enough.
        assert CliRunner().invoke(app, ["accounts", "limits", "1", "--window", "7-21"]).exit_code
        tested = lapor("accounts", "test", str(account), env=env)
        assert tested.returncode == 0 and "ok: folder" in tested.stdout
        with ctx.sessions() as session, session.begin():
            row = session.get(SocialAccount, account)
            assert row is not None
            row.status, row.status_reason = "needs_reconnect", "token"
            row.window_start = row.window_end = ""
        resumed = lapor("accounts", "resume", str(account), "--actor", "admin", env=env)
        assert resumed.returncode == 0 and "resumed" in resumed.stdout
        assert lapor("jobs", "run", "publish", env=env).returncode == 0
        with ctx.sessions() as session:
            delivery = session.scalar(select(Delivery))
            assert delivery is not None and delivery.state == "published"
        status = lapor("post", "status", str(delivery.post_id), env=env)
        assert "published" in status.stdout and "folder:dpupr" in status.stdout
        down = lapor(
            "post",
            "takedown",
            str(delivery.post_id),
            "--reason",
            "kasus dibuka lagi",
            "--actor",
            "admin",
            env=env,
        )
        assert down.returncode == 0 and "taken_down" in down.stdout
    finally:
        ctx.close()


def test_the_worker_finishes_and_exits_on_sigterm(tmp_path: Path) -> None:
    import os

    ctx = make_context(f"sqlite:///{tmp_path / 'w.db'}", tmp_path)
    try:
        add_account(ctx, "folder", "dpupr")
        approved_posts(ctx, 2, photos=0)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
        env.update(_env(ctx), PYTHONPATH=str(Path(__file__).resolve().parents[1]))
        proc = subprocess.Popen(
            [*LAPOR, "worker", "--idle", "0.1"], env=env, stdout=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with ctx.sessions() as session:
                states = set(session.scalars(select(Delivery.state)))
            if states == {"published"}:
                break
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0
        assert states == {"published"} and "stopped after 2 deliveries" in out
    finally:
        ctx.close()
