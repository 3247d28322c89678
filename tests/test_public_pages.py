"""The public pages: only published follow-ups, never blocked, rejected or rahasia cases, no
personal data anywhere, filters, photos from the public store only, links to the live posts,
the Atom feed and the framable widget."""

from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.app.factory import create_app
from publisher.db.models import Post
from publisher.fakes.server import ServerThread
from publisher.platforms.telegram.fake import FakeTelegram
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.factories import feed_record, person
from tests.flow import add_account
from tests.public_support import (
    CONFLICT,
    add_photo,
    approve_case,
    case_id,
    feed_only,
    ingest_records,
    post_states,
    publish,
    published_case,
    reject_case,
)

TOKEN, CHANNEL = "123:secret", "@dpupr_tegal"
PUBLIC_PAGES = ("/publik", "/publik?tampilan=daftar", "/publik/kinerja", "/publik/data")


@pytest.fixture
def telegram() -> Iterator[str]:
    fake = FakeTelegram(tokens={TOKEN}, channels={CHANNEL})
    with ServerThread(fake.app()) as server:
        yield server.url


@pytest.fixture
def world(ctx: AppContext, telegram: str) -> dict[str, int]:
    """One case in each state that matters, with generated reporters."""
    add_account(ctx, "folder", "dpupr")
    add_account(
        ctx, "telegram", CHANNEL, {"bot_token": TOKEN, "chat_id": CHANNEL, "api_base": telegram}
    )
    published_case(ctx, 1)
    ingest_records(
        ctx,
        [
            feed_record(2, complaint=CONFLICT),
            feed_record(3),
            feed_record(4, privacy="rahasia"),
            feed_record(5),
        ],
    )
    reject_case(ctx, 3)
    approve_case(ctx, 5)  # approved, not yet published
    assert post_states(ctx, 2) == ["blocked", "blocked"]
    assert post_states(ctx, 4) == []
    return {n: case_id(ctx, n) for n in range(1, 6)}


def web(ctx: AppContext) -> TestClient:
    return TestClient(create_app(ctx))


def test_only_the_published_case_is_listed_and_the_others_have_no_page(
    ctx: AppContext, world: dict[str, int]
) -> None:
    client = web(ctx)
    home = client.get("/publik")
    assert home.status_code == 200
    assert "LPR-2025-00001" in home.text
    for n in (2, 3, 4, 5):
        assert f"LPR-2025-{n:05d}" not in home.text
        assert client.get(f"/publik/tl/{world[n]}").status_code == 404
    for path in ("/publik/feed.xml", "/publik/widget", "/publik?tampilan=daftar"):
        body = client.get(path).text
        assert "LPR-2025-00001" in body
        assert not any(f"LPR-2025-{n:05d}" in body for n in (2, 3, 4, 5))


def test_a_follow_up_page_links_to_the_live_posts_only(
    ctx: AppContext, world: dict[str, int]
) -> None:
    page = web(ctx).get(f"/publik/tl/{world[1]}")
    assert page.status_code == 200
    assert 'href="https://t.me/dpupr_tegal/' in page.text
    assert "file://" not in page.text  # the folder "platform" is an archive, not a live post
    assert "Lubang jalan sudah ditambal" in page.text


def test_no_reporter_identity_appears_on_any_public_page(
    ctx: AppContext, world: dict[str, int]
) -> None:
    client = web(ctx)
    bodies = [client.get(p).text for p in PUBLIC_PAGES]
    bodies += [client.get(f"/publik/tl/{cid}").text for cid in world.values()]
    bodies += [client.get(p).text for p in ("/publik/feed.xml", "/publik/widget")]
    bodies += [client.get("/publik/data/kinerja-2026.csv").text]
    for n in range(1, 6):
        reporter = person(n)
        for value in reporter.values():
            assert all(value not in body for body in bodies), n


def test_a_caption_is_scrubbed_again_before_it_is_shown(
    ctx: AppContext, world: dict[str, int]
) -> None:
    reporter = person(1)
    with ctx.sessions() as session, session.begin():
        # As if a stored caption had slipped through: the page must still not show it.
        for post in session.scalars(select(Post).where(Post.case_id == world[1])):
            post.caption += f"\nTerima kasih {reporter['name']} ({reporter['phone']})."
    body = web(ctx).get(f"/publik/tl/{world[1]}").text
    assert reporter["name"] not in body and reporter["phone"] not in body
    assert "Lubang jalan sudah ditambal" in body


def test_the_filters_narrow_the_list_by_kecamatan_agency_category_and_month(
    ctx: AppContext,
) -> None:
    add_account(ctx, "folder", "dpupr")
    add_account(ctx, "folder", "dlh", agency="dlh")
    published_case(ctx, 1, kecamatan="Slawi")
    published_case(ctx, 2, kecamatan="Adiwerna", agency="dlh", category="sampah")
    client = web(ctx)
    both = client.get("/publik").text
    assert "LPR-2025-00001" in both and "LPR-2025-00002" in both
    only = {
        "kecamatan=Adiwerna": "LPR-2025-00002",
        "instansi=dpupr": "LPR-2025-00001",
        "kategori=sampah": "LPR-2025-00002",
    }
    for query, expected in only.items():
        body = client.get(f"/publik?{query}").text
        other = "LPR-2025-00001" if expected.endswith("2") else "LPR-2025-00002"
        assert expected in body and other not in body, query
    month = client.get("/publik").text.split('name="bulan"')[1].split('<option value="')[2][:7]
    assert "LPR-2025-00002" in client.get(f"/publik?bulan={month}").text
    assert "Belum ada tindak lanjut" in client.get("/publik?bulan=2001-01").text


