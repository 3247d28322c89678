"""The public follow-up pages under ``/publik``: no login, server-rendered, tiny, no JS needed.

Routes (all ``GET``)::

    /publik                     gallery (default) or list (?tampilan=daftar) of published
                                follow-ups; filters ?kecamatan= &instansi= &kategori= &bulan=
                                (YYYY-MM) &halaman=
    /publik/tl/{case_id}        one follow-up: caption, photos, links to the live posts and,
                                for SP4N-LAPOR! cases, to its public tracking page
    /publik/foto/{sha256}.jpg   a small JPEG of a published photo (from the public media store)
    /publik/kinerja             responsiveness per agency (publisher.monitoring) for a year,
                                figures only for agencies with at least LAPOR_RANKING_MIN_CASES
    /publik/data                data dictionary of the open data
    /publik/data/kinerja-{tahun}.csv | .json   the same figures as open data
    /publik/feed.xml            Atom feed of the latest follow-ups
    /publik/widget              embeddable list (framable) for the Pemkab website
    /publik/sematkan            how to embed the widget

What is shown, and why it is safe: only cases with a delivery in state ``published`` whose post
is ``approved`` (edits send a post back to review, so an approved post's caption is what went
out) and whose privacy mode is not ``rahasia``; blocked and rejected posts have no published
delivery. Captions are shown as stored (scrubbed and checked before approval) and run once more
through :func:`publisher.posts.captions.public_text` with the case's known identities; places go
through :func:`publisher.posts.captions.official_place` (official names only, never finer than
desa). Photos come only from ``ctx.media`` (never the private store), only when a published
post lists them, and never when a reporter supplied them.

Speed: one query builds a :class:`Snapshot` of everything public, kept in memory for
``LAPOR_PUBLIC_CACHE_S`` and rebuilt in the background when stale (requests keep being served
from the old one); rendered pages are cached per snapshot and query. Aggregates are cached the
same way. See docs/public.md and bench/public.py.

Errors: none of its own; unknown ids answer 404 with an Indonesian page.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.core.clock import utcnow
from publisher.core.errors import MediaMissing
from publisher.core.paths import templates_dir
from publisher.db.models import Agency, Case, Delivery, FollowUp, Media, Post, SocialAccount
from publisher.media.likeness import Likeness, looks_like, stored_fingerprints
from publisher.monitoring.stats import (
    LISTED_OVERDUE,
    UNASSIGNED,
    GroupStats,
    clear_report_cache,
    configured_report,
)
from publisher.platforms.registry import UnknownPlatform, get_spec
from publisher.posts.captions import official_place, plain_category, public_text
from publisher.posts.tracking import sp4n_sources
from publisher.privacy.guard import case_identities, scrub
from publisher.runtime.context import AppContext
from publisher.web import formats
from publisher.web.deps import Ctx, per_app

log = logging.getLogger(__name__)

PAGE_SIZE = 24
FEED_SIZE = 30
WIDGET_SIZE = 5
THUMB_WIDTH = 480
RENDER_CACHE_SIZE = 256
PAGE_HEADERS = {"cache-control": "public, max-age=60"}
# The widget is meant to be framed by the Pemkab website (any site may embed it: it shows only
# what is public anyway). CSP frame-ancestors overrides X-Frame-Options in current browsers; the
# non-standard value keeps the app-wide DENY from being added.
WIDGET_HEADERS = {
    **PAGE_HEADERS,
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *",
    "x-frame-options": "ALLOWALL",
}


def month_label(key: str) -> str:
    year, month = key.split("-")
    return formats.month(date(int(year), int(month), 1))


def day_label(moment: datetime, ctx_tz: Any) -> str:
    return formats.day(moment.astimezone(ctx_tz).date())


# --- the snapshot of everything public --------------------------------------------------------


@dataclass(frozen=True)
class PublicLink:
    platform: str
    label: str
    url: str


@dataclass
class PublicItem:
    case_id: int
    tracking_number: str
    agency_code: str
    agency_name: str
    category: str
    category_label: str
    place: str
    kecamatan: str
    desa: str
    published_at: datetime
    month: str
    caption_raw: str
    photos: list[str] = field(default_factory=list)
    has_video: bool = False
    links: list[PublicLink] = field(default_factory=list)
    sp4n_url: str = ""
    caption_rank: int = 99
    caption: str | None = None  # the scrubbed caption, filled on first display


@dataclass
class Snapshot:
    items: list[PublicItem]  # newest first
    by_id: dict[int, PublicItem]
    photos: frozenset[str]
    kecamatan: list[str]
    agencies: list[tuple[str, str]]
    categories: list[tuple[str, str]]
    months: list[str]
    built_at: float
    version: int


def _public_rows(session: Session) -> Iterable[Any]:
    return session.execute(
        select(
            Case.id,
            Case.tracking_number,
            Case.source,
            Case.category,
            Case.kecamatan,
            Case.desa,
            Agency.code,
            Agency.name,
            Post.caption,
            Post.media,
            SocialAccount.platform,
            Delivery.remote_url,
            Delivery.published_at,
        )
        .select_from(Delivery)
        .join(Post, Post.id == Delivery.post_id)
        .join(Case, Case.id == Post.case_id)
        .join(SocialAccount, SocialAccount.id == Delivery.account_id)
        .outerjoin(Agency, Agency.id == Case.agency_id)
        .where(
            Delivery.state == "published",
            Post.review_state == "approved",
            Case.privacy_mode != "rahasia",
        )
        .order_by(Delivery.published_at.desc(), Delivery.id.desc())
    )


def build_snapshot(ctx: AppContext, version: int = 1) -> Snapshot:
    """Everything the public pages may show, from one query (plus the reporter-media guard)."""
    tz = ctx.settings.tz
    sp4n = sp4n_sources(ctx.settings)
    labels: dict[str, str] = {}
    places: dict[tuple[str, str], tuple[str, str, str]] = {}
    items: dict[int, PublicItem] = {}
    with ctx.readonly_sessions() as session:
        by_case: dict[int, list[str]] = {}
        for case_id, sha in session.execute(
            select(FollowUp.case_id, Media.sha256)
            .join(FollowUp, Media.follow_up_id == FollowUp.id)
            .where(Media.supplied_by != "pic", Media.sha256 != "")
            .order_by(Media.sha256)
        ):
            by_case.setdefault(case_id, []).append(sha)
        reporter_media = {sha for shas in by_case.values() for sha in shas}
        # By content too: a rendition of a reporter's photo (or the photo re-attached by a PIC)
        # has another hash than the original but the same picture. The same picture is looked
        # for among every case's reporter photos (pHash, cheap); a crop (a platform's 4:5 or
        # square rendition) among the case's own (keypoints, ~10 ms a pair).
        prints = {sha: list(stored_fingerprints(ctx.media, sha, ".jpg")) for sha in reporter_media}
        everywhere = [p for shas in prints.values() for p in shas]
        for row in _public_rows(session):
            (cid, tracking, source, category, kec, desa, acode, aname) = row[:8]
            caption, media, platform, remote_url, published_at = row[8:]
            item = items.get(cid)
            if item is None:
                if category not in labels:
                    labels[category] = scrub(plain_category(category), None)
                if (kec, desa) not in places:
                    places[(kec, desa)] = official_place(kec, desa)
                place, official_kec, official_desa = places[(kec, desa)]
                local = published_at.astimezone(tz)
                item = items[cid] = PublicItem(
                    case_id=cid,
                    tracking_number=tracking,
                    agency_code=acode or UNASSIGNED,
                    agency_name=aname or "Pemerintah Kabupaten Tegal",
                    category=category,
                    category_label=labels[category],
                    place=place,
                    kecamatan=official_kec,
                    desa=official_desa,
                    published_at=published_at,
                    month=f"{local.year:04d}-{local.month:02d}",
                    caption_raw=caption,
                    sp4n_url=_sp4n_url(ctx, source, tracking) if source in sp4n else "",
                )
            # One post speaks for the case: the long-form one, with its own renditions (each
            # platform's post carries its own crops of the same photos).
            rank, platform_label = _rank_and_label(platform)
            if rank < item.caption_rank:
                item.caption_raw, item.caption_rank = caption, rank
                item.photos, item.has_video = _post_media(
                    media,
                    reporter_media,
                    partial(
                        reporter_likeness,
                        ctx,
                        everywhere=everywhere,
                        this_case=[p for r in by_case.get(cid, []) for p in prints[r]],
                    ),
                )
            if remote_url.startswith(("https://", "http://")) and all(
                link.url != remote_url for link in item.links
            ):
                item.links.append(PublicLink(platform, platform_label, remote_url))
    ordered = list(items.values())  # insertion order is newest first
    return Snapshot(
        items=ordered,
        by_id=items,
        photos=frozenset(sha for item in ordered for sha in item.photos),
        kecamatan=sorted({i.kecamatan for i in ordered if i.kecamatan}),
        agencies=sorted({(i.agency_code, i.agency_name) for i in ordered}, key=lambda a: a[1]),
        categories=sorted({(i.category, i.category_label) for i in ordered}, key=lambda c: c[1]),
        months=sorted({i.month for i in ordered}, reverse=True),
        built_at=time.monotonic(),
        version=version,
    )


def reporter_likeness(
    ctx: AppContext, sha: str, everywhere: list[Likeness], this_case: list[Likeness]
) -> bool:
    """Whether the photo ``sha`` shows a reporter's picture: the same picture as any reporter's
    (pHash), or a crop of one of this case's (keypoints too)."""
    if not everywhere:
        return False
    candidate = stored_fingerprints(ctx.media, sha, ".jpg")
    return looks_like(candidate, everywhere, crops=False) or looks_like(candidate, this_case)


