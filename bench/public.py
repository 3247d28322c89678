"""Benchmark: the public home page with 10,000 published posts, against the naive way.

Builds a SQLite database (WAL, the embedded default) with 10,000 published cases (one post and
one published delivery each, over every agency, kecamatan and the last 12 months, captions of
the usual length, reporters encrypted as in production), serves the real app with uvicorn in a
separate process on loopback, and drives ``GET /publik`` (60 %) and filtered / deeper / list
variants from 2 concurrent clients with a bounded number of requests. The snapshot TTL is set
to 1 s for the run (the minimum), so background rebuilds happen *during* the measurement.

In the same run, the naive way: the same query, filtering and template, but rebuilt on every
request (no snapshot, no page cache) and without the ``ix_deliveries_published`` index.

Run from the repository root: ``python -m bench.public`` (``--posts``, ``--requests``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
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
from publisher.db.models import Agency, Case, Delivery, Post, SocialAccount
from publisher.reference import load_reference, seed
from publisher.runtime.context import AppContext

CAPTION = (
    "✅ Laporan warga soal {cat} di Desa {desa}, Kecamatan {kec} sudah ditindaklanjuti.\n\n"
    "Tindak lanjut: Tim sudah turun ke lokasi dan menyelesaikan perbaikan bersama warga "
    "setempat; pekerjaan selesai dalam dua hari dan sudah dicek ulang oleh petugas.\n\n"
    "📷 Dokumentasi penanganan oleh petugas di lokasi.\n\n🏢 {agency}\n📅 Senin, 3 November "
    "2025\n🔎 No. laporan: {tn}\n\n#LaporBupatiTegal"
)


def build(settings: Settings, posts: int) -> None:
    ctx = AppContext.from_settings(settings)
    migrate.upgrade(ctx.engine)
    rnd = random.Random(11)
    now = utcnow()
    reference = load_reference()
    places = [(k.name, d) for k in reference.kecamatan for d in k.desa]
    categories = list(reference.categories)
    with ctx.sessions() as session, session.begin():
        seed(session)
        agencies = list(session.execute(select(Agency.id, Agency.code, Agency.name)))
        for agency_id, code, _ in agencies:
            session.add(
                SocialAccount(agency_id=agency_id, platform="facebook", handle=f"{code}-fb")
            )
    with ctx.sessions() as session, session.begin():
        accounts = {
            a: i for a, i in session.execute(select(SocialAccount.agency_id, SocialAccount.id))
        }
        reporter = ctx.vault.encrypt_json({"name": "Budi Santoso", "phone": "081234567890"})
        case_rows, post_rows, delivery_rows = [], [], []
        for n in range(1, posts + 1):
            agency_id, code, name = agencies[n % len(agencies)]
            kec, desa = places[rnd.randrange(len(places))]
            category = categories[n % len(categories)]
            published = now - timedelta(minutes=rnd.randrange(365 * 24 * 60))
            tn = f"LPR-2025-{n:05d}"
            case_rows.append(
                {
                    "id": n,
                    "source": "app",
                    "external_id": f"B-{n}",
                    "tracking_number": tn,
                    "agency_id": agency_id,
                    "category": category,
                    "kecamatan": kec,
                    "desa": desa,
                    "complaint_text": "Jalan rusak.",
                    "privacy_mode": "rahasia" if n % 50 == 0 else "normal",
                    "reporter": reporter,
                    "status": "resolved",
                    "reported_at": published - timedelta(days=5),
                    "resolved_at": published - timedelta(days=1),
                }
            )
            post_rows.append(
                {
                    "id": n,
                    "case_id": n,
                    "account_id": accounts[agency_id],
                    "caption": CAPTION.format(cat=category, desa=desa, kec=kec, agency=name, tn=tn),
                    "media": [{"sha256": f"{n:064x}", "kind": "photo", "mime": "image/jpeg"}],
                    "review_state": "approved",
                }
            )
            delivery_rows.append(
                {
                    "post_id": n,
                    "account_id": accounts[agency_id],
                    "state": "published" if n % 20 else "pending",
                    "remote_id": str(n),
                    "remote_url": f"https://www.facebook.com/{code}/posts/{n}",
                    "published_at": published if n % 20 else None,
                }
            )
        session.execute(insert(Case), case_rows)
        session.execute(insert(Post), post_rows)
        session.execute(insert(Delivery), delivery_rows)
    with ctx.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    ctx.close()


def serve(settings: Settings, port: int, naive: bool, ready: Any) -> None:
    import uvicorn
    from fastapi import FastAPI, Query
    from fastapi.responses import Response

    from publisher.app.factory import create_app
    from publisher.public.routes import PAGE_SIZE, Filters, PublicSite, build_snapshot

    ctx = AppContext.from_settings(settings)
    if not naive:
        app = create_app(ctx)
    else:
        app = FastAPI()
        site = PublicSite(ctx)

        @app.get("/publik")
        def home(
            kecamatan: str = Query(""),
            instansi: str = Query(""),
            kategori: str = Query(""),
            bulan: str = Query(""),
            tampilan: str = Query("galeri"),
            halaman: int = Query(1),
        ) -> Response:
            # Everything on every request: the query, the grouping, the scrub, the template.
            snap = build_snapshot(ctx)
            filters = Filters(kecamatan, instansi, kategori, bulan)
            matching = [i for i in snap.items if filters.match(i)]
            pages = max(1, -(-len(matching) // PAGE_SIZE))
            page = min(halaman, pages)
            shown = matching[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            site.captions(shown)
            view = "daftar" if tampilan == "daftar" else "galeri"
            html = site.render(
                "home.html",
                snap=snap,
                items=shown,
                total=len(matching),
                filters=filters,
                view=view,
                page=page,
                pages=pages,
                other_view="daftar" if view == "galeri" else "galeri",
            )
            return Response(html, media_type="text/html; charset=utf-8")

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)

    def announce() -> None:
        time.sleep(0.5)
        ready.set()

    threading.Thread(target=announce, daemon=True).start()
    server.run()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def paths() -> list[str]:
    reference = load_reference()
    month = utcnow().strftime("%Y-%m")
    kec = [k.name for k in reference.kecamatan][:6]
    return [
        "/publik?tampilan=daftar",
        "/publik?halaman=2",
        "/publik?halaman=7",
        f"/publik?bulan={month}",
        "/publik?instansi=dpupr",
        "/publik?kategori=jalan&tampilan=daftar",
        *[f"/publik?kecamatan={k}" for k in kec],
    ]


def load(base: str, per_client: int, clients: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []
    variants = paths()

    def client(seed_: int) -> None:
        rnd = random.Random(seed_)
        with httpx.Client(base_url=base, timeout=60) as http:
            for _ in range(per_client):
                path = "/publik" if rnd.random() < 0.6 else rnd.choice(variants)
                start = time.perf_counter()
                response = http.get(path)
                took = (time.perf_counter() - start) * 1000
                if response.status_code != 200:
                    errors.append(f"{path}: {response.status_code}")
                with lock:
                    latencies.append(took)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise SystemExit(f"errors: {errors[:5]}")
    return latencies, wall


def report(name: str, latencies: list[float], wall: float) -> None:
    print(
        f"{name:<44} n={len(latencies):>4}  p50={percentile(latencies, 50):7.1f} ms  "
        f"p95={percentile(latencies, 95):7.1f} ms  p99={percentile(latencies, 99):7.1f} ms  "
        f"{len(latencies) / wall:6.1f} req/s"
    )


def run_server(settings: Settings, naive: bool) -> tuple[Any, str]:
    port = free_port()
    ready = multiprocessing.Event()
    proc = multiprocessing.Process(target=serve, args=(settings, port, naive, ready), daemon=True)
    proc.start()
    ready.wait(30)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/healthz" if not naive else f"{base}/docs", timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return proc, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2000, help="per client, cached app")
    parser.add_argument("--naive-requests", type=int, default=15)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(
            database_url=f"sqlite:///{root / 'bench.db'}",
            media_dir=root / "media",
            private_media_dir=root / "private",
            secret_key=new_key(),
            public_cache_s=1,
        )
        start = time.perf_counter()
        build(settings, args.posts)
        took = time.perf_counter() - start
        print(f"built {args.posts} posts in {took:.1f} s (cpus={os.cpu_count()})")

        ctx = AppContext.from_settings(settings)
        from publisher.public.routes import build_snapshot

        timings = []
        for _ in range(3):
            start = time.perf_counter()
            snap = build_snapshot(ctx)
            timings.append((time.perf_counter() - start) * 1000)
        print(f"snapshot build ({len(snap.items)} public items): {min(timings):.0f} ms (best of 3)")
        ctx.close()

        proc, base = run_server(settings, naive=False)
        try:
            start = time.perf_counter()
            httpx.get(f"{base}/publik", timeout=60)
            cold = (time.perf_counter() - start) * 1000
            print(f"cold first request (snapshot + render):      {cold:.0f} ms")
            report("cached app, TTL 1 s, GET /publik mix", *load(base, args.requests, args.clients))
            home_only = []
            with httpx.Client(base_url=base, timeout=60) as http:
                for _ in range(200):
                    start = time.perf_counter()
                    http.get("/publik")
                    home_only.append((time.perf_counter() - start) * 1000)
            report("cached app, GET /publik only, 1 client", home_only, sum(home_only) / 1000)
        finally:
            proc.terminate()
            proc.join(10)

        ctx = AppContext.from_settings(settings)
        with ctx.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_deliveries_published"))
        ctx.close()
        proc, base = run_server(settings, naive=True)
        try:
            report(
                "naive: rebuilt per request, no index",
                *load(base, args.naive_requests, 1),
            )
        finally:
            proc.terminate()
            proc.join(10)


if __name__ == "__main__":
    main()
