"""Intake benchmark (issue 23): records/s with media queued, and memory from 10k to 100k records.

    python -m bench.intake [--sizes 10000,50000,100000] [--naive-records 2000] [--quick]

The fake case feed runs in this (parent) process and serves N records, each with 2 photo URLs
(queued as ``pending`` media rows, not downloaded), over loopback HTTP. Every way and size runs
in its own child process on a fresh database, so its CPU time and peak RSS are its own, never
the fake's:

* **bulk** (what we ship): ``run_source`` over the feed, pages of 200 records, one transaction
  per page with one upsert per table (cases, follow-ups, media);
* **naive** (per record, as before issue 23): one transaction per record through the ORM's
  unit of work (``_upsert``: a look-up, then a flush for the case, its follow-up and its media),
  on the first ``--naive-records`` records of the feed (its rate does not depend on N).

Each way runs three passes over the same records: **new** (every case new), **changed** (a
second feed with every record changed: category, status time and one photo URL, a later
``updated_at``) and **unchanged** (the changed feed again from an empty cursor). Reported per
pass: records/s on the wall clock and on the child's CPU time (``time.process_time``: the
product's own work, the HTTP client's side and JSON decoding included); per child: its own
peak RSS (``VmHWM``) and the load average at its end.

``--quick``: sizes 2,000 and 5,000, 500 naive records. ``LAPOR_BENCH_DATABASE_URL`` (a
PostgreSQL server URL): each child makes and drops its own database there.
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PHOTOS = 2
PEOPLE = 200  # distinct reporters, made once (Faker per record would dominate the parent)


def _records(n_records: int, base: str, changed: bool) -> Iterator[dict[str, Any]]:
    from tests.factories import feed_record, person

    people = [person(k) for k in range(PEOPLE)]
    for n in range(1, n_records + 1):
        urls = [f"{base}/media/{n}-{k}.jpg" for k in range(PHOTOS)]
        if not changed:
            yield feed_record(n, reporter=people[n % PEOPLE], media_urls=urls)
            continue
        urls[-1] = f"{base}/media/{n}-{PHOTOS - 1}-v2.jpg"
        record = feed_record(
            n,
            reporter=people[n % PEOPLE],
            media_urls=urls,
            category="drainase",
            updated_at=f"2099-01-01T00:00:00.{n:06d}+00:00",
        )
        record["history"].append({"status": "closed", "at": "2098-12-31T00:00:00+00:00"})
        yield record


def _serve(n_records: int) -> tuple[list[Any], str, str]:
    from publisher.fakes.case_feed import FakeCaseFeed
    from publisher.fakes.server import ServerThread

    servers = []
    urls = []
    for changed in (False, True):
        fake = FakeCaseFeed()
        server = ServerThread(fake.app()).start()
        fake.add(*_records(n_records, server.url, changed))
        servers.append(server)
        urls.append(server.url)
    return servers, urls[0], urls[1]


def _database(root: Path) -> tuple[str, str | None]:
    """The child's database URL, and the PostgreSQL database to drop afterwards (if any)."""
    server = os.environ.get("LAPOR_BENCH_DATABASE_URL")
    if not server:
        return f"sqlite:///{root / 'bench.db'}", None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"lapor_bench_intake_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False), name


