"""Two ``lapor worker`` processes on two machines (issue #23, point 6): each its own working
directory (its own media folders, cache and folder platform), one database, and the media
shared only through an S3-compatible bucket (moto's server, signed requests). 200 deliveries
(100 Facebook uploads, 100 Instagram containers that fetch the signed media URL) are published
once each, counted on the fakes: 0 duplicates, 0 lost, and every file a platform received is,
byte for byte, the object its post names in the bucket."""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from publisher.db.models import Delivery, Post, SocialAccount
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.publishing_env import (
    Fakes,
    add_platform_account,
    approved_posts,
    running_fakes,
    serving_media,
    start_worker,
)
from tests.s3_support import S3Server, running_s3
from tests.test_chaos import _count_on_fakes

ROOT = Path(__file__).resolve().parents[1]
CASES = 100  # x 2 accounts = 200 deliveries
MACHINES = ("machine-a", "machine-b")


def _start_worker(name: str, home: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    home.mkdir(parents=True, exist_ok=True)
    # cwd: the defaults (var/...) resolve inside this machine's own folder
    return start_worker(
        name,
        cwd=home,
        env={
            **env,
            "LAPOR_MEDIA_DIR": str(home / "media"),
            "LAPOR_PRIVATE_MEDIA_DIR": str(home / "private-media"),
            "LAPOR_UPLOAD_DIR": str(home / "uploads"),
            "LAPOR_FOLDER_PLATFORM_DIR": str(home / "posts"),
            "LAPOR_MEDIA_CACHE_DIR": str(home / "media-cache"),
        },
        log=home / "worker.log",
    )


def _states(ctx: AppContext) -> Counter[str]:
    with ctx.sessions() as session:
        return Counter(session.scalars(select(Delivery.state)))


def _run(ctx: AppContext, s3: S3Server, tmp_path: Path) -> None:
    with running_fakes() as fakes, serving_media(ctx) as media_url:
        fakes.meta.quota_total = 10_000
        for platform in ("facebook", "instagram"):
            add_platform_account(ctx, platform, fakes)
        approved_posts(ctx, CASES)
        assert sum(_states(ctx).values()) == CASES * 2
        env = {
            **os.environ,
            **s3.env(tmp_path / "unused-cache"),
            "PYTHONPATH": str(ROOT),
            "LAPOR_DATABASE_URL": ctx.settings.database_url,
            "LAPOR_SECRET_KEY": ctx.settings.secret_key,
            "LAPOR_PUBLIC_BASE_URL": media_url,
            "LAPOR_LOG_LEVEL": "WARNING",
        }
        homes = {name: tmp_path / name for name in MACHINES}
        workers = [_start_worker(name, homes[name], env) for name in MACHINES]
        started = time.monotonic()
        try:
            while True:
                states = _states(ctx)
                if states["published"] + states["failed"] == CASES * 2:
                    break
                assert all(w.poll() is None for w in workers), "a worker died"
                assert time.monotonic() - started < 420, f"not settled: {dict(states)}"
                time.sleep(0.2)  # polling the database for the condition, not a fixed wait
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=60)
        _verify(ctx, fakes, s3, homes)


def _verify(ctx: AppContext, fakes: Fakes, s3: S3Server, homes: dict[str, Path]) -> None:
    with ctx.sessions() as session:
        rows = session.execute(
            select(Delivery, SocialAccount.platform, Post.caption, Post.media)
            .join(SocialAccount, SocialAccount.id == Delivery.account_id)
            .join(Post, Post.id == Delivery.post_id)
        ).all()
    stored = s3.keys("media/")
    by_worker: Counter[str] = Counter()
    for delivery, platform, caption, media in rows:
        assert delivery.state == "published", (delivery.id, delivery.last_error)
        found = _count_on_fakes(fakes, delivery, platform, caption)
        assert found == [delivery.remote_id], f"delivery {delivery.id} on {platform}: {found}"
        by_worker[str(delivery.claimed_by)] += 1
        named = {str(m["sha256"]) for m in media}
        meta = fakes.meta
        if platform == "facebook":
            (post,) = [p for p in meta.live_posts() if p.id == delivery.remote_id]
            received = {meta.photos[photo]["sha256"] for photo in post.photos}
        else:
            (ig,) = [m for m in meta.live_ig_media() if m.id == delivery.remote_id]
            received = set(meta.containers[ig.container_id].fetched_sha256)
        # What the platform received hashes to the name of an object its post names.
        assert received and received <= named, (delivery.id, received, named)
        for sha in received:
            assert f"media/{sha[:2]}/{sha[2:4]}/{sha}.jpg" in stored
    assert len(fakes.meta.live_posts()) == CASES
    assert len(fakes.meta.live_ig_media()) == CASES
    for name, home in homes.items():
        # Nothing went through a machine's own media folder: only the bucket and the cache.
        assert not [p for p in (home / "media").rglob("*") if p.is_file()], name
        assert by_worker[name] == 0 or list((home / "media-cache").rglob("*.jpg")), name
    print(f"\ns3 workers: {len(rows)} deliveries, by worker {dict(by_worker)}")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_two_workers_on_two_machines_share_media_through_the_bucket_and_publish_once(
    database_url: str, tmp_path: Path
) -> None:
    with running_s3() as s3:
        ctx = make_context(
            database_url, tmp_path / "reviewer", **s3.settings(tmp_path / "reviewer" / "cache")
        )
        try:
            _run(ctx, s3, tmp_path)
        finally:
            ctx.close()
