"""Run Alembic migrations programmatically (``lapor db upgrade``), from a checkout or a wheel."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The one line a person gets when the schema is missing (CLI and web log alike).
NOT_MIGRATED = "the database is not migrated: run `lapor db upgrade`"
UNDEFINED_TABLE = "42P01"  # PostgreSQL's SQLSTATE


def missing_table(exc: DBAPIError) -> bool:
    """Whether a database error says a table is missing (a migration was not run)."""
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state == UNDEFINED_TABLE or "no such table" in str(orig).lower()


def unreachable(exc: DBAPIError) -> bool:
    """Whether a database error says the database is away or busy for now (a restart cut the
    connection, the server refuses connections, SQLite's file is locked): worth a retry later,
    unlike an error in what was asked."""
    return bool(exc.connection_invalidated) or isinstance(exc, OperationalError)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def autogenerate(engine: Engine, message: str) -> None:
    """Developer helper: write a new revision from the model diff."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)
