"""The database goes away for 30 s in the middle of a run of 200 deliveries (issue #18): the
``lapor worker`` processes keep running, and once it is back every delivery is published
exactly once, counted on the fake Graph API's side.

The workers reach PostgreSQL through a TCP relay the test can cut: at the cut their backends
are terminated (``pg_terminate_backend``), every open connection is closed and new ones are
refused, for 30 s, while the test itself watches the database directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from publisher.app.factory import create_app
from publisher.core.clock import utcnow
from publisher.db.models import Delivery, JobRun
from publisher.ops import lease
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
from tests.web_support import free_port

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


def _job_runs(ctx: AppContext, job: str) -> list[JobRun]:
    with ctx.readonly_sessions() as session:
        return list(session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))


def _poll(check: Callable[[], bool], what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_the_scheduler_outlives_a_database_outage_and_runs_its_jobs_once_it_is_back(
    postgres_url: str, tmp_path: Path
) -> None:
    """``lapor run`` (web app, scheduler and its jobs in one process) through a relay cut for
    20 s: the process stays up, ``/readyz`` says the database is down meanwhile, and afterwards
    the scheduler holds its lease again and its publish job sends every approved post once."""
    ctx = make_context(postgres_url, tmp_path, http_timeout_s=5)
    url = make_url(postgres_url)
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    port = free_port()
    proc: subprocess.Popen[bytes] | None = None
    try:
        with running_fakes() as fakes, serving_media(ctx) as media_url:
            add_platform_account(ctx, "facebook", fakes)
            through_relay = url.set(host="127.0.0.1", port=relay.port)
            off = {job: "off" for job in ("collect", "render", "retrain", "digest", "cleanup")}
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "LAPOR_DATABASE_URL": through_relay.render_as_string(hide_password=False),
                "LAPOR_SECRET_KEY": ctx.settings.secret_key,
                "LAPOR_MEDIA_DIR": str(ctx.settings.media_dir),
                "LAPOR_PUBLIC_BASE_URL": media_url,
                "LAPOR_HTTP_TIMEOUT_S": "5",
                "LAPOR_WEB_PORT": str(port),
                "LAPOR_SCHEDULER_LEASE_S": "12",
                "LAPOR_SCHEDULE": json.dumps({**off, "screen": "2s", "publish": "2s"}),
                "LAPOR_LOG_LEVEL": "WARNING",
            }
            log = (tmp_path / "run.log").open("wb")
            proc = subprocess.Popen(
                [sys.executable, "-c", "from publisher.cli.main import main; main()", "run"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            ready = f"http://127.0.0.1:{port}/readyz"

            def readyz() -> httpx.Response | None:
                try:
                    return httpx.get(ready, timeout=10)
                except httpx.HTTPError:
                    return None

            _poll(lambda: (r := readyz()) is not None and r.status_code == 200, "ready", 120)
            _poll(lambda: len(_job_runs(ctx, "publish")) >= 2, "publish runs", 60)
            relay.cut()
            with ctx.engine.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND client_port IS NOT NULL"
                    )
                )
            cut_at = time.monotonic()
            # Posts approved while the scheduler cannot reach the database.
            approved_posts(ctx, 10)
            down = readyz()
            assert down is not None and down.status_code == 503
            assert down.json()["checks"]["database"].startswith("unavailable")
            while time.monotonic() - cut_at < 20:
                assert proc.poll() is None, "lapor run died in the outage"
                time.sleep(1)
            relay.join()
            rejoined = utcnow()
            _poll(lambda: len(fakes.meta.live_posts(PAGE)) >= 10, "the posts to be published", 120)
            assert proc.poll() is None, "lapor run died after the outage"

            def finished_after() -> list[JobRun]:
                runs = _job_runs(ctx, "publish")
                return [r for r in runs if r.started_at >= rejoined and r.finished_at]

            _poll(lambda: bool(finished_after()), "a publish run finished after the outage", 60)
            after = finished_after()
            _poll(lambda: (r := readyz()) is not None and r.status_code == 200, "ready again", 60)
            with ctx.readonly_sessions() as session:
                state = lease.read(session)
                rows = list(session.scalars(select(Delivery)))
            assert state is not None and state.alive(utcnow())
            posts = fakes.meta.live_posts(PAGE)
            assert len(posts) == 10 and {d.state for d in rows} == {"published"}
            assert {d.remote_id for d in rows} == {p.id for p in posts}
            print(
                f"\nscheduler outage: {len(after)} publish runs after the database returned, "
                f"posts on the page {len(posts)}, connections refused {relay.refused}"
            )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=60)
        relay.close()
        ctx.close()


@pytest.mark.postgres
def test_a_page_asked_for_while_the_database_is_away_is_a_503_to_retry_never_a_500(
    postgres_url: str, tmp_path: Path
) -> None:
    url = make_url(postgres_url)
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    through_relay = url.set(host="127.0.0.1", port=relay.port)
    ctx = make_context(through_relay.render_as_string(hide_password=False), tmp_path)
    try:
        with TestClient(create_app(ctx)) as web:
            assert web.get("/publik").status_code == 200
            relay.cut()
            ctx.engine.dispose()  # the pooled connections went with the cut
            web.cookies.set("lapor_session", "a-cookie")  # the session look-up needs the database
            page = web.get("/review")
            api = web.get("/api/v1/me")
            relay.join()
            again = web.get("/publik")
    finally:
        relay.close()
        ctx.close()
    assert page.status_code == 503, page.text[:2000]
    assert page.headers["retry-after"] == "5"
    assert "Coba lagi beberapa saat lagi" in page.text and "Traceback" not in page.text
    assert api.status_code == 503 and "Coba lagi" in api.json()["detail"]
    assert again.status_code == 200
