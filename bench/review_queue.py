"""Benchmark: the review queue page under load, and keyset against offset paging.

Builds a SQLite database (WAL, the embedded default) with 100,000 cases and 5,000 posts awaiting
review (plus 20,000 already decided), serves the real app with uvicorn in a separate process on
loopback, and drives ``GET /review`` (first pages and deeper pages by cursor) from 4 concurrent
clients with a bounded number of requests. Then, in the same run, it times the queue query
itself by keyset and by OFFSET at increasing depths.

Run from the repository root: ``python -m bench.review_queue`` (``--requests`` per client).
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
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, text

from publisher.core.clock import utcnow
from publisher.core.crypto import new_key
from publisher.core.settings import Settings
from publisher.db import migrate
from publisher.db.models import Agency, Case, Post, SocialAccount, User
from publisher.reference import seed
from publisher.review.routes import Cursor, QueueFilter, queue_page, queue_page_by_offset
from publisher.runtime.context import AppContext
from publisher.web.auth import SESSION_COOKIE, Viewer, hash_password, login, use_hash_profile

CASES = 100_000
PENDING = 5_000
DECIDED = 20_000
CLIENTS = 4
PASSWORD = "bench-password-123"


def settings_for(root: Path, key: str) -> Settings:
    return Settings(
        database_url=f"sqlite:///{root / 'bench.db'}",
        media_dir=root / "media",
        folder_platform_dir=root / "posts",
        secret_key=key,
    )


def build(ctx: AppContext) -> None:
    migrate.upgrade(ctx.engine)
    rnd = random.Random(7)
    now = utcnow()
    with ctx.sessions() as session, session.begin():
        seed(session)
        agencies = list(session.scalars(select(Agency.id).order_by(Agency.id)))[:12]
        accounts = []
        for agency_id in agencies:
            for platform in ("folder", "telegram"):
                account = SocialAccount(
                    agency_id=agency_id, platform=platform, handle=f"{platform}-{agency_id}"
                )
                session.add(account)
                session.flush()
                accounts.append((agency_id, account.id))
        session.add(User(username="rev", role="reviewer", password_hash=hash_password(PASSWORD)))
    with ctx.engine.begin() as conn:
        rows = []
        for i in range(CASES):
            agency_id = agencies[i % len(agencies)]
            moment = now - timedelta(minutes=i)
            rows.append(
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
                    "status": "resolved",
                    "content_hash": "",
                    "resolved_at": moment,
                    "created_at": moment,
                    "updated_at": moment,
                }
            )
            if len(rows) == 5000:
                conn.execute(insert(Case), rows)
                rows = []
        by_agency: dict[int, list[int]] = {}
        for agency_id, account_id in accounts:
            by_agency.setdefault(agency_id, []).append(account_id)
        case_ids = list(conn.execute(select(Case.id, Case.agency_id).order_by(Case.id)))
        posts = []
        for n, (case_id, agency_id) in enumerate(case_ids[: PENDING + DECIDED]):
            state = (
                rnd.choice(("pending_review", "pending_review", "pending_review", "blocked"))
                if n < PENDING
                else rnd.choice(("approved", "rejected"))
            )
            moment = now - timedelta(minutes=rnd.randint(0, 60 * 24 * 30))
            posts.append(
                {
                    "case_id": case_id,
                    "account_id": by_agency[agency_id][n % 2],
                    "caption": "Laporan warga sudah ditindaklanjuti.\n#LaporBupatiTegal",
                    "media": [],
                    "risk_score": round(rnd.random(), 2),  # ties, as real scores have
                    "review_state": state,
                    "review_note": "",
                    "created_at": moment,
                    "updated_at": moment,
                }
            )
        conn.execute(insert(Post), posts)
    with ctx.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def serve(settings: Settings, port: int, ready: Any, freeze_heap: bool = True) -> None:
    import uvicorn

    from publisher.app.factory import create_app

    ctx = AppContext.from_settings(settings)
    config = uvicorn.Config(
        create_app(ctx, freeze_heap=freeze_heap),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    threading.Thread(target=lambda: (time.sleep(0.5), ready.set()), daemon=True).start()
    server.run()


def process_cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of a process (Linux /proc), to separate our cost from the
    machine's load."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def load(base: str, token: str, paths: list[str], per_client: int) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []

    def client(seed_: int) -> None:
        rnd = random.Random(seed_)
        with httpx.Client(base_url=base, cookies={SESSION_COOKIE: token}, timeout=30) as http:
            for _ in range(per_client):
                path = paths[0] if rnd.random() < 0.5 else rnd.choice(paths)
                start = time.perf_counter()
                response = http.get(path)
                elapsed = (time.perf_counter() - start) * 1000
                if response.status_code != 200:
                    errors.append(f"{path}: {response.status_code}")
                with lock:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"errors during load: {errors[:3]}")
    return latencies


def time_query(fn: Any, repeat: int = 20) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def run_server_load(
    settings: Settings, token: str, paths: list[str], requests: int, *, freeze_heap: bool
) -> tuple[list[float], float, float]:
    """Serve the app in its own process and load it; (latencies ms, wall s, server CPU ms/req)."""
    port = free_port()
    mp = multiprocessing.get_context("spawn")
    ready = mp.Event()
    server = mp.Process(target=serve, args=(settings, port, ready, freeze_heap), daemon=True)
    server.start()
    try:
        ready.wait(30)
        base = f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        load(base, token, paths, 10)  # warm-up
        cpu_before = process_cpu_s(server.pid)
        started = time.perf_counter()
        latencies = load(base, token, paths, requests)
        wall = time.perf_counter() - started
        server_cpu_ms = (process_cpu_s(server.pid) - cpu_before) * 1000 / len(latencies)
    finally:
        server.terminate()
        server.join(10)
    return latencies, wall, server_cpu_ms


def main(argv: list[str] | None = None) -> None:
    # ``argv``: ``python -m bench`` calls every benchmark's main([]); parse_args() without it
    # read the runner's own arguments (a benchmark name) and exited.
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=150, help="requests per client")
    parser.add_argument("--database-url", default="", help="postgresql://... (default: SQLite)")
    parser.add_argument("--quick", action="store_true", help="30 requests per client")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests = min(args.requests, 30)
    use_hash_profile("test")  # the bench measures pages, not password hashing
    drop = None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = settings_for(root, new_key())
        if args.database_url:
            from bench.dashboard import postgres_database

            url, drop = postgres_database(args.database_url, "bench_review")
            settings = settings.model_copy(update={"database_url": url})
        try:
            run(settings, args.requests)
        finally:
            if drop:
                drop()


def run(settings: Settings, requests: int) -> None:
    ctx = AppContext.from_settings(settings)
    started = time.perf_counter()
    build(ctx)
    print(
        f"{ctx.engine.dialect.name}: built {CASES:,} cases, {PENDING:,} pending and "
        f"{DECIDED:,} decided posts in {time.perf_counter() - started:.1f} s"
    )
    token, user = login(ctx, "rev", PASSWORD, "bench")
    viewer = Viewer(user.id, user.username, "", user.role, None, "", "")
    # Cursors of pages 2..100 (the whole open queue at 50 a page), walked once.
    cursors: list[str] = []
    with ctx.readonly_sessions() as session:
        cursor: Cursor | None = None
        while True:
            _rows, cursor = queue_page(session, viewer, QueueFilter(), cursor)
            if cursor is None:
                break
            cursors.append(cursor.encode())
    paths = ["/review"] + [f"/review?after={c}" for c in cursors]

    for label, freeze_heap in (
        ("as shipped", True),
        ("naive: startup heap not frozen, full collections walk it", False),
    ):
        latencies, wall, server_cpu_ms = run_server_load(
            settings, token, paths, requests, freeze_heap=freeze_heap
        )
        print(
            f"GET /review, {label}; {CLIENTS} clients x {requests} requests "
            f"({len(paths)} distinct pages, half the requests on page 1):"
        )
        print(
            f"  p50 {percentile(latencies, 50):.1f} ms  p95 {percentile(latencies, 95):.1f} "
            f"ms  p99 {percentile(latencies, 99):.1f} ms  max {max(latencies):.1f} ms  "
            f"throughput {len(latencies) / wall:.0f} req/s"
        )
        print(
            f"  server CPU per request {server_cpu_ms:.1f} ms; machine load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (latency includes waiting "
            "for CPU)"
        )

    print("queue query alone (median of 20), keyset vs OFFSET at the same depth:")
    with ctx.readonly_sessions() as session:
        for page_no in (1, 10, 50, 100):
            depth = (page_no - 1) * 50
            after = Cursor.decode(cursors[page_no - 2]) if page_no > 1 else None
            keyset = time_query(lambda a=after: queue_page(session, viewer, QueueFilter(), a))
            offset = time_query(
                lambda d=depth: queue_page_by_offset(session, viewer, QueueFilter(), d)
            )
            print(
                f"  page {page_no:>3} (rows {depth:>5}+): keyset {keyset:6.2f} ms   "
                f"offset {offset:6.2f} ms"
            )
    ctx.close()


if __name__ == "__main__":
    main()