def _post_media(
    media: Any, reporter_media: set[str], reporter_like: Callable[[str], bool]
) -> tuple[list[str], bool]:
    photos: list[str] = []
    has_video = False
    for entry in media if isinstance(media, list) else []:
        sha = str(entry.get("sha256", "")) if isinstance(entry, dict) else ""
        if not sha or sha in reporter_media or entry.get("supplied_by") == "reporter":
            continue
        if entry.get("left_out"):  # not in the published post (posts/fitting.py)
            continue
        if entry.get("kind") == "photo" and reporter_like(sha):
            continue
        if entry.get("kind") == "photo" and sha not in photos:
            photos.append(sha)
        elif entry.get("kind") == "video":
            has_video = True
    return photos, has_video


def _rank_and_label(platform: str) -> tuple[int, str]:
    """Which post speaks for a case (lowest rank: the long-form one) and the link's label."""
    try:
        spec = get_spec(platform)
    except UnknownPlatform:  # an account of a platform no longer registered still shows
        return 98, platform
    return spec.public_rank, spec.label


def _sp4n_url(ctx: AppContext, source: str, tracking: str) -> str:
    from publisher.posts.tracking import sp4n_tracking_url

    return sp4n_tracking_url(ctx.settings, source, tracking)


class Cached:
    """A value rebuilt after ``ttl_s``: the first build blocks, later ones run in a background
    thread while callers keep the previous value (stale-while-revalidate)."""

    def __init__(self, build: Callable[[int], Any], ttl_s: float) -> None:
        self._build = build
        self._ttl = ttl_s
        self._value: Any = None
        self._built_at = 0.0
        self._version = 0
        self._lock = threading.Lock()
        self._refreshing = False

    def get(self) -> Any:
        now = time.monotonic()
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._version += 1
                    self._value, self._built_at = self._build(self._version), time.monotonic()
            return self._value
        if now - self._built_at > self._ttl and not self._refreshing:
            with self._lock:
                if not self._refreshing:
                    self._refreshing = True
                    threading.Thread(target=self._refresh, daemon=True).start()
        return self._value

    def _refresh(self) -> None:
        try:
            value = self._build(self._version + 1)
            self._version += 1
            self._value, self._built_at = value, time.monotonic()
        except Exception:
            # Keep serving the previous value; the next stale read tries again.
            log.exception("public cache rebuild failed")
        finally:
            self._refreshing = False

    def invalidate(self) -> None:
        """Drop the value: the next ``get`` rebuilds it (tests and the CLI use this)."""
        with self._lock:
            self._value = None


