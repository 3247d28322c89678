"""Benchmark: the leadership dashboard at regency scale (100,000 cases in the current year).

Builds a database (SQLite by default; ``--database-url postgresql://...`` for PostgreSQL, where
a fresh database is created and dropped) with 100,000 cases spread over this year, about 70%
with follow-ups by 36 PICs, 10% published, and 5,000 posts awaiting review. Then, in one run:

1. the report itself, in process, cold: :func:`build_report` (SQL aggregates: counts and
   working-day histograms per agency, PIC and month computed by the database) against last
   round's :func:`build_report_by_scan` (three column scans + numpy) and the naive
   :func:`build_report_by_orm` (every case as an ORM object), interleaved, with CPU time of
   this process plus (PostgreSQL) the database server process serving it;
2. ``GET /dashboard`` over HTTP from the real app served by uvicorn in its own process: cold
   (``LAPOR_DASHBOARD_CACHE_S=0``: every request computes) and cached (the default);
3. the review queue's latency with 4 clients, quiet and while an admin reloads the dashboard
   every second (cold each time, the worst case), and the server's peak memory (RSS).

Run from the repository root: ``python -m bench.dashboard [--database-url URL] [--quick]``
(``--quick``: 20,000 cases and fewer requests, for a first look).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from publisher.core.clock import utcnow
from publisher.core.crypto import new_key
from publisher.core.settings import Settings
from publisher.db import migrate
from publisher.db.models import Agency, Case, Delivery, FollowUp, Post, SocialAccount, User
from publisher.monitoring.stats import (
    LISTED_OVERDUE,
    build_report,
    build_report_by_orm,
    build_report_by_scan,
)
from publisher.monitoring.workdays import load_calendar
from publisher.reference import seed
from publisher.runtime.context import AppContext
from publisher.web.auth import SESSION_COOKIE, hash_password, login, use_hash_profile

CASES = 100_000
PENDING = 5_000
CLIENTS = 4
PASSWORD = "bench-password-123"
OPS_TOKEN = "bench-ops-token"


def build(ctx: AppContext, count: int = CASES) -> None:
    migrate.upgrade(ctx.engine)
    rnd = random.Random(23)
    now = utcnow()
    year_start = datetime(now.year, 1, 1, tzinfo=UTC)
    span_s = int((now - year_start).total_seconds()) - 3600
    with ctx.sessions() as session, session.begin():
        seed(session)
        agencies = list(session.scalars(select(Agency.id).order_by(Agency.id)))[:12]
        accounts: dict[int, int] = {}
        for agency_id in agencies:
            account = SocialAccount(agency_id=agency_id, platform="folder", handle=f"f-{agency_id}")
            session.add(account)
            session.flush()
            accounts[agency_id] = account.id
        pics: dict[int, list[int]] = {}
        for n, agency_id in enumerate(agencies):
            for k in range(1 if n % 4 == 0 else 3):  # some agencies have one PIC
                user = User(username=f"pic.{n}.{k}", role="pic", agency_id=agency_id)
                session.add(user)
                session.flush()
                pics.setdefault(agency_id, []).append(user.id)
        session.add(User(username="rev", role="reviewer", password_hash=hash_password(PASSWORD)))
    reporter = os.urandom(180)  # stands in for the encrypted reporter JSON a case carries
    with ctx.engine.begin() as conn:
        for offset in range(0, count, 5000):
            cases = []
            for i in range(offset, min(offset + 5000, count)):
                agency_id = agencies[i % len(agencies)]
                reported = year_start + timedelta(seconds=rnd.randint(0, span_s))
                roll = rnd.random()
                status = "received" if roll < 0.2 else "in_progress" if roll < 0.5 else "resolved"
                response = reported + timedelta(hours=rnd.randint(1, 200)) if roll >= 0.2 else None
                resolved = (
                    reported + timedelta(hours=rnd.randint(24, 600))
                    if status == "resolved"
                    else None
                )
                cases.append(
                    {
                        "source": "bench",
                        "external_id": f"B-{i}",
                        "tracking_number": f"LPR-B-{i:06d}",
                        "agency_id": agency_id,
                        "category": "jalan",
                        "kecamatan": "Slawi",
                        "desa": "Procot",
                        "complaint_text": "Jalan berlubang di depan balai desa.",
                        "privacy_mode": "normal",
                        "reporter": reporter,
                        "status": status,
                        "content_hash": "",
                        "reported_at": reported,
                        "first_response_at": response,
                        "resolved_at": resolved,
                        "source_updated_at": resolved or response or reported,
                        "created_at": reported,
                        "updated_at": reported,
                    }
                )
            conn.execute(insert(Case), cases)
        rows = conn.execute(
            select(Case.id, Case.agency_id, Case.reported_at, Case.status).order_by(Case.id)
        ).all()
        follow_ups, posts = [], []
        for case_id, agency_id, reported, status in rows:
            if status != "received" and rnd.random() < 0.85:
                follow_ups.append(
                    {
                        "case_id": case_id,
                        "external_id": f"FU-{case_id}",
                        "pic_user_id": rnd.choice(pics[agency_id]),
                        "action_text": "Sudah ditangani.",
                        "submitted_at": reported + timedelta(hours=rnd.randint(2, 300)),
                        "channel": "feed",
                    }
                )
            if len(posts) < PENDING or (status == "resolved" and rnd.random() < 0.12):
                pending = len(posts) < PENDING
                posts.append(
                    {
                        "case_id": case_id,
                        "account_id": accounts[agency_id],
                        "caption": "Laporan warga sudah ditindaklanjuti.\n#LaporBupatiTegal",
                        "media": [],
                        "risk_score": round(rnd.random(), 2),
                        "review_state": "pending_review" if pending else "approved",
                        "review_note": "",
                        "created_at": reported,
                        "updated_at": reported,
                    }
                )
        for chunk in range(0, len(follow_ups), 5000):
            conn.execute(insert(FollowUp), follow_ups[chunk : chunk + 5000])
        for chunk in range(0, len(posts), 5000):
            conn.execute(insert(Post), posts[chunk : chunk + 5000])
        approved = conn.execute(
            select(Post.id, Post.account_id).where(Post.review_state == "approved")
        ).all()
        deliveries = [
            {"post_id": pid, "account_id": aid, "state": "published", "attempts": 1}
            for pid, aid in approved
        ]
        for chunk in range(0, len(deliveries), 5000):
            conn.execute(insert(Delivery), deliveries[chunk : chunk + 5000])
    with ctx.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def serve(settings: Settings, port: int) -> None:
    import uvicorn

    from publisher.app.factory import create_app

    ctx = AppContext.from_settings(settings)
    uvicorn.Server(
        uvicorn.Config(
            create_app(ctx), host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
    ).run()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_cpu_s(pid: int | None) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int | None) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def figures(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50):7.1f} ms  p95 {percentile(values, 95):7.1f} ms  "
        f"max {max(values):7.1f} ms  (n={len(values)})"
    )


class Server:
    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.process = multiprocessing.get_context("spawn").Process(
            target=serve, args=(settings, self.port), daemon=True
        )
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.process.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)  # polling for the server to listen, not a fixed wait
        raise SystemExit("server did not start")

    def __exit__(self, *_exc: object) -> None:
        self.process.terminate()
        self.process.join(10)


def timed_get(http: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    response = http.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}")
    return elapsed


def review_load(base: str, token: str, per_client: int, stop: threading.Event) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=base, cookies={SESSION_COOKIE: token}, timeout=60) as http:
            for _ in range(per_client):
                elapsed = timed_get(http, "/review")
                with lock:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    return latencies


def backend_cpu_s(session: Any) -> float:
    """CPU seconds of the PostgreSQL server process behind this session (same machine), so
    the database's own work is counted beside ours; 0 on SQLite (it runs in our process)."""
    if session.get_bind().dialect.name != "postgresql":
        return 0.0
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def in_process(ctx: AppContext, rounds: int) -> None:
    calendar = load_calendar(ctx.settings.tz)
    now = utcnow()
    today = now.astimezone(calendar.tz).date()
    start = today.replace(month=1, day=1)
    ways = {
        # As /dashboard asks for it: the hundred longest-idle overdue cases listed (the
        # CSV export asks for all of them; the counts are whole either way).
        "build_report (SQL aggregates)": partial(build_report, overdue_limit=LISTED_OVERDUE),
        "build_report_by_scan (last round: 3 scans + numpy)": build_report_by_scan,
        "naive build_report_by_orm (ORM objects)": build_report_by_orm,
    }
    wall: dict[str, list[float]] = {k: [] for k in ways}
    cpu: dict[str, list[float]] = {k: [] for k in ways}
    with ctx.readonly_sessions() as session:
        for n in range(rounds):  # interleaved, so all see the same machine load
            for label, fn in ways.items():
                if fn is build_report_by_orm and n >= 3:
                    continue  # the naive way takes seconds: three samples are enough
                server0 = backend_cpu_s(session)
                t0, c0 = time.perf_counter(), time.process_time()
                report = fn(session, calendar, start=start, end=today, now=now)
                wall[label].append((time.perf_counter() - t0) * 1000)
                # CPU time is what the machine's load does not inflate (much): ours plus the
                # database server's (PostgreSQL) for this report.
                cpu[label].append(
                    (time.process_time() - c0 + backend_cpu_s(session) - server0) * 1000
                )
                session.expunge_all()
    print(f"report for {report.total.received:,} cases, in process (cold: no cache):")
    for label in ways:
        print(f"  {label}: {figures(wall[label])}")
        median_cpu = statistics.median(cpu[label])
        print(f"    CPU per report, ours + database server: median {median_cpu:.0f} ms")
    base = statistics.median(wall["build_report (SQL aggregates)"])
    for label in list(ways)[1:]:
        ratio = statistics.median(wall[label]) / base
        print(f"  speed-up against {label.split(' ')[0]}: {ratio:.1f}x (wall medians)")