def test_photos_come_from_the_public_store_small_and_only_when_published(
    ctx: AppContext,
) -> None:
    add_account(ctx, "folder", "dpupr")
    feed_only(ctx, [feed_record(1), feed_record(2)])
    shown = add_photo(ctx, 1)
    reporters = add_photo(ctx, 1, supplied_by="reporter", colour=10)
    unpublished = add_photo(ctx, 2, colour=200)
    run_job(ctx, "screen")
    run_job(ctx, "render")
    approve_case(ctx, 1)
    publish(ctx)
    with ctx.sessions() as session:
        # What is shown is the published post's own rendition of the PIC's photo.
        post = session.scalars(select(Post).where(Post.review_state == "approved")).first()
        assert post is not None and shown not in {m["sha256"] for m in post.media} | {""}
        shown = post.media[0]["sha256"]
    client = web(ctx)
    assert f"/publik/foto/{shown}.jpg" in client.get("/publik").text
    photo = client.get(f"/publik/foto/{shown}.jpg")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(photo.content)) as image:
        assert image.width <= 480
    for sha in (reporters, unpublished, "0" * 64, "../../etc/passwd"):
        assert client.get(f"/publik/foto/{sha}.jpg").status_code == 404


def test_the_atom_feed_is_valid_and_lists_the_published_follow_ups(
    ctx: AppContext, world: dict[str, int]
) -> None:
    answer = web(ctx).get("/publik/feed.xml")
    assert answer.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(answer.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert len(entries) == 1
    assert entries[0].findtext("a:id", namespaces=ns, default="").endswith(f"/publik/tl/{world[1]}")
    assert "#LaporBupatiTegal" in entries[0].findtext("a:content", namespaces=ns, default="")


def test_the_widget_may_be_framed_and_the_other_pages_may_not(ctx: AppContext) -> None:
    client = web(ctx)
    widget = client.get("/publik/widget")
    assert "frame-ancestors *" in widget.headers["content-security-policy"]
    assert widget.headers["x-frame-options"] != "DENY"
    home = client.get("/publik")
    assert home.headers["x-frame-options"] == "DENY"
    assert "public" in home.headers["cache-control"]


def test_the_public_pages_need_no_login_and_no_javascript(
    ctx: AppContext, world: dict[str, int]
) -> None:
    client = TestClient(create_app(ctx), follow_redirects=False)
    for path in (*PUBLIC_PAGES, f"/publik/tl/{world[1]}", "/publik/sematkan", "/publik/widget"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "<script" not in answer.text, path


def test_a_new_publication_appears_once_the_snapshot_is_refreshed(
    tmp_path: Path,
) -> None:
    ctx = make_context(f"sqlite:///{tmp_path / 'test.db'}", tmp_path, public_cache_s=1)
    add_account(ctx, "folder", "dpupr")
    published_case(ctx, 1)
    client = web(ctx)
    assert "LPR-2025-00001" in client.get("/publik").text
    published_case(ctx, 2)
    assert "LPR-2025-00002" not in client.get("/publik").text  # served from the snapshot
    deadline = time.monotonic() + 10
    while "LPR-2025-00002" not in client.get("/publik").text:
        assert time.monotonic() < deadline, "the snapshot was never refreshed"
        time.sleep(0.2)
    ctx.close()


@pytest.mark.postgres
def test_the_public_page_reads_the_same_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    ctx = make_context(postgres_url, tmp_path)
    add_account(ctx, "folder", "dpupr")
    cid = published_case(ctx, 1)
    ingest_records(ctx, [feed_record(2, privacy="rahasia"), feed_record(3, complaint=CONFLICT)])
    client = web(ctx)
    home = client.get("/publik").text
    assert "LPR-2025-00001" in home
    assert "LPR-2025-00002" not in home and "LPR-2025-00003" not in home
    assert client.get(f"/publik/tl/{cid}").status_code == 200
    assert client.get("/publik/kinerja").status_code == 200
    ctx.close()


def test_every_public_page_says_where_to_complain_from_the_settings(ctx: AppContext) -> None:
    ctx.settings = ctx.settings.model_copy(
        update={"complaint_app_url": "https://lapor.tegalkab.go.id/aplikasi"}
    )
    web = TestClient(create_app(ctx))
    for path in ("/publik", "/publik/kinerja", "/publik/data", "/publik/tl/999999"):
        page = web.get(path)
        assert "WhatsApp <strong>085600080709</strong>" in page.text, path
        assert '<a href="https://lapor.tegalkab.go.id/aplikasi">Lapor Bupati</a>' in page.text
