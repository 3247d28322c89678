"""The public pages in real headless Chromium (Debian's ``chromium``), as a cheap phone with
JavaScript off: a crawler starts at ``/publik``, follows every same-origin link (pages, photos,
the feed, the open data files), and checks that no generated reporter's name, phone number, NIK
or address appears in any response body, and that the blocked, rejected, ``rahasia`` and
not-yet-published cases appear nowhere. External links must be exactly the live posts and the
SP4N-LAPOR! tracking page. The home page passes axe-core; the widget renders inside a frame."""

from __future__ import annotations

import json
import shutil
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.app.factory import create_app
from publisher.core.settings import SourceConfig
from publisher.db.models import Delivery
from publisher.fakes.server import ServerThread
from publisher.platforms.telegram.fake import FakeTelegram
from publisher.privacy.phones import normalise_phone
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
    post_states,
    publish,
    reject_case,
)

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "assets" / "axe-4.14.1.min.js"
ARTIFACTS = ROOT / "test-artifacts"
CHEAP_PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True}
TOKEN, CHANNEL = "123:secret", "@dpupr_tegal"
SP4N_URL = "https://www.lapor.go.id/laporan/detil/{tracking_id}"
MAX_FETCHES = 400


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def public_ctx(tmp_path: Path) -> Iterator[AppContext]:
    ctx = make_context(
        f"sqlite:///{tmp_path / 'test.db'}",
        tmp_path,
        sources=[SourceConfig(name="sp4n", kind="sp4n", url="https://sp4n.example/api")],
        sp4n_tracking_url=SP4N_URL,
    )
    yield ctx
    ctx.close()


def build_world(ctx: AppContext, telegram_url: str) -> dict[str, list[int]]:
    """Published cases (two agencies, photos, one from SP4N-LAPOR!) and one case in every state
    that must never be shown. Every case has its own generated reporter."""
    add_account(ctx, "folder", "dpupr")
    add_account(
        ctx, "telegram", CHANNEL, {"bot_token": TOKEN, "chat_id": CHANNEL, "api_base": telegram_url}
    )
    add_account(ctx, "folder", "dlh", agency="dlh")
    published = [
        feed_record(1),
        feed_record(2, kecamatan="Adiwerna"),
        feed_record(3, agency="dlh", category="sampah", kecamatan="Talang"),
    ]
    feed_only(ctx, published)
    feed_only(ctx, [feed_record(4, tracking_number="TGL-SP4N-0004")], source="sp4n")
    hidden = [
        feed_record(5, complaint=CONFLICT),  # blocked by the screen
        feed_record(6),  # rejected by a reviewer
        feed_record(7, privacy="rahasia"),  # never drafted
        feed_record(8),  # approved, not yet published
        feed_record(9),  # waiting for review
    ]
    feed_only(ctx, hidden)
    add_photo(ctx, 1)
    add_photo(ctx, 1, colour=30)
    add_photo(ctx, 3, colour=160)
    add_photo(ctx, 1, supplied_by="reporter", colour=5)
    add_photo(ctx, 5, colour=220)
    run_job(ctx, "screen")
    run_job(ctx, "render")
    for n in (1, 2, 3):
        approve_case(ctx, n)
    approve_case_sp4n(ctx)
    publish(ctx)
    reject_case(ctx, 6)
    approve_case(ctx, 8)
    assert post_states(ctx, 5) == ["blocked", "blocked"]
    assert post_states(ctx, 7) == []
    return {"published": [1, 2, 3, 4], "hidden": [5, 6, 7, 8, 9]}


def approve_case_sp4n(ctx: AppContext) -> None:
    from publisher.db.models import Case

    with ctx.sessions() as session:
        external = session.scalar(select(Case.external_id).where(Case.source == "sp4n"))
    assert external == "T-4"
    approve_case(ctx, 4)


def identities(numbers: list[int]) -> list[str]:
    values: list[str] = []
    for n in numbers:
        reporter = person(n)
        values += list(reporter.values())
        values.append(normalise_phone(reporter["phone"]))
    return values


def crawl(context: Any, base: str) -> tuple[dict[str, str], set[str]]:
    """Every same-origin URL reachable from /publik -> its body; plus the external links."""
    page = context.new_page()
    seen: dict[str, str] = {}
    external: set[str] = set()
    queue: deque[str] = deque([f"{base}/publik"])
    origin = urlparse(base).netloc
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        assert len(seen) < MAX_FETCHES, "the crawl does not end"
        answer = context.request.get(url)
        assert answer.status == 200, f"{url}: HTTP {answer.status}"
        kind = answer.headers.get("content-type", "")
        body = answer.body().decode("utf-8", "replace") if "image" not in kind else ""
        seen[url] = body
        if not kind.startswith("text/html"):
            continue
        page.goto(url)
        links = page.eval_on_selector_all(
            "a[href], img[src], link[href]", "els => els.map(e => e.href || e.src)"
        )
        for link in links:
            target = urldefrag(urljoin(url, link)).url
            if urlparse(target).netloc == origin:
                if urlparse(target).path.startswith("/publik"):
                    queue.append(target)
            else:
                external.add(target)
    page.close()
    return seen, external


