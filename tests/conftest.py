"""Shared fixtures. Every test gets its own database: a SQLite file in its tmp_path, or a
fresh PostgreSQL database created for it and dropped after (``LAPOR_TEST_DATABASE_URL``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from publisher.core.crypto import new_key
from publisher.core.settings import Settings
from publisher.db import migrate
from publisher.reference import seed
from publisher.runtime.context import AppContext

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared fixtures are read from ../shared)")
    return path


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = os.environ.get("LAPOR_TEST_DATABASE_URL")
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must set LAPOR_TEST_DATABASE_URL (see .ci/run)")
        pytest.skip("LAPOR_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"lapor_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


def make_settings(database_url: str, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "media_dir": tmp_path / "media",
        "folder_platform_dir": tmp_path / "posts",
        "private_media_dir": tmp_path / "private-media",
        "upload_dir": tmp_path / "uploads",
        "model_dir": tmp_path / "model",
        "backup_dir": tmp_path / "backups",
        "secret_key": new_key(),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def make_context(database_url: str, tmp_path: Path, **overrides: object) -> AppContext:
    ctx = AppContext.from_settings(make_settings(database_url, tmp_path, **overrides))
    migrate.upgrade(ctx.engine)
    with ctx.sessions() as session, session.begin():
        seed(session)
    return ctx


@pytest.fixture
def ctx(sqlite_url: str, tmp_path: Path) -> Iterator[AppContext]:
    """A migrated and seeded SQLite context (the embedded default)."""
    context = make_context(sqlite_url, tmp_path)
    yield context
    context.close()


@pytest.fixture
def any_ctx(database_url: str, tmp_path: Path) -> Iterator[AppContext]:
    """The same, once on SQLite and once on PostgreSQL."""
    context = make_context(database_url, tmp_path)
    yield context
    context.close()
