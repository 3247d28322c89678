"""The `lapor` command line, run as a user would (a subprocess with its own environment)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

from publisher.cli.main import ENTRIES, app, eager_app
from publisher.core.crypto import new_key

LAPOR_MAIN = "from publisher.cli.main import main; main()"
LAPOR = [sys.executable, "-c", LAPOR_MAIN]  # for tests that start it with Popen


def probe(
    code: str, *argv: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (``argv`` as its arguments) without this process's
    ``LAPOR_`` settings: the import tests read ``sys.modules`` there, where nothing of this
    test process is loaded."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    full_env.update(env or {})
    full_env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def lapor(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return probe(LAPOR_MAIN, *args, env=env, cwd=cwd)


def all_command_paths() -> list[list[str]]:
    root = get_command(eager_app())
    paths: list[list[str]] = []

    def walk(cmd: object, prefix: list[str]) -> None:
        sub = getattr(cmd, "commands", None)
        if sub:
            for name, child in sub.items():
                paths.append([*prefix, name])
                walk(child, [*prefix, name])

    walk(root, [])
    return paths


def test_lapor_help_lists_the_commands() -> None:
    result = lapor("--help")
    assert result.returncode == 0
    for name in ("db", "seed", "jobs", "review", "run", "demo", "accounts", "deliveries"):
        assert name in result.stdout


@pytest.mark.parametrize("path", all_command_paths(), ids=lambda p: " ".join(p))
def test_every_command_has_help(path: list[str]) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_an_invalid_setting_stops_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = lapor("db", "current", env={"LAPOR_WEB_PORT": "delapan"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "invalid setting LAPOR_WEB_PORT: Input should be a valid integer, unable to parse "
        "string as an integer"
    ]


def test_a_missing_secret_key_is_named_with_how_to_make_one(tmp_path: Path) -> None:
    result = lapor("db", "current", cwd=tmp_path)
    assert result.returncode == 2
    assert "LAPOR_SECRET_KEY is not set" in result.stderr and "lapor keys new" in result.stderr


def test_the_cli_migrates_seeds_and_lists_an_empty_queue(tmp_path: Path) -> None:
    env = {"LAPOR_SECRET_KEY": new_key(), "LAPOR_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    assert lapor("db", "upgrade", env=env).returncode == 0
    seeded = lapor("seed", env=env)
    assert "kecamatan added: 18" in seeded.stdout
    assert "kecamatan added: 0, agencies added: 0" in lapor("seed", env=env).stdout
    assert lapor("users", "add", "rina", "--role", "reviewer", env=env).returncode == 0
    refused = lapor("review", "approve", "999", "--reviewer", "rina", env=env)
    assert refused.returncode == 1 and "post 999 does not exist" in refused.stderr


def test_lapor_redact_writes_offsets_into_the_input(tmp_path: Path) -> None:
    import json

    source = tmp_path / "in.jsonl"
    text = "Rumah Bu Sri RT 03/RW 05 hp 0812-3456-7890"
    source.write_text(json.dumps({"id": 1, "text": text, "known": {"names": ["Sri"]}}) + "\n")
    result = lapor("redact", "--input", str(source), "--output", str(tmp_path / "out.jsonl"))
    assert result.returncode == 0, result.stderr
    (line,) = (tmp_path / "out.jsonl").read_text().splitlines()
    out = json.loads(line)
    spans = {(f["kind"], text[f["start"] : f["end"]]) for f in out["findings"]}
    assert ("phone", "0812-3456-7890") in spans and ("name", "Sri") in spans
    assert "0812" not in out["text"]


def test_lapor_media_sanitize_reports_each_file_as_a_json_line(tmp_path: Path) -> None:
    import json

    from tests.factories import jpeg

    good, bad = tmp_path / "a.bin", tmp_path / "b.jpg"
    good.write_bytes(jpeg())
    bad.write_bytes(b"not an image at all")
    result = lapor("media", "sanitize", str(good), str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(x) for x in result.stdout.splitlines())
    assert first["status"] == "ok" and len(first["outputs"]) == 1
    assert second["status"] == "rejected" and second["reason"]


def test_the_lazy_command_table_names_every_command_with_its_own_help_in_order() -> None:
    # `lapor --help` reads ENTRIES instead of importing every part: it must say what the
    # parts define, in the order the eager composition lists them.
    real = get_command(eager_app())
    listed = [
        (name, (cmd.short_help or cmd.help or "").strip().splitlines()[0])
        for name, cmd in real.commands.items()  # type: ignore[attr-defined]
    ]
    assert listed == [(e.name, e.help) for e in ENTRIES]


def test_lapor_help_imports_neither_the_web_app_nor_the_models_nor_sqlalchemy() -> None:
    code = (
        "import sys; from publisher.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('publisher.db.models', 'publisher.app', 'publisher.web.deps', 'sqlalchemy', "
        "'numpy', 'fastapi', 'publisher.runtime.context')\n"
        "print('LOADED', sorted(m for m in heavy if m in sys.modules))"
    )
    result = probe(code, "--help")
    assert "LOADED []" in result.stdout, result.stdout[-500:] + result.stderr
    assert "seed" in result.stdout and "classifier" in result.stdout


def test_a_command_loads_its_own_part_only_when_it_runs() -> None:
    from typer.testing import CliRunner

    code = (
        "import sys; from typer.testing import CliRunner; from publisher.cli.main import app\n"
        "CliRunner().invoke(app, ['keys', '--help'])\n"
        "print('LOADED', sorted(m for m in ('publisher.ops.cli', 'publisher.intake.cli', "
        "'publisher.app.factory') if m in sys.modules))"
    )
    result = probe(code)
    assert "LOADED ['publisher.ops.cli']" in result.stdout, result.stderr
    unknown = CliRunner().invoke(app, ["no-such-command"])
    assert unknown.exit_code == 2 and "No such command" in unknown.output


def test_lapor_version_prints_the_installed_package_version() -> None:
    from importlib.metadata import version

    result = lapor("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"lapor-publisher {version('lapor-publisher')}"


def test_lapor_help_loads_neither_the_job_table_nor_the_outbox_nor_faker() -> None:
    code = (
        "import sys; from publisher.cli.main import app; "
        "print(sorted(m for m in ('jobs', 'publisher.outbox.deliveries', 'faker', 'uvicorn', "
        "'publisher.app.factory', 'classifiers') if m in sys.modules))"
    )
    result = probe(code)
    assert result.stdout.strip() == "[]", result.stderr


def test_lapor_help_is_a_plain_list_without_rich_rendering_and_keeps_every_command() -> None:
    # typer.rich_utils (Markdown, Pygments, tracebacks) was most of `lapor --help`'s CPU (#23).
    code = (
        "import sys; from publisher.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in ('typer.rich_utils', 'rich.markdown', 'pygments') "
        "if m in sys.modules))"
    )
    result = probe(code, "--help")
    assert "LOADED []" in result.stdout, result.stdout[-500:] + result.stderr
    listed = [line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines()[1:]]
    assert [name for name in listed if name != "LOADED"] == [e.name for e in ENTRIES]


def test_lapor_screen_imports_no_rich_console_when_it_succeeds(tmp_path: Path) -> None:
    cases = tmp_path / "in.jsonl"
    cases.write_text('{"id": "a", "complaint": "Lampu jalan mati di RT 03"}\n', "utf-8")
    code = (
        "import sys; from publisher.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    print('EXIT', exc.code)\n"
        "print('LOADED', sorted(m for m in ('rich.console', 'typer.rich_utils', 'sqlalchemy', "
        "'publisher.db.models', 'sklearn', 'skops') if m in sys.modules))"
    )
    result = probe(
        code, "screen", "--input", str(cases), "--output", str(tmp_path / "out.jsonl"),
        cwd=tmp_path,
    )  # fmt: skip
    assert "LOADED []" in result.stdout, result.stdout[-500:] + result.stderr
    assert json.loads((tmp_path / "out.jsonl").read_text("utf-8"))["id"] == "a"
