"""``lapor users set-password``, run as an operator would (a subprocess with its own env)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from publisher.core.crypto import new_key

LAPOR = [sys.executable, "-c", "from publisher.cli.main import main; main()"]


def lapor(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    full_env.update(env)
    full_env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return subprocess.run(
        [*LAPOR, *args], input=stdin, capture_output=True, text=True, env=full_env, timeout=120
    )


def test_set_password_stores_an_argon2id_hash_and_refuses_short_ones(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    env = {"LAPOR_SECRET_KEY": new_key(), "LAPOR_DATABASE_URL": url}
    assert lapor(env, "db", "upgrade").returncode == 0
    assert lapor(env, "seed").returncode == 0
    assert lapor(env, "users", "add", "rina", "--role", "reviewer").returncode == 0
    short = lapor(env, "users", "set-password", "rina", "--password-stdin", stdin="pendek\n")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    done = lapor(
        env, "users", "set-password", "rina", "--password-stdin", stdin="kata-sandi-panjang\n"
    )
    assert done.returncode == 0, done.stderr
    assert "kata-sandi-panjang" not in done.stdout + done.stderr
    engine = create_engine(url)
    with engine.connect() as conn:
        query = text("SELECT password_hash FROM users WHERE username = 'rina'")
        stored = conn.execute(query).scalar()
    engine.dispose()
    assert isinstance(stored, str) and stored.startswith("$argon2id$")
    assert PasswordHasher().verify(stored, "kata-sandi-panjang")
    missing = lapor(env, "users", "set-password", "siapa", "--password-stdin", stdin="x" * 12)
    assert missing.returncode == 1 and "unknown user" in missing.stderr