# --- aggregate responsiveness per agency ----------------------------------------------------


@dataclass(frozen=True)
class AgencyFigures:
    code: str
    name: str
    enough: bool  # at least the minimum sample of received cases
    received: int | None
    answered: int | None
    answered_pct: float | None
    unanswered: int | None
    overdue: int | None
    resolved: int | None
    published: int | None
    median_response_wd: float | None
    median_resolution_wd: float | None
    rank: int | None


@dataclass(frozen=True)
class Aggregates:
    year: int
    start: date
    end: date
    min_cases: int
    built_at: datetime
    agencies: list[AgencyFigures]
    overdue_wd: int = 3


def _rank_key(s: GroupStats) -> tuple[float, float, float, int, str]:
    # The monitoring ranking's order (answered share, then speed, then fewest overdue).
    inf = float("inf")
    return (
        -s.answered_share,
        inf if s.median_response_wd is None else s.median_response_wd,
        inf if s.median_resolution_wd is None else s.median_resolution_wd,
        s.overdue,
        s.key,
    )


def build_aggregates(ctx: AppContext, year: int) -> Aggregates:
    s = ctx.settings
    now = utcnow()
    today = now.astimezone(s.tz).date()
    start, end = date(year, 1, 1), min(date(year, 12, 31), today)
    # "As of now": shared with /dashboard (same filter and list length), cached.
    report = configured_report(ctx, start=start, end=end, overdue_limit=LISTED_OVERDUE)
    groups = [g for g in report.agencies if g.key != UNASSIGNED]
    enough = sorted((g for g in groups if g.received >= s.ranking_min_cases), key=_rank_key)
    ranks = {g.key: i + 1 for i, g in enumerate(enough)}
    rows = [_figures(g, ranks.get(g.key)) for g in enough]
    rows += sorted(
        (_figures(g, None) for g in groups if g.received < s.ranking_min_cases),
        key=lambda f: f.name,
    )
    return Aggregates(year, start, end, s.ranking_min_cases, now, rows, s.overdue_working_days)


