"""PostgreSQL connections are not pinged at every checkout (issue 23): a connection the server
dropped costs one request a 503 with ``Retry-After`` (never a 500, nothing retried behind the
client's back), and the next request reconnects.

What a dropped connection looks like is PostgreSQL's own: ``pg_terminate_backend`` ends the
server process of a session (PostgreSQL manual, "System Administration Functions"), and the
client's next statement fails with "terminating connection due to administrator command",
which SQLAlchemy's psycopg dialect reports as a disconnect (``connection_invalidated``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from publisher.app.factory import create_app
from publisher.db.engine import POOL_RECYCLE_S
from publisher.runtime.context import AppContext
from tests.conftest import make_context

TOKEN = "ops-token-for-reconnect"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_ctx(postgres_url: str, tmp_path: Path) -> Iterator[AppContext]:
    context = make_context(postgres_url, tmp_path, ops_token=TOKEN, dashboard_cache_s=0)
    yield context
    context.close()


def terminate_other_sessions(url: str) -> int:
    killer = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    try:
        with killer.connect() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            )
    finally:
        killer.dispose()


def test_the_pool_neither_pings_nor_keeps_connections_forever(pg_ctx: AppContext) -> None:
    pool = pg_ctx.engine.pool
    assert pool._pre_ping is False
    assert pool._recycle == POOL_RECYCLE_S


def test_a_dropped_connection_costs_one_503_and_the_next_request_reconnects(
    pg_ctx: AppContext,
) -> None:
    with TestClient(create_app(pg_ctx)) as client:
        assert client.get("/dashboard", headers=AUTH).status_code == 200
        assert terminate_other_sessions(pg_ctx.settings.database_url) >= 1
        statuses = []
        for _ in range(3):
            response = client.get("/dashboard", headers=AUTH)
            statuses.append(response.status_code)
            if response.status_code == 503:
                assert response.headers["retry-after"] == "1"
                assert "coba lagi" in response.text
        # At most the first request meets the dead connection; the pool is then rebuilt.
        assert statuses == [503, 200, 200]
