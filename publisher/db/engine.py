"""Engine and session factory.

SQLite runs in WAL mode with a busy timeout so the web app, the scheduler and a worker can share
one file. PostgreSQL connections are not pinged at every checkout (``pool_pre_ping`` cost a
round trip per request, 8% of the review queue's time, issue 23): they are recycled after
``POOL_RECYCLE_S`` (before a server or proxy idle timeout drops them), and a connection found
dead mid-request makes SQLAlchemy invalidate the whole pool, so that request fails (the app
answers 503, see ``publisher.app.factory``) and the next one reconnects. The engine is built
from settings by the caller and passed in, never created at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Under the usual idle timeouts of PostgreSQL proxies and firewalls (PgBouncer, cloud NAT: 1 h+).
POOL_RECYCLE_S = 1800


def make_engine(url: str, **kwargs: Any) -> Engine:
    # A failed statement's parameters are complaint texts and reporters' identities: they must
    # never reach an exception message, a log line or ``job_runs.error``.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling is switched off so we issue BEGIN ourselves.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg"))
    kwargs.setdefault("pool_recycle", POOL_RECYCLE_S)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A deferred transaction that reads and then writes fails at once with "database is
    # locked" if another writer committed in between (the busy timeout does not apply), so
    # every transaction takes the write lock up front unless it was opened read-only.
    readonly = conn.get_execution_options().get("lapor_readonly", False)
    conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine, *, readonly: bool = False) -> sessionmaker[Session]:
    """Sessions for writing (the default) or read-only ones that never block writers."""
    bind = engine.execution_options(lapor_readonly=True) if readonly else engine
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with factory() as session, session.begin():
        yield session


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