def _figures(g: GroupStats, rank: int | None) -> AgencyFigures:
    if rank is None:
        # Below the minimum sample nothing is published: small numbers mislead and can point
        # at a single case.
        return AgencyFigures(
            g.key, g.label, False, None, None, None, None, None, None, None, None, None, None
        )
    return AgencyFigures(
        code=g.key,
        name=g.label,
        enough=True,
        received=g.received,
        answered=g.answered,
        answered_pct=round(100 * g.answered_share, 1),
        unanswered=g.unanswered,
        overdue=g.overdue,
        resolved=g.resolved,
        published=g.published,
        median_response_wd=g.median_response_wd,
        median_resolution_wd=g.median_resolution_wd,
        rank=rank,
    )


# The open data columns: (name, type, meaning in Bahasa Indonesia, value). Drives the CSV, the
# JSON and the data dictionary page, so the three cannot disagree.
COLUMNS: tuple[tuple[str, str, str, Callable[[AgencyFigures], object]], ...] = (
    ("kode_instansi", "teks", "Kode instansi (OPD) di aplikasi.", lambda f: f.code),
    ("nama_instansi", "teks", "Nama instansi.", lambda f: f.name),
    (
        "sampel_cukup",
        "boolean",
        "Benar bila aduan yang diterima mencapai sampel minimum; bila salah, angka lain kosong.",
        lambda f: f.enough,
    ),
    ("peringkat", "bilangan bulat", "Peringkat keresponsifan (1 = terbaik).", lambda f: f.rank),
    (
        "diterima",
        "bilangan bulat",
        "Aduan yang diterima pada tahun tersebut.",
        lambda f: f.received,
    ),
    (
        "dijawab",
        "bilangan bulat",
        "Aduan yang sudah mendapat respons pertama.",
        lambda f: f.answered,
    ),
    (
        "persen_dijawab",
        "desimal",
        "Dijawab dibagi diterima, dalam persen (satu angka di belakang koma).",
        lambda f: f.answered_pct,
    ),
    (
        "belum_dijawab",
        "bilangan bulat",
        "Aduan yang belum mendapat respons apa pun (diterima dikurangi dijawab).",
        lambda f: f.unanswered,
    ),
    (
        "terlambat",
        "bilangan bulat",
        "Aduan yang belum selesai dan tanpa progres lebih dari batas hari kerja "
        "(LAPOR_OVERDUE_WORKING_DAYS, bawaan 3).",
        lambda f: f.overdue,
    ),
    ("selesai", "bilangan bulat", "Aduan yang sudah selesai ditangani.", lambda f: f.resolved),
    (
        "dipublikasikan",
        "bilangan bulat",
        "Aduan yang tindak lanjutnya sudah terbit di media sosial.",
        lambda f: f.published,
    ),
    (
        "median_respons_hari_kerja",
        "desimal",
        "Median hari kerja dari aduan masuk sampai respons pertama.",
        lambda f: f.median_response_wd,
    ),
    (
        "median_selesai_hari_kerja",
        "desimal",
        "Median hari kerja dari aduan masuk sampai selesai.",
        lambda f: f.median_resolution_wd,
    ),
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    # A spreadsheet runs a cell starting with these as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def aggregates_csv(agg: Aggregates) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, *_ in COLUMNS])
    for row in agg.agencies:
        writer.writerow([_cell(get(row)) for *_, get in COLUMNS])
    return out.getvalue()


def aggregates_json(agg: Aggregates, dictionary_url: str) -> dict[str, Any]:
    return {
        "tahun": agg.year,
        "periode": {"mulai": agg.start.isoformat(), "sampai": agg.end.isoformat()},
        "dibuat": agg.built_at.isoformat(),
        "sampel_minimum": agg.min_cases,
        "kamus_data": dictionary_url,
        "instansi": [{name: get(row) for name, _, _, get in COLUMNS} for row in agg.agencies],
    }


# --- the web routes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    kecamatan: str = ""
    instansi: str = ""
    kategori: str = ""
    bulan: str = ""

    def match(self, item: PublicItem) -> bool:
        return (
            (not self.kecamatan or item.kecamatan == self.kecamatan)
            and (not self.instansi or item.agency_code == self.instansi)
            and (not self.kategori or item.category == self.kategori)
            and (not self.bulan or item.month == self.bulan)
        )

    def query(self, **extra: object) -> str:
        values = {k: v for k, v in vars(self).items() if v}
        values.update({k: v for k, v in extra.items() if v})
        return urlencode(values)


class PublicSite:
    """The state behind the routes: snapshot, aggregates per year, rendered-page cache."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        ttl = float(ctx.settings.public_cache_s)
        self.snapshot = Cached(lambda version: build_snapshot(ctx, version), ttl)
        self._aggregates: dict[int, Cached] = {}
        self._pages: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._pages_lock = threading.Lock()
        self.env = Environment(
            loader=FileSystemLoader(templates_dir() / "web" / "public"),
            autoescape=select_autoescape(["html", "xml"], default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["month"] = month_label
        self.env.filters["day"] = lambda m: day_label(m, ctx.settings.tz)
        self.env.filters["num"] = formats.number
        self.env.filters["date"] = formats.day
        self.thumbs = Path(ctx.settings.media_dir) / "public-thumbs"

    def current(self) -> Snapshot:
        snap: Snapshot = self.snapshot.get()
        return snap

    def aggregates(self, year: int) -> Aggregates:
        cached = self._aggregates.get(year)
        if cached is None:
            cached = self._aggregates.setdefault(
                year,
                Cached(
                    lambda _v: build_aggregates(self.ctx, year),
                    self.ctx.settings.public_cache_s * 5,
                ),
            )
        agg: Aggregates = cached.get()
        return agg

    def invalidate(self) -> None:
        self.snapshot.invalidate()
        clear_report_cache(self.ctx.engine)  # the figures are read from the shared reports
        for cached in self._aggregates.values():
            cached.invalidate()
        with self._pages_lock:
            self._pages.clear()

    def captions(self, items: list[PublicItem]) -> None:
        """Scrub the captions of ``items`` that have not been shown yet (once per snapshot)."""
        todo = [i for i in items if i.caption is None]
        if not todo:
            return
        with self.ctx.readonly_sessions() as session:
            people = {
                cid: (reporter, party)
                for cid, reporter, party in session.execute(
                    select(Case.id, Case.reporter, Case.reported_party).where(
                        Case.id.in_([i.case_id for i in todo])
                    )
                )
            }
        for item in todo:
            reporter, party = people.get(item.case_id, (None, None))
            known = case_identities(Case(reporter=reporter, reported_party=party), self.ctx.vault)
            # The hotline and app link the caption names are where to complain, not a person.
            settings = self.ctx.settings
            official = (settings.complaint_whatsapp, settings.complaint_app_url)
            item.caption = public_text(item.caption_raw, known, official)

    def cached_page(self, key: tuple[Any, ...], render: Callable[[], str]) -> bytes:
        with self._pages_lock:
            hit = self._pages.get(key)
            if hit is not None:
                self._pages.move_to_end(key)
                return hit
        body = render().encode()
        with self._pages_lock:
            self._pages[key] = body
            while len(self._pages) > RENDER_CACHE_SIZE:
                self._pages.popitem(last=False)
        return body

    def render(self, name: str, **context: Any) -> str:
        s = self.ctx.settings
        return self.env.get_template(name).render(
            base=s.public_base_url.rstrip("/"),
            complain={"whatsapp": s.complaint_whatsapp, "app_url": s.complaint_app_url},
            **context,
        )

    def thumbnail(self, sha256: str) -> Path:
        target = self.thumbs / sha256[:2] / f"{sha256}-w{THUMB_WIDTH}.jpg"
        if target.exists():
            return target
        try:
            source = self.ctx.media.local_path(sha256, ".jpg")
        except MediaMissing:
            raise HTTPException(404, "Foto tidak ditemukan.") from None
        try:
            with Image.open(source) as image:
                image.draft("RGB", (THUMB_WIDTH, THUMB_WIDTH))
                small = ImageOps.exif_transpose(image).convert("RGB")
                small.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 2))
                out = io.BytesIO()
                small.save(out, "JPEG", quality=70, optimize=True, progressive=True)
        except (OSError, ValueError):
            log.warning("public thumbnail of media %s could not be made", sha256[:12])
            raise HTTPException(404, "Foto tidak ditemukan.") from None
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(out.getvalue())
        tmp.replace(target)
        return target


def _year(ctx: AppContext, tahun: str) -> int:
    this_year = utcnow().astimezone(ctx.settings.tz).year
    if not tahun:
        return this_year
    if not tahun.isdigit() or not 2015 <= int(tahun) <= this_year:
        raise HTTPException(404, "Tahun tidak tersedia.")
    return int(tahun)


router = APIRouter(prefix="/publik", tags=["public"], include_in_schema=False)
# One per app: the snapshot, aggregates and rendered pages of that app's database.
Site = Annotated[PublicSite, Depends(per_app(PublicSite))]


def html(body: bytes | str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers=headers or PAGE_HEADERS,
    )


@router.get("", response_class=HTMLResponse)
def home(
    site: Site,
    kecamatan: str = Query(""),
    instansi: str = Query(""),
    kategori: str = Query(""),
    bulan: str = Query(""),
    tampilan: str = Query("galeri"),
    halaman: int = Query(1, ge=1, le=10_000),
) -> Response:
    snap = site.current()
    filters = Filters(kecamatan[:80], instansi[:40], kategori[:80], bulan[:7])
    view = "daftar" if tampilan == "daftar" else "galeri"
    key = ("home", snap.version, filters, view, halaman)

    def render() -> str:
        matching = [i for i in snap.items if filters.match(i)]
        pages = max(1, -(-len(matching) // PAGE_SIZE))
        page = min(halaman, pages)
        shown = matching[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        site.captions(shown)
        return site.render(
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

    return html(site.cached_page(key, render))


@router.get("/tl/{case_id}", response_class=HTMLResponse)
def case_page(site: Site, case_id: int) -> Response:
    snap = site.current()
    item = snap.by_id.get(case_id)
    if item is None:
        body = site.render("missing.html")
        return html(body, 404, {"cache-control": "no-store"})
    site.captions([item])
    return html(
        site.cached_page(
            ("case", snap.version, case_id), lambda: site.render("case.html", item=item)
        )
    )


@router.get("/foto/{sha256}.jpg")
def photo(site: Site, sha256: str) -> Response:
    sha = sha256
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise HTTPException(404, "Foto tidak ditemukan.")
    if sha not in site.current().photos:
        raise HTTPException(404, "Foto tidak ditemukan.")
    return Response(
        site.thumbnail(sha).read_bytes(),
        media_type="image/jpeg",
        headers={"cache-control": "public, max-age=604800, immutable"},
    )


@router.get("/kinerja", response_class=HTMLResponse)
def performance(site: Site, ctx: Ctx, tahun: str = Query("")) -> Response:
    year = _year(ctx, tahun)
    agg = site.aggregates(year)
    this_year = utcnow().astimezone(ctx.settings.tz).year
    years = list(range(this_year, max(2015, this_year - 4) - 1, -1))
    return html(
        site.cached_page(
            ("kinerja", year, agg.built_at),
            lambda: site.render("kinerja.html", agg=agg, years=years),
        )
    )


@router.get("/data", response_class=HTMLResponse)
def dictionary(site: Site, ctx: Ctx) -> Response:
    year = utcnow().astimezone(ctx.settings.tz).year
    return html(
        site.render(
            "data.html", columns=COLUMNS, year=year, min_cases=ctx.settings.ranking_min_cases
        )
    )


@router.get("/data/kinerja-{tahun}.csv")
def data_csv(site: Site, ctx: Ctx, tahun: str) -> Response:
    agg = site.aggregates(_year(ctx, tahun))
    return Response(
        aggregates_csv(agg),
        media_type="text/csv; charset=utf-8",
        headers={
            **PAGE_HEADERS,
            "content-disposition": f'attachment; filename="kinerja-{agg.year}.csv"',
        },
    )


@router.get("/data/kinerja-{tahun}.json")
def data_json(site: Site, ctx: Ctx, tahun: str) -> Response:
    agg = site.aggregates(_year(ctx, tahun))
    url = f"{ctx.settings.public_base_url.rstrip('/')}/publik/data"
    return Response(
        json.dumps(aggregates_json(agg, url), ensure_ascii=False, indent=1),
        media_type="application/json; charset=utf-8",
        headers=PAGE_HEADERS,
    )


@router.get("/feed.xml")
def feed(site: Site) -> Response:
    snap = site.current()
    items = snap.items[:FEED_SIZE]
    site.captions(items)
    body = site.cached_page(
        ("feed", snap.version),
        lambda: site.render(
            "feed.xml", items=items, updated=items[0].published_at if items else utcnow()
        ),
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers=PAGE_HEADERS)


@router.get("/widget", response_class=HTMLResponse)
def widget(site: Site, instansi: str = Query("")) -> Response:
    snap = site.current()
    filters = Filters(instansi=instansi[:40])
    items = [i for i in snap.items if filters.match(i)][:WIDGET_SIZE]
    body = site.cached_page(
        ("widget", snap.version, filters),
        lambda: site.render("widget.html", items=items, filters=filters),
    )
    return html(body, headers=WIDGET_HEADERS)


@router.get("/sematkan", response_class=HTMLResponse)
def embed(site: Site) -> Response:
    snap = site.current()
    return html(site.render("embed.html", agencies=snap.agencies))