def _drop(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(os.environ["LAPOR_BENCH_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _vm_hwm_mb() -> float:
    """This process's own peak RSS. Not ``ru_maxrss``: Linux carries the peak of the image
    before ``exec`` into it, and a child forked from the parent (which holds the fake feed's
    records) would report the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(work: Any) -> tuple[int, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    done = int(work())
    return done, time.perf_counter() - wall, time.process_time() - cpu


def child(way: str, first_url: str, changed_url: str, naive_records: int) -> dict[str, Any]:
    from sqlalchemy import func, select, update

    from publisher.db.models import Agency, Media, SourceState
    from publisher.intake.collect import run_source
    from publisher.intake.records import _upsert, content_hash, parse_record
    from publisher.intake.sources.json_feed import JsonFeedSource
    from publisher.reference import load_reference
    from tests.conftest import make_context

    root = Path(tempfile.mkdtemp(prefix="lapor-bench-"))
    url, dropped = _database(root)
    ctx = make_context(url, root)
    places = load_reference().kecamatan_by_name()
    with ctx.sessions() as session:
        agencies = {code: i for code, i in session.execute(select(Agency.code, Agency.id))}

    def bulk(feed_url: str) -> int:
        counts, error = run_source(
            ctx.sessions, ctx.vault, JsonFeedSource("app", feed_url, ctx.http)
        )
        assert error == "", error
        return counts.new + counts.updated + counts.unchanged

    def naive(feed_url: str) -> int:
        """One transaction per record through the ORM, as intake did before issue 23."""
        stored = 0
        for batch in JsonFeedSource("app", feed_url, ctx.http).fetch(""):
            for raw in batch.records:
                with ctx.sessions() as session, session.begin():
                    record = parse_record(raw, places=places)
                    resolved = (
                        agencies[record.agency],
                        places[record.kecamatan.casefold()].name,
                        content_hash(raw),
                    )
                    _upsert(session, ctx.vault, "app", record, resolved, assume_new=False)
                stored += 1
                if stored >= naive_records:
                    return stored
        return stored

    run = bulk if way == "bulk" else naive
    result: dict[str, Any] = {"way": way}
    for name, feed_url in (
        ("new", first_url),
        ("changed", changed_url),
        ("unchanged", changed_url),
    ):
        if name == "unchanged":
            with ctx.sessions() as session, session.begin():
                session.execute(update(SourceState).values(cursor=""))
        done, wall, cpu = _timed(lambda u=feed_url: run(u))
        result[name] = {"records": done, "per_s_wall": done / wall, "per_s_cpu": done / cpu}
    with ctx.sessions() as session:
        result["media_pending"] = int(
            session.scalar(select(func.count()).select_from(Media).where(Media.state == "pending"))
            or 0
        )
    result["peak_rss_mb"] = _vm_hwm_mb()
    result["load"] = os.getloadavg()[0]
    ctx.close()
    if dropped:
        _drop(dropped)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--naive-records", type=int, default=2000)
    parser.add_argument("--ways", default="bulk,naive")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", default="")
    parser.add_argument("--urls", default="")
    args = parser.parse_args()
    if args.child:
        first, changed = args.urls.split(",")
        print(json.dumps(child(args.child, first, changed, args.naive_records)))
        return
    sizes = [2000, 5000] if args.quick else [int(s) for s in args.sizes.split(",")]
    naive_records = 500 if args.quick else args.naive_records
    database = "PostgreSQL" if os.environ.get("LAPOR_BENCH_DATABASE_URL") else "SQLite (WAL)"
    print(f"intake: {PHOTOS} photo URLs per record (queued, not fetched), {database}")
    print(f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"{'records':>8} {'way':6} {'measured':>8} "
        + " ".join(f"{p + ' wall/cpu rec/s':>26}" for p in ("new", "changed", "unchanged"))
        + f" {'pending media':>13} {'peak RSS MB':>11} {'load':>5}"
    )
    for size in sizes:
        servers, first, changed = _serve(size)
        try:
            for way in args.ways.split(","):
                out = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "bench.intake",
                        "--child",
                        way,
                        "--urls",
                        f"{first},{changed}",
                        "--naive-records",
                        str(min(naive_records, size)),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                    env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
                )
                r = json.loads(out.stdout.strip().splitlines()[-1])
                cells = " ".join(
                    f"{r[p]['per_s_wall']:>12.0f} / {r[p]['per_s_cpu']:>11.0f}"
                    for p in ("new", "changed", "unchanged")
                )
                print(
                    f"{size:>8} {way:6} {r['new']['records']:>8} {cells} "
                    f"{r['media_pending']:>13} {r['peak_rss_mb']:>11.0f} {r['load']:>5.1f}",
                    flush=True,
                )
        finally:
            for server in servers:
                server.stop()


if __name__ == "__main__":
    main()
