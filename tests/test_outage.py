"""The database goes away for 30 s in the middle of a run of 200 deliveries (issue #18): the
``lapor worker`` processes keep running, and once it is back every delivery is published
exactly once, counted on the fake Graph API's side.

The workers reach PostgreSQL through a TCP relay the test can cut: at the cut their backends
are terminated (``pg_terminate_backend``), every open connection is closed and new ones are
refused, for 30 s, while the test itself watches the database directly.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from publisher.db.models import Delivery
from publisher.platforms.base import has_marker
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.publishing_env import (
    PAGE,
    add_platform_account,
    approved_posts,
    running_fakes,
    serving_media,
)
from tests.test_chaos import Workers

ROOT = Path(__file__).resolve().parents[1]
DELIVERIES = 200
OUTAGE_S = 30.0


class Relay:
    """A TCP relay to ``upstream`` that can be cut (all connections closed, new ones refused)
    and joined again."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.down = threading.Event()
        self.refused = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down.is_set():
                self.refused += 1
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._open |= {client, server}
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._close(source)
            self._close(sink)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def cut(self) -> None:
        self.down.set()
        with self._lock:
            victims = list(self._open)
        for sock in victims:
            self._close(sock)

    def join(self) -> None:
        self.down.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()


def _states(ctx: AppContext) -> Counter[str]:
    with ctx.readonly_sessions() as session:
        return Counter(session.scalars(select(Delivery.state)))


def _wait_for(ctx: AppContext, done: int, deadline: float) -> Counter[str]:
    while True:
        states = _states(ctx)
        if states["published"] >= done:
            return states
        assert time.monotonic() < deadline, f"stuck at {dict(states)}"
        time.sleep(0.5)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(420)
def test_workers_outlive_a_30_s_database_outage_and_publish_all_200_once(
    postgres_url: str, tmp_path: Path
) -> None:
    ctx = make_context(postgres_url, tmp_path, sending_lease_s=60, http_timeout_s=5)
    url = make_url(postgres_url)
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    procs: list[subprocess.Popen[bytes]] = []  # the workers, stopped whatever happens
    try:
        with running_fakes() as fakes, serving_media(ctx) as media_url:
            add_platform_account(ctx, "facebook", fakes)
            approved_posts(ctx, DELIVERIES)
            assert sum(_states(ctx).values()) == DELIVERIES
            through_relay = url.set(host="127.0.0.1", port=relay.port)
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "LAPOR_DATABASE_URL": through_relay.render_as_string(hide_password=False),
                "LAPOR_SECRET_KEY": ctx.settings.secret_key,
                "LAPOR_MEDIA_DIR": str(ctx.settings.media_dir),
                "LAPOR_PUBLIC_BASE_URL": media_url,
                "LAPOR_SENDING_LEASE_S": "60",
                "LAPOR_HTTP_TIMEOUT_S": "5",
                "LAPOR_LOG_LEVEL": "WARNING",
            }
            workers = Workers(env, tmp_path)
            workers.start()
            workers.start()
            procs = list(workers.procs.values())
            logs = [tmp_path / f"{name}.log" for name in workers.procs]
            deadline = time.monotonic() + 300
            before = _wait_for(ctx, DELIVERIES // 4, deadline)
            relay.cut()
            with ctx.engine.connect() as conn:
                terminated: int = conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND client_port IS NOT NULL"
                    )
                ).scalar_one()
            cut_at = time.monotonic()
            during = _states(ctx)
            while time.monotonic() - cut_at < OUTAGE_S:
                assert all(p.poll() is None for p in procs), "a worker died in the outage"
                time.sleep(1)
            after_outage = _states(ctx)
            relay.join()
            states = _wait_for(ctx, DELIVERIES, deadline)
            assert all(p.poll() is None for p in procs), "a worker died after the outage"
            with ctx.readonly_sessions() as session:
                rows = list(session.scalars(select(Delivery)))
            posts = fakes.meta.live_posts(PAGE)
            per_marker = Counter(
                d.marker for d in rows for p in posts if has_marker(p.message, d.marker)
            )
            assert len(posts) == DELIVERIES, f"{len(posts)} posts on the page"
            assert set(per_marker.values()) == {1} and len(per_marker) == DELIVERIES
            assert {d.remote_id for d in rows} == {p.id for p in posts}
            waited = sum(b"database unreachable" in log.read_bytes() for log in logs)
            print(
                f"\noutage: published before the cut {before['published']}, at the cut "
                f"{dict(during)}, after 30 s {dict(after_outage)}, backends terminated "
                f"{terminated}, connections refused {relay.refused}, workers that logged "
                f"the outage {waited}/2, end {dict(states)}, posts on the page {len(posts)}"
            )
            assert relay.refused > 0
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
        relay.close()
        ctx.close()
