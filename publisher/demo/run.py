"""``make demo``: a realistic, self-contained run of the whole flow on local fakes.

Generated reporters (Faker ``id_ID``), Tegal places, photos drawn with Pillow (with GPS in their
EXIF, which the sanitiser removes), a JSON case feed and fake Telegram, Facebook/Instagram
(Graph API) and X servers over real HTTP on loopback, the web app serving signed media URLs
(the fake Instagram fetches photos from it, as Instagram does), SQLite under ``var/demo``, and
the folder platform writing posts as files.

It ends by printing how to open the web app on the demo data (``lapor demo-web``) and the demo
users with passwords generated for this run (demo only: they are printed, never stored in
clear).
"""

from __future__ import annotations

import io
import random
import secrets
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from faker import Faker
from PIL import Image, ImageDraw
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select, update

from publisher.app.factory import create_app
from publisher.core.clock import utcnow
from publisher.core.crypto import new_key
from publisher.core.settings import SourceConfig
from publisher.db import migrate
from publisher.db.models import (
    Agency,
    Case,
    Delivery,
    Post,
    Quarantine,
    Screening,
    SocialAccount,
    User,
)
from publisher.demo.connect import DemoAgency, connect_all
from publisher.demo.fakes import DemoFakes
from publisher.demo.web import DEMO_WEB_PORT, demo_settings
from publisher.fakes.case_feed import FakeCaseFeed
from publisher.fakes.server import ServerThread
from publisher.intake.jobs import collect
from publisher.ops.runs import run_recorded
from publisher.outbox.jobs import publish
from publisher.platforms.meta.fake import FakeMetaGraph
from publisher.platforms.registry import names as platform_names
from publisher.platforms.telegram.fake import FakeTelegram
from publisher.platforms.x.fake import FakeX
from publisher.posts.jobs import render
from publisher.reference import load_reference, seed
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from publisher.screening.jobs import screen
from publisher.web.auth import hash_password

# (username, role, agency code or None, what they see): one user per role.
DEMO_USERS = (
    ("demo.reviewer", "reviewer", None, "antrean tinjauan"),
    ("demo.admin", "admin", None, "admin, dasbor"),
    ("demo.pimpinan", "pimpinan", None, "dasbor untuk pimpinan"),
    ("demo.pic", "pic", "dpupr", "kasus PIC DPUPR"),
)


@dataclass(frozen=True)
class Story:
    agency: str
    category: str
    complaint: str
    action: str
    colour: tuple[int, int, int]


# {desa} and {first} are filled in; {first} is the reporter's first name, which a hurried PIC
# sometimes writes into the follow-up and the caption scrubber must remove.
GENERAL = [
    Story(
        "dpupr",
        "jalan",
        "Jalan di desa {desa} berlubang besar depan SD, sdh 2 bulan gak "
        "diperbaiki, bahaya buat anak sekolah pak",
        "Lubang jalan sepanjang 40 meter sudah "
        "ditambal dengan aspal hotmix oleh tim UPT Jalan dan Jembatan.",
        (90, 90, 90),
    ),
    Story(
        "dpupr",
        "drainase",
        "Saluran air di {desa} mampet, kalau hujan air meluber ke jalan dan rumah warga",
        "Saluran sepanjang 120 meter sudah dinormalisasi dan sedimen "
        "diangkut. Terima kasih Bu {first} atas laporannya.",
        (70, 110, 140),
    ),
    Story(
        "dishub",
        "pju",
        "Lampu PJU di perempatan {desa} mati sudah seminggu, gelap banget kalau malam",
        "Lampu PJU sudah diganti dengan lampu LED baru dan menyala kembali sejak Selasa malam.",
        (30, 30, 60),
    ),
    Story(
        "dlh",
        "sampah",
        "Tumpukan sampah di pinggir jalan {desa} ora diangkut-angkut, mambu banget",
        "Sampah sudah diangkut 3 rit truk dan titik itu masuk jadwal "
        "angkut rutin dua kali seminggu.",
        (110, 100, 60),
    ),
    Story(
        "tirta-ayu",
        "air-bersih",
        "Air PDAM di {desa} mati 3 hari, warga kesulitan air bersih",
        "Pipa distribusi yang bocor sudah diganti dan aliran air kembali normal. "
        "Mohon maaf atas ketidaknyamanannya.",
        (40, 120, 170),
    ),
    Story(
        "disdikbud",
        "pendidikan",
        "Atap kelas di SD negeri {desa} bocor, kalau hujan murid dipindah ke perpustakaan",
        "Atap dua ruang kelas sudah diperbaiki dan plafon yang rusak diganti.",
        (150, 120, 90),
    ),
    Story(
        "dinkes",
        "kesehatan",
        "Antrean di puskesmas {desa} panjang sekali, loket cuma satu",
        "Puskesmas menambah satu loket pendaftaran dan membuka pendaftaran online mulai bulan ini.",
        (200, 200, 210),
    ),
    Story(
        "disperkim",
        "fasilitas-umum",
        "Taman desa {desa} rusak, ayunan patah, bahaya buat bocah",
        "Ayunan dan bangku taman sudah diganti, area bermain dicat ulang.",
        (60, 140, 60),
    ),
    Story(
        "satpolpp",
        "ketertiban",
        "Reklame liar di jalan raya {desa} nutupi rambu lalu lintas",
        "Reklame tanpa izin sudah ditertibkan dan rambu kembali terlihat jelas.",
        (160, 60, 60),
    ),
    Story(
        "disdukcapil",
        "administrasi",
        "Cetak KTP-el di kecamatan katanya blangko habis terus",
        "Blangko KTP-el sudah didistribusikan ke kecamatan dan layanan cetak berjalan "
        "normal kembali.",
        (120, 120, 160),
    ),
]