def over_http(settings: Settings, token: str, requests: int) -> None:
    headers = {"Authorization": f"Bearer {OPS_TOKEN}"}
    cold = settings.model_copy(update={"dashboard_cache_s": 0})
    with (
        Server(cold) as server,
        httpx.Client(base_url=server.base, headers=headers, timeout=120) as http,
    ):
        first = timed_get(http, "/dashboard")
        cpu0 = process_cpu_s(server.process.pid)
        samples = [timed_get(http, "/dashboard") for _ in range(requests)]
        cpu_ms = (process_cpu_s(server.process.pid) - cpu0) * 1000 / len(samples)
        print(f"GET /dashboard cold (cache off; first request after start {first:.0f} ms):")
        print(f"  {figures(samples)}; app server CPU per request {cpu_ms:.0f} ms")
        public = timed_get(http, "/publik/kinerja")
        print(f"GET /publik/kinerja first request after start: {public:.0f} ms")
    with (
        Server(settings) as server,
        httpx.Client(base_url=server.base, headers=headers, timeout=120) as http,
    ):
        first = timed_get(http, "/dashboard")
        samples = [timed_get(http, "/dashboard") for _ in range(requests * 3)]
        print(
            f"GET /dashboard cached (LAPOR_DASHBOARD_CACHE_S={settings.dashboard_cache_s}; "
            f"first {first:.0f} ms):"
        )
        print(f"  {figures(samples)}")
    with Server(settings) as server:
        quiet = review_load(server.base, token, requests, threading.Event())
        print(f"GET /review, {CLIENTS} clients, no dashboard: {figures(quiet)}")
    with Server(cold) as server:
        stop = threading.Event()
        peak = [rss_mb(server.process.pid)]
        reloads: list[float] = []

        def admin() -> None:
            with httpx.Client(base_url=server.base, headers=headers, timeout=120) as http:
                while not stop.is_set():
                    reloads.append(timed_get(http, "/dashboard"))
                    peak.append(rss_mb(server.process.pid))
                    stop.wait(1.0)  # the admin reloads every second

        reloader = threading.Thread(target=admin)
        reloader.start()
        busy = review_load(server.base, token, requests, stop)
        reloader.join()
        print(
            f"GET /review, {CLIENTS} clients, an admin reloading /dashboard every second "
            f"(cold each time, {len(reloads)} reloads): {figures(busy)}"
        )
        print(f"  server memory (RSS) peak {max(peak):.0f} MB")