def test_every_public_page_and_link_is_free_of_personal_data_and_hidden_cases(
    public_ctx: AppContext, browser: Any
) -> None:
    ctx = public_ctx
    fake = FakeTelegram(tokens={TOKEN}, channels={CHANNEL})
    with ServerThread(fake.app()) as telegram, ServerThread(create_app(ctx)) as site:
        world = build_world(ctx, telegram.url)
        context = browser.new_context(**CHEAP_PHONE, java_script_enabled=False)
        seen, external = crawl(context, site.url)
        context.close()

    paths = {urlparse(u).path for u in seen}
    published_ids = [case_id(ctx, n) for n in world["published"]]
    hidden_ids = [case_id(ctx, n) for n in world["hidden"]]
    for cid in published_ids:
        assert f"/publik/tl/{cid}" in paths
    assert {"/publik/kinerja", "/publik/data", "/publik/feed.xml", "/publik/widget"} <= paths
    assert any(p.startswith("/publik/foto/") for p in paths)
    assert any(p.endswith(".csv") for p in paths) and any(p.endswith(".json") for p in paths)

    secrets = identities(world["published"] + world["hidden"])
    hidden_numbers = [f"LPR-2025-{n:05d}" for n in world["hidden"]]
    for url, body in seen.items():
        for value in secrets:
            assert value not in body, f"{url} shows a reporter's identity"
        for number in hidden_numbers:
            assert number not in body, f"{url} shows hidden case {number}"
    for cid in hidden_ids:
        assert f"/publik/tl/{cid}" not in paths

    with ctx.sessions() as session:
        live = set(
            session.scalars(
                select(Delivery.remote_url).where(
                    Delivery.state == "published", Delivery.remote_url.like("https://%")
                )
            )
        )
    assert live and live <= external
    assert external - live == {"https://www.lapor.go.id/laporan/detil/TGL-SP4N-0004"}


def test_the_home_page_is_accessible_on_a_cheap_phone_and_the_widget_renders_in_a_frame(
    public_ctx: AppContext, browser: Any
) -> None:
    ctx = public_ctx
    fake = FakeTelegram(tokens={TOKEN}, channels={CHANNEL})
    with ServerThread(fake.app()) as telegram, ServerThread(create_app(ctx)) as site:
        build_world(ctx, telegram.url)
        context = browser.new_context(**CHEAP_PHONE, bypass_csp=True)
        page = context.new_page()
        for path, name in (
            ("/publik", "public-home"),
            ("/publik?tampilan=daftar", "public-list"),
            ("/publik/kinerja", "public-performance"),
            (f"/publik/tl/{case_id(ctx, 1)}", "public-case"),
        ):
            page.goto(f"{site.url}{path}")
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))"
            )
            bad = [v for v in violations if v["impact"] in ("serious", "critical")]
            assert bad == [], f"{name}: {json.dumps(bad)}"
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        # No horizontal scrolling on a 360 px screen.
        page.goto(f"{site.url}/publik")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        images = page.locator("img")
        assert images.count() >= 2
        assert all(
            page.evaluate("(img) => img.complete && img.naturalWidth > 0", img.element_handle())
            for img in images.all()[:3]
        )
        page.select_option("select[name=instansi]", "dlh")
        page.get_by_role("button", name="Terapkan").click()
        page.wait_for_load_state()
        assert "LPR-2025-00003" in page.content() and "LPR-2025-00001" not in page.content()

        with ServerThread(pemkab_site(f"{site.url}/publik/widget")) as pemkab:
            embedder = context.new_page()
            embedder.goto(pemkab.url)
            frame = embedder.frame_locator("iframe")
            frame.get_by_text("Tindak lanjut terbaru").wait_for(timeout=5000)
            assert frame.locator("a[href^='/publik/tl/']").count() == 4
        context.close()


def pemkab_site(widget_url: str) -> FastAPI:
    """Another origin that embeds the widget, as the Pemkab website would."""
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def home() -> str:
        return (
            '<!doctype html><html lang="id"><title>Pemkab Tegal</title>'
            f'<iframe src="{widget_url}" title="Tindak lanjut" width="360" height="400"></iframe>'
        )

    return app