CONFLICT = [
    Story(
        "dpupr",
        "jalan",
        "Tetangga saya membangun pagar melewati batas tanah sampai ke jalan "
        "desa {desa}, sudah ditegur malah mengancam",
        "Sudah dilakukan mediasi di balai desa bersama kedua pihak.",
        (90, 90, 90),
    ),
    Story(
        "dinsos",
        "sosial",
        "Bansos di {desa} cuma dibagi ke keluarga kades, ada pungli Rp 50.000 per orang",
        "Sudah dilakukan klarifikasi ke pemerintah desa.",
        (180, 150, 80),
    ),
    Story(
        "bpn",
        "pertanahan",
        "Sengketa tanah warisan dengan saudara, sertifikat dipegang kakak dan tidak mau dibagi",
        "Para pihak diarahkan ke mediasi kantor pertanahan.",
        (100, 80, 60),
    ),
]


def draw_photo(colour: tuple[int, int, int], phase: str, seed_value: int) -> bytes:
    """A 1600x1200 'phone photo' with GPS and a camera serial in its EXIF."""
    rnd = random.Random(seed_value)
    image = Image.new("RGB", (1600, 1200), (135, 190, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 600, 1600, 1200), fill=colour)
    for _ in range(40):
        x, y = rnd.randint(0, 1600), rnd.randint(620, 1180)
        shade = tuple(max(0, min(255, c + rnd.randint(-25, 25))) for c in colour)
        draw.ellipse((x, y, x + 60, y + 20), fill=shade)
    if phase == "before":
        draw.ellipse((600, 800, 1000, 950), fill=(35, 30, 25))
    else:
        draw.rectangle((560, 790, 1040, 960), fill=tuple(min(255, c + 30) for c in colour))
    draw.rectangle((1250, 150, 1450, 600), fill=(70, 120, 60))
    exif = Image.Exif()
    exif[0x010F] = "DemoPhone"  # Make
    exif[0xA431] = "SERIAL-0001"  # BodySerialNumber
    gps = {1: "S", 2: (6.0, 58.0, 59.0), 3: "E", 4: (109.0, 8.0, 20.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def generate_records(
    n: int, feed: FakeCaseFeed, feed_url: str, rng: random.Random
) -> list[dict[str, Any]]:
    fake = Faker("id_ID")
    fake.seed_instance(rng.randint(0, 10**6))
    ref = load_reference()
    now = utcnow()
    records = []
    for i in range(n):
        conflict = i % 10 == 9
        story = rng.choice(CONFLICT if conflict else GENERAL)
        place = rng.choice(ref.kecamatan)
        desa = rng.choice(place.desa)
        name = fake.name()
        first = name.split()[0]
        reported = now - timedelta(days=rng.randint(4, 30), hours=rng.randint(0, 12))
        resolved = reported + timedelta(days=rng.randint(1, 3))
        media = []
        for phase in ("before", "after"):
            media_name = f"case{i:03d}-{phase}.jpg"
            feed.add_media(media_name, draw_photo(story.colour, phase, i * 2 + len(phase)))
            media.append(
                {"url": f"{feed_url}/media/{media_name}", "taken_by": "pic", "phase": phase}
            )
        privacy = "rahasia" if i % 15 == 7 else "anonim" if i % 6 == 5 else "normal"
        records.append(
            {
                "id": f"APP-{2025000 + i}",
                "tracking_number": f"LPR-2025-{i + 101:05d}",
                "agency": story.agency,
                "category": story.category,
                "kecamatan": place.name,
                "desa": desa,
                "complaint": story.complaint.format(desa=desa, first=first),
                "privacy": privacy,
                "reporter": {
                    "name": name,
                    "phone": fake.phone_number(),
                    "nik": "".join(rng.choice("0123456789") for _ in range(16)),
                    "address": fake.street_address(),
                },
                "status": "resolved",
                "history": [
                    {"status": "received", "at": reported.isoformat()},
                    {"status": "in_progress", "at": (reported + timedelta(hours=5)).isoformat()},
                    {"status": "resolved", "at": resolved.isoformat()},
                ],
                "follow_up": {
                    "id": f"TL-{i}",
                    "text": story.action.format(desa=desa, first=first),
                    "submitted_at": resolved.isoformat(),
                    "media": media,
                },
                "updated_at": (resolved + timedelta(minutes=i)).isoformat(),
            }
        )
    return records


def run_demo(*, cases: int, root: str, console: Console) -> None:
    base = Path(root)
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    rng = random.Random(20251127)
    feed = FakeCaseFeed()
    fakes = DemoFakes(FakeTelegram(), FakeMetaGraph(), FakeX(), {})
    with (
        ServerThread(feed.app()) as feed_server,
        ServerThread(fakes.telegram.app()) as tg_server,
        ServerThread(fakes.meta.app()) as meta_server,
        ServerThread(fakes.meta.video_app()) as meta_video_server,
        ServerThread(fakes.x.app()) as x_server,
    ):
        fakes.urls = {
            "telegram": tg_server.url,
            "meta": f"{meta_server.url}/v21.0",
            "meta_video": f"{meta_video_server.url}/v21.0",
            "x": x_server.url,
        }
        settings = demo_settings(
            base, new_key(), sources=[SourceConfig(name="lapor-app", url=feed_server.url)]
        )
        (base / "secret.key").write_text(settings.secret_key + "\n")
        ctx = AppContext.from_settings(settings, worker_id="demo-worker")
        try:
            # Renditions are served from signed URLs by the web app, as in production.
            with ServerThread(create_app(ctx)) as web:
                ctx.settings.public_base_url = web.url
                _run(ctx, cases, feed, feed_server.url, fakes, rng, console, base)
        finally:
            ctx.close()


def _folder_account(agency: Agency) -> SocialAccount:
    """The folder platform needs no login: its account is made directly. Telegram, Facebook,
    Instagram and X are connected through the admin page (:mod:`publisher.demo.connect`)."""
    return SocialAccount(
        agency_id=agency.id, platform="folder", handle=agency.code, max_posts_per_hour=60
    )


def _run(
    ctx: AppContext,
    cases: int,
    feed: FakeCaseFeed,
    feed_url: str,
    fakes: DemoFakes,
    rng: random.Random,
    console: Console,
    base: Path,
) -> None:
    with console.status("migrating and seeding Kabupaten Tegal..."):
        migrate.upgrade(ctx.engine)
        with ctx.sessions() as session, session.begin():
            seed(session)
            passwords = _demo_users(session)
            agencies = list(session.scalars(select(Agency).where(Agency.kind != "kecamatan")))
            session.add_all(_folder_account(agency) for agency in agencies)
            listed = [DemoAgency(a.id, a.code, a.name) for a in agencies]
    with console.status("connecting X, Facebook, Instagram and Telegram by logging in..."):
        connected = connect_all(ctx, fakes, listed, passwords["demo.admin"])
        with ctx.sessions() as session, session.begin():
            # The demo publishes more per hour than a real account would.
            session.execute(update(SocialAccount).values(max_posts_per_hour=60))
    page_tokens_at_connect = fakes.meta.page_tokens_issued
    feed.add(*generate_records(cases, feed, feed_url, rng))
    # One broken record, as real feeds have: it is quarantined and the rest goes on.
    feed.add(
        {
            "id": "APP-BROKEN",
            "tracking_number": "LPR-2025-99999",
            "status": "resolved",
            "updated_at": utcnow().isoformat(),
        }
    )
    for name, job in (("collect", collect), ("screen", screen), ("render", render)):
        with console.status(f"running job {name}..."):
            run_recorded(ctx, name, job)
    approved = 0
    with ctx.sessions() as session, session.begin():
        reviewer_row = session.scalar(select(User).where(User.username == "demo.reviewer"))
        assert reviewer_row is not None
        for post in review.queue(session, ("pending_review",), limit=10_000):
            review.approve(session, post.id, reviewer_row, vault=ctx.vault)
            approved += 1
    with console.status("publishing..."):
        while run_recorded(ctx, "publish", publish).get("claimed"):
            pass
    renewals = {
        "accounts connected through the admin page": connected,
        "X tokens refreshed (rotated pairs)": fakes.x.refreshes,
        "Meta Page tokens renewed": fakes.meta.page_tokens_issued - page_tokens_at_connect,
    }
    received = {
        "telegram": len(fakes.telegram.live()),
        "facebook": len(fakes.meta.live_posts()),
        "instagram": len(fakes.meta.live_ig_media()),
        "x": len(fakes.x.live_posts()),
    }
    _summary(ctx, console, approved, base, received, renewals)
    _how_to_sign_in(console, base, passwords)


def _demo_users(session: Any) -> dict[str, str]:
    """One user per role with a password generated for this run; returns them in clear."""
    agencies = {a.code: a.id for a in session.scalars(select(Agency))}
    passwords = {}
    for username, role, agency, _ in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        session.add(
            User(
                username=username,
                role=role,
                agency_id=agencies[agency] if agency else None,
                full_name=f"{role.capitalize()} Demo",
                password_hash=hash_password(password),
            )
        )
        passwords[username] = password
    return passwords


def _how_to_sign_in(console: Console, base: Path, passwords: dict[str, str]) -> None:
    folder = "" if base == Path("var/demo") else f" --folder {base}"
    console.print()
    console.print("Open the web app on the demo data:", highlight=False)
    console.print(f"  .venv/bin/lapor demo-web{folder}", highlight=False)
    console.print(f"  then http://127.0.0.1:{DEMO_WEB_PORT}/login", highlight=False)
    console.print("Demo users (passwords generated for this demo only):", highlight=False)
    for username, role, _, sees in DEMO_USERS:
        console.print(f"  {username:<15} {passwords[username]}  ({role}: {sees})", highlight=False)


def _summary(
    ctx: AppContext,
    console: Console,
    approved: int,
    base: Path,
    received: dict[str, int],
    renewals: dict[str, int],
) -> None:
    with ctx.sessions() as session:
        collected = session.scalar(select(func.count()).select_from(Case)) or 0
        quarantined = session.scalar(select(func.count()).select_from(Quarantine)) or 0
        screened_out = (
            session.scalar(
                select(func.count(func.distinct(Screening.case_id))).where(
                    Screening.decision == "block"
                )
            )
            or 0
        )
        blocked_posts = (
            session.scalar(
                select(func.count()).select_from(Post).where(Post.review_state == "blocked")
            )
            or 0
        )
        per_platform = dict(
            session.execute(
                select(SocialAccount.platform, func.count())
                .select_from(Delivery)
                .join(SocialAccount, SocialAccount.id == Delivery.account_id)
                .where(Delivery.state == "published")
                .group_by(SocialAccount.platform)
            ).all()
        )
    table = Table(title="#LaporBupatiTegal demo", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("cases collected", str(collected))
    table.add_row("records quarantined", str(quarantined))
    table.add_row("cases screened out (conflict-prone or rahasia)", str(screened_out))
    table.add_row("posts held as blocked for a second reviewer", str(blocked_posts))
    table.add_row("posts approved", str(approved))
    for platform in platform_names():
        table.add_row(f"published to {platform}", str(per_platform.get(platform, 0)))
    for platform, count in received.items():
        table.add_row(f"posts received by the fake {platform} server", str(count))
    for what, count in renewals.items():
        table.add_row(what, str(count))
    with ctx.sessions() as session:
        for state, count in session.execute(
            select(Delivery.state, func.count())
            .where(Delivery.state != "published")
            .group_by(Delivery.state)
        ).all():
            table.add_row(f"deliveries {state}", str(count))
    console.print(table)
    console.print(f"posts written as files under: {(base / 'posts').resolve()}")
