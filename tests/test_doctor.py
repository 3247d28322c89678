"""`lapor doctor` as an operator runs it: green on a working install, and when the database is
gone it names the problem and the fix."""

from __future__ import annotations

from pathlib import Path

from publisher.db import migrate
from publisher.ops.doctor import demo_settings, healthy, run_checks
from publisher.reference import seed
from publisher.runtime.context import AppContext
from tests.flow import add_account
from tests.test_cli import lapor


def make_demo_like(root: Path) -> None:
    """What `make demo` leaves behind, minus the publishing run: key file, migrated db."""
    settings = demo_settings(root)
    from publisher.core.crypto import new_key

    (root).mkdir(parents=True, exist_ok=True)
    (root / "secret.key").write_text(new_key() + "\n")
    settings = demo_settings(root)
    ctx = AppContext.from_settings(settings)
    try:
        migrate.upgrade(ctx.engine)
        with ctx.sessions() as session, session.begin():
            seed(session)
        add_account(ctx, "folder", "dpupr")
        # The demo's Telegram accounts point at a fake on loopback that is gone afterwards.
        add_account(
            ctx,
            "telegram",
            "@dpupr_tegal",
            {"bot_token": "100:demo", "chat_id": "@dpupr_tegal", "api_base": "http://127.0.0.1:9"},
        )
    finally:
        ctx.close()


def test_the_demo_install_is_all_green(tmp_path: Path) -> None:
    make_demo_like(tmp_path / "demo")
    results = run_checks(lambda: demo_settings(tmp_path / "demo"))
    assert healthy(results), [r for r in results if r.status not in ("ok", "info")]
    names = [r.name for r in results]
    for expected in (
        "settings",
        "database",
        "migrations",
        "media store",
        "conflict model",
        "fonts",
        "platform accounts",
        "holiday calendar",
        "scheduler",
    ):
        assert expected in names


def test_the_holiday_calendar_is_checked_for_this_year_and_next(tmp_path: Path) -> None:
    from datetime import date

    from publisher.ops.doctor import Probe, check_holidays

    probe = Probe(settings=demo_settings(tmp_path))
    assert check_holidays(probe, today=date(2026, 5, 4)).status == "ok"
    late = check_holidays(probe, today=date(2026, 11, 28))
    assert (late.status, late.detail) == ("info", "covers 2025, 2026; 2027 not yet")
    missing = check_holidays(probe, today=date(2027, 1, 4))
    assert missing.status == "warn" and "not 2027" in missing.detail
    assert "LAPOR_HOLIDAY_FILES" in missing.fix
    extra = tmp_path / "libur-2027.json"
    extra.write_text('{"days": [{"date": "2027-01-01", "kind": "libur_nasional", "name": "x"}]}')
    probe.settings = demo_settings(tmp_path).model_copy(update={"holiday_files": [extra]})
    assert check_holidays(probe, today=date(2027, 1, 4)).status == "ok"


def test_a_removed_database_is_named_with_its_fix(tmp_path: Path) -> None:
    make_demo_like(tmp_path / "demo")
    (tmp_path / "demo" / "lapor.db").unlink()
    results = run_checks(lambda: demo_settings(tmp_path / "demo"))
    assert not healthy(results)
    database = next(r for r in results if r.name == "database")
    assert database.status == "fail"
    assert "lapor.db does not exist" in database.detail
    assert "lapor db upgrade" in database.fix and "make demo" in database.fix
    assert not (tmp_path / "demo" / "lapor.db").exists()  # the doctor did not create it


def test_the_command_exits_non_zero_and_prints_the_fix(tmp_path: Path) -> None:
    make_demo_like(tmp_path / "var" / "demo")
    ok = lapor("doctor", "--demo", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "all green" in ok.stdout
    (tmp_path / "var" / "demo" / "lapor.db").unlink()
    broken = lapor("doctor", "--demo", cwd=tmp_path)
    assert broken.returncode == 1
    assert "does not exist" in broken.stdout and "lapor db upgrade" in broken.stdout


def test_a_missing_secret_key_and_an_unmigrated_database_are_named(tmp_path: Path) -> None:
    env = {"LAPOR_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    result = lapor("doctor", "--json", env=env, cwd=tmp_path)
    assert result.returncode == 1 and "LAPOR_SECRET_KEY is not set" in result.stdout
    from publisher.core.crypto import new_key

    (tmp_path / "x.db").touch()
    env["LAPOR_SECRET_KEY"] = new_key()
    result = lapor("doctor", "--json", env=env, cwd=tmp_path)
    assert "lapor db upgrade" in result.stdout
