"""Intake benchmark: N feed records with 2 photos each, from the fake case feed over HTTP.

    python -m bench.intake [--records 10000] [--photos 2]

Two ways, each in its own child process (so peak memory is its own), on a fresh SQLite file:

* **batched** (what we ship): a page of 200 records per transaction with a savepoint per
  record, one query for the page's known cases (unchanged records stop there), media in a
  pool of 4 download threads, written 500 rows per transaction;
* **naive**: one transaction per record, media fetched one by one, each in its own
  transaction (its photo rate is measured on the first ``--naive-photo-sample`` photos), and a
  re-feed that rewrites every record (no content-hash short-circuit).

Each reports: records/s for the first intake (text), photos/s for downloads (fetch + sanitise
+ content-addressed store), records/s for a full re-feed, and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

POOL = 40  # distinct photos; each record points at its own URLs


def _serve(records: int, photos: int) -> tuple[Any, str]:
    from publisher.fakes.case_feed import FakeCaseFeed
    from publisher.fakes.server import ServerThread
    from tests.factories import feed_record, jpeg

    fake = FakeCaseFeed()
    pool = [jpeg(480, 360, (40 + 5 * i, 90, 200 - 4 * i)) for i in range(POOL)]
    server = ServerThread(fake.app()).start()
    rows = []
    for n in range(1, records + 1):
        urls = []
        for k in range(photos):
            name = f"{n}-{k}.jpg"
            fake.media[name] = (pool[(n + k) % POOL], "image/jpeg")
            urls.append(f"{server.url}/media/{name}")
        rows.append(feed_record(n, media_urls=urls))
    fake.add(*rows)
    return server, server.url


def _context(root: Path) -> Any:
    from tests.conftest import make_context

    return make_context(f"sqlite:///{root / 'bench.db'}", root)


def _pending(ctx: Any) -> int:
    from publisher.db.models import Media

    with ctx.sessions() as session:
        return int(
            session.scalar(select(func.count()).select_from(Media).where(Media.state == "pending"))
            or 0
        )


def child(way: str, url: str, photo_sample: int) -> dict[str, Any]:
    from publisher.db.models import Case, SourceState
    from publisher.intake.collect import run_source
    from publisher.intake.records import ingest
    from publisher.intake.sources.download import fetch_pending_media
    from publisher.intake.sources.json_feed import JsonFeedSource

    root = Path(tempfile.mkdtemp(prefix="lapor-bench-"))
    ctx = _context(root)
    source = JsonFeedSource("app", url, ctx.http)
    result: dict[str, Any] = {"way": way}

    def naive_feed() -> int:
        n = 0
        for batch in source.fetch(""):
            for raw in batch.records:
                with ctx.sessions() as session, session.begin():
                    ingest(session, ctx.vault, "app", [raw])
                n += 1
        return n

    started = time.perf_counter()
    if way == "batched":
        counts, error = run_source(ctx.sessions, ctx.vault, source)
        assert error == "", error
        fetched = counts.fetched
    else:
        fetched = naive_feed()
    result["records"] = fetched
    result["intake_s"] = time.perf_counter() - started
    result["intake_records_per_s"] = fetched / result["intake_s"]

    started = time.perf_counter()
    stored = 0
    while _pending(ctx):
        with ctx.sessions() as session, session.begin():
            if way == "batched":
                got = fetch_pending_media(
                    session, ctx.http, ctx.media, ctx.private_media, limit=500, workers=4
                )
            else:
                got = fetch_pending_media(
                    session, ctx.http, ctx.media, ctx.private_media, limit=1, workers=1
                )
        stored += got.stored
        if got.stored + got.rejected == 0:
            break
        if way == "naive" and stored >= photo_sample:
            break  # the naive rate is measured on a sample: the full run would take too long
    result["photos"] = stored
    result["media_s"] = time.perf_counter() - started
    result["photos_per_s"] = stored / result["media_s"] if result["media_s"] else 0.0

    with ctx.sessions() as session, session.begin():
        session.execute(update(SourceState).values(cursor=""))
        if way == "naive":
            session.execute(update(Case).values(content_hash=""))  # no short-circuit
    started = time.perf_counter()
    if way == "batched":
        counts, _ = run_source(ctx.sessions, ctx.vault, source)
        refed = counts.fetched
    else:
        refed = naive_feed()
    result["refeed_s"] = time.perf_counter() - started
    result["refeed_records_per_s"] = refed / result["refeed_s"]
    media_for_all = result["media_s"] * (fetched * 2 / max(stored, 1))  # extrapolated if sampled
    result["end_to_end_records_per_s"] = fetched / (result["intake_s"] + media_for_all)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ctx.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--photos", type=int, default=2)
    parser.add_argument("--ways", default="batched,naive")
    parser.add_argument("--child", default="")
    parser.add_argument("--url", default="")
    parser.add_argument("--naive-photo-sample", type=int, default=2000)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url, args.naive_photo_sample)))
        return
    server, url = _serve(args.records, args.photos)
    print(f"{args.records} records x {args.photos} photos from the fake feed at {url}")
    results = []
    try:
        for way in args.ways.split(","):
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.intake",
                    "--child",
                    way,
                    "--url",
                    url,
                    "--naive-photo-sample",
                    str(args.naive_photo_sample),
                ],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        server.stop()
    header = (
        f"{'way':8} {'records':>8} {'intake rec/s':>13} {'photos':>7} {'photos/s':>9} "
        f"{'end-to-end rec/s':>17} {'re-feed rec/s':>14} {'peak RSS MB':>12}"
    )
    print(header)
    # The machine's load while it ran: on the shared 2-core machine figures move with it.
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    for r in results:
        print(
            f"{r['way']:8} {r['records']:>8} {r['intake_records_per_s']:>13.0f} "
            f"{r['photos']:>7} {r['photos_per_s']:>9.0f} {r['end_to_end_records_per_s']:>17.0f} "
            f"{r['refeed_records_per_s']:>14.0f} {r['peak_rss_mb']:>12.0f}"
        )


if __name__ == "__main__":
    main()