def postgres_database(base_url: str, prefix: str = "bench_dashboard") -> tuple[str, Any]:
    """A fresh database on the server of ``base_url`` and the function that drops it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        make_url(base_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return str(make_url(base_url).set(database=name)), drop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="", help="postgresql://... (default: SQLite)")
    parser.add_argument("--requests", type=int, default=40, help="requests per measurement")
    parser.add_argument("--cases", type=int, default=CASES, help="cases in the database")
    parser.add_argument(
        "--quick", action="store_true", help="20,000 cases, 15 requests, 4 report rounds"
    )
    args = parser.parse_args(argv)
    rounds = 10
    if args.quick:
        args.cases, args.requests, rounds = min(args.cases, 20_000), min(args.requests, 15), 4
    use_hash_profile("test")  # the bench measures pages, not password hashing
    drop = None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        url = f"sqlite:///{root / 'bench.db'}"
        if args.database_url:
            url, drop = postgres_database(args.database_url)
        settings = Settings(
            database_url=url,
            media_dir=root / "media",
            folder_platform_dir=root / "posts",
            secret_key=new_key(),
            ops_token=OPS_TOKEN,
        )
        try:
            ctx = AppContext.from_settings(settings)
            t0 = time.perf_counter()
            build(ctx, args.cases)
            print(
                f"{ctx.engine.dialect.name}: built {args.cases:,} cases in "
                f"{time.perf_counter() - t0:.0f} s; load average "
                f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
            )
            token, _user = login(ctx, "rev", PASSWORD, "bench")
            in_process(ctx, rounds=rounds)
            ctx.close()
            over_http(settings, token, args.requests)
            print(
                f"load average at the end {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
                f"on {os.cpu_count()} cores"
            )
        finally:
            if drop:
                drop()


if __name__ == "__main__":
    main()
