"""Deliveries per second through the outbox against the fake platforms with zero latency, so
the figure is our own overhead: claim (conditional UPDATE), attempt row, adapter, HTTP on
loopback, settlement with its audit entry. Compared in the same run with the naive way: the
same adapter calls made in a loop with no outbox at all (no claim, no attempt, no settlement).
Peak memory is the process's peak resident set size.

Our own cost is reported apart from the fakes' (issue 23): the fakes serve from their own
threads, and everything the product does for a delivery (claim, attempt row, adapter, the
HTTP client's side of the request, settlement) runs in the publishing thread, so that thread's
CPU time (``time.thread_time``) is the product's CPU per delivery, whatever the fakes and the
machine's load add to the wall clock. The lease heartbeat threads (asleep nearly all the time)
are left out.

Run: ``python -m bench.publish`` (``--deliveries N``; ``LAPOR_BENCH_DATABASE_URL`` for PostgreSQL).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import select

from publisher.core.clock import utcnow
from publisher.core.crypto import new_key
from publisher.core.settings import Settings
from publisher.db import migrate
from publisher.db.models import Agency, Case, Delivery, Post, SocialAccount, User
from publisher.fakes.server import ServerThread
from publisher.outbox import deliveries as outbox
from publisher.platforms.base import PublishRequest
from publisher.platforms.meta.fake import FakeMetaGraph
from publisher.platforms.registry import build_platform
from publisher.platforms.telegram.fake import FakeTelegram
from publisher.platforms.x.fake import FakeX
from publisher.reference import seed
from publisher.review import actions as review
from publisher.runtime.context import AppContext

PLATFORMS = ("telegram", "facebook", "x")


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 90)).save(out, "JPEG")
    return out.getvalue()


def _setup(ctx: AppContext, urls: dict[str, str], per_platform: int) -> None:
    migrate.upgrade(ctx.engine)
    sha = ctx.media.put(_photo(), ".jpg")
    creds: dict[str, dict[str, Any]] = {
        "telegram": {"bot_token": "1:t", "chat_id": "@bench", "api_base": urls["telegram"]},
        "facebook": {"page_id": "42", "access_token": "fb", "api_base": urls["meta"]},
        "x": {"access_token": "xt", "user_id": "7", "api_base": urls["x"]},
    }
    with ctx.sessions() as session, session.begin():
        seed(session)
        agency = session.scalar(select(Agency).where(Agency.code == "dpupr"))
        assert agency is not None
        reviewer = User(username="bench", role="reviewer")
        session.add(reviewer)
        accounts = [
            SocialAccount(
                agency_id=agency.id,
                platform=platform,
                handle=f"bench-{platform}",
                credentials=ctx.vault.encrypt_json(creds[platform]),
                max_posts_per_hour=1_000_000,
            )
            for platform in PLATFORMS
        ]
        session.add_all(accounts)
        session.flush()
        for n in range(per_platform):
            case = Case(
                source="bench",
                external_id=str(n),
                tracking_number=f"LPR-BENCH-{n:06d}",
                agency_id=agency.id,
                resolved_at=utcnow(),
                status="resolved",
            )
            session.add(case)
            session.flush()
            for account in accounts:
                post = Post(
                    case_id=case.id,
                    account_id=account.id,
                    caption=f"Laporan {case.tracking_number} sudah ditindaklanjuti. "
                    f"#LaporBupatiTegal",
                    media=[
                        {"sha256": sha, "kind": "photo", "mime": "image/jpeg", "suffix": ".jpg"}
                    ],
                    review_state="pending_review",
                )
                session.add(post)
                session.flush()
                # The bench measures publishing, not screening: approval notes say so.
                review.approve(session, post.id, reviewer, manual_screening_note="benchmark post")


def _fakes() -> tuple[FakeTelegram, FakeMetaGraph, FakeX]:
    return (
        FakeTelegram(tokens={"1:t"}, channels={"@bench"}),
        FakeMetaGraph(tokens={"fb"}, pages={"42": "Bench Page"}),
        FakeX(tokens={"xt": "7"}, users={"7": "bench"}),
    )


def run(deliveries: int, database_url: str | None) -> dict[str, float]:
    per_platform = max(1, deliveries // len(PLATFORMS))
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        telegram, meta, x = _fakes()
        urls = {
            "telegram": stack.enter_context(ServerThread(telegram.app())).url,
            "meta": stack.enter_context(ServerThread(meta.app())).url + "/v21.0",
            "x": stack.enter_context(ServerThread(x.app())).url,
        }
        settings = Settings(
            database_url=database_url or f"sqlite:///{Path(tmp) / 'bench.db'}",
            media_dir=Path(tmp) / "media",
            folder_platform_dir=Path(tmp) / "posts",
            secret_key=new_key(),
        )
        ctx = AppContext.from_settings(settings, worker_id="bench")
        try:
            _setup(ctx, urls, per_platform)
            total = per_platform * len(PLATFORMS)
            started, cpu_started = time.perf_counter(), time.thread_time()
            published = 0
            while (counts := outbox.publish_due(ctx, limit=1000)).claimed:
                published += counts.published
            through_outbox = time.perf_counter() - started
            outbox_cpu = time.thread_time() - cpu_started
            assert published == total, (published, total)
            # The naive way: the same adapter calls, no outbox around them.
            with ctx.sessions() as session:
                rows = session.execute(select(Delivery, SocialAccount).join(SocialAccount)).all()
                jobs = [
                    (
                        build_platform(account, ctx.vault, ctx.http, ctx.settings),
                        PublishRequest(
                            delivery_id=d.id,
                            marker=f"naive-{d.id}",
                            caption=d.post.caption + " (naive)",
                            media=outbox._media(ctx, d.post),
                        ),
                    )
                    for d, account in rows
                ]
            started, cpu_started = time.perf_counter(), time.thread_time()
            for platform, request in jobs:
                platform.publish(request)
            naive = time.perf_counter() - started
            naive_cpu = time.thread_time() - cpu_started
        finally:
            ctx.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "deliveries": float(total),
        "outbox_per_s": total / through_outbox,
        "naive_per_s": total / naive,
        "overhead_ms": (through_outbox - naive) / total * 1000,
        "outbox_cpu_ms": outbox_cpu / total * 1000,
        "naive_cpu_ms": naive_cpu / total * 1000,
        "overhead_cpu_ms": (outbox_cpu - naive_cpu) / total * 1000,
        "peak_rss_mb": peak_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=600)
    args = parser.parse_args()
    url = os.environ.get("LAPOR_BENCH_DATABASE_URL")
    result = run(args.deliveries, url)
    print(f"database: {'PostgreSQL' if url else 'SQLite (WAL)'}")
    print(f"deliveries:              {result['deliveries']:.0f} ({', '.join(PLATFORMS)})")
    print(f"through the outbox:      {result['outbox_per_s']:.1f} deliveries/s")
    print(f"naive (adapter only):    {result['naive_per_s']:.1f} deliveries/s")
    print(f"outbox overhead (wall):  {result['overhead_ms']:.2f} ms per delivery")
    print(
        f"our CPU per delivery:    {result['outbox_cpu_ms']:.2f} ms through the outbox, "
        f"{result['naive_cpu_ms']:.2f} ms adapter only; the outbox's own "
        f"{result['overhead_cpu_ms']:.2f} ms (the fakes' threads not counted)"
    )
    print(f"load average:            {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"peak memory (RSS):       {result['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
