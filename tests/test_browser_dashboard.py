"""The leadership dashboard (``/dashboard``) in real headless Chromium, signed in as an admin
through the login form: totals, SVG charts, the per-agency table, the PIC ranking with its
minimum sample, the overdue list, the agency filter, the CSV export over the same session, and
axe-core on desktop and phone. A PIC and an anonymous visitor get no figures."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from publisher.app.factory import create_app
from publisher.core.clock import utcnow
from publisher.fakes.server import ServerThread
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.factories import feed_record
from tests.public_support import feed_only
from tests.web_support import PASSWORD, make_user

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "assets" / "axe-4.14.1.min.js"
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


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
def dash_ctx(tmp_path: Path) -> Iterator[AppContext]:
    ctx = make_context(f"sqlite:///{tmp_path / 'test.db'}", tmp_path, ops_token="ops-secret")
    yield ctx
    ctx.close()


def seed(ctx: AppContext) -> None:
    """dpupr: six answered cases with one PIC (ranked); dlh: two cases (below the minimum);
    one dpupr case open and idle for two weeks (overdue)."""
    make_user(ctx, "pic_dpupr", "pic", "dpupr")
    make_user(ctx, "pic_dlh", "pic", "dlh")
    answered = []
    for n in range(1, 7):
        record = feed_record(n)
        received = record["history"][0]["at"]
        record["history"].insert(1, {"status": "in_progress", "at": received})
        answered.append(record)
    feed_only(ctx, answered)
    feed_only(ctx, [feed_record(n, agency="dlh", category="sampah") for n in (7, 8)])
    old = utcnow() - timedelta(days=14)
    idle = feed_record(
        9,
        status="in_progress",
        follow_up=None,
        history=[{"status": "received", "at": old.isoformat()}],
        updated_at=old.isoformat(),
    )
    feed_only(ctx, [idle])


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()


def axe(page: Any, name: str) -> None:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length, html: v.nodes[0].html}))"
    )
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: {json.dumps(bad)}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def text_of(page: Any, testid: str) -> str:
    return str(page.get_by_test_id(testid).inner_text()).strip()


def test_an_admin_reads_the_dashboard_filters_it_and_exports_it(
    dash_ctx: AppContext, browser: Any
) -> None:
    ctx = dash_ctx
    make_user(ctx, "kepala", "admin")
    seed(ctx)
    with ServerThread(create_app(ctx)) as site:
        desk = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page = desk.new_page()
        sign_in(page, site.url, "kepala")
        page.goto(f"{site.url}/dashboard")
        assert text_of(page, "total-received") == "9"
        # Every seeded case has a response by some signal: six with a disposition, the two dlh
        # ones resolved with a follow-up, the idle one moved to "in progress".
        assert text_of(page, "total-answered") == "9"
        assert text_of(page, "total-overdue") == "1"
        assert page.get_by_test_id("charts").locator("svg").count() == 3  # + the monthly history
        rows = page.get_by_test_id("agency-table").locator("tr[data-agency]")
        assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.agency)")) == ["dlh", "dpupr"]
        ranking = page.get_by_test_id("ranking").locator("tr[data-pic]")
        assert ranking.evaluate_all("rs => rs.map(r => r.dataset.pic)") == ["pic_dpupr"]
        assert "pic_dlh (2)" in text_of(page, "not-ranked")
        assert "LPR-2025-00009" in text_of(page, "overdue")
        axe(page, "dashboard-desktop")

        page.select_option("select[name=agency]", "dlh")
        page.get_by_role("button", name="Tampilkan").click()
        page.wait_for_load_state()
        assert "agency=dlh" in page.url
        assert text_of(page, "total-received") == "2"

        export = page.get_by_test_id("exports").get_by_role("link", name="Per instansi")
        answer = desk.request.get(str(export.evaluate("a => a.href")))
        assert answer.status == 200 and answer.headers["content-type"].startswith("text/csv")
        table = list(csv.DictReader(io.StringIO(answer.text())))
        assert [r["kode"] for r in table] == ["dlh"] and table[0]["diterima"] == "2"
        desk.close()

        phone = browser.new_context(**PHONE, bypass_csp=True)
        small = phone.new_page()
        sign_in(small, site.url, "kepala")
        small.goto(f"{site.url}/dashboard")
        axe(small, "dashboard-phone")
        phone.close()


def test_a_pic_and_an_anonymous_visitor_see_no_figures(dash_ctx: AppContext, browser: Any) -> None:
    seed(dash_ctx)
    with ServerThread(create_app(dash_ctx)) as site:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{site.url}/dashboard")
        assert page.url.startswith(f"{site.url}/login")  # sent to the login form
        sign_in(page, site.url, "pic_dpupr")
        refused = page.goto(f"{site.url}/dashboard")
        assert refused is not None and refused.status == 403
        assert "total-received" not in page.content()
        context.close()


PERSONAL_PAGES = ("/review", "/deliveries", "/audit", "/admin", "/pic", "/pic/submissions")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_pimpinan_opens_the_dashboard_from_the_menu_and_no_page_with_personal_data(
    dash_ctx: AppContext, browser: Any, device: str
) -> None:
    ctx = dash_ctx
    make_user(ctx, "bupati", "pimpinan")
    seed(ctx)
    options = PHONE if device == "phone" else {"viewport": {"width": 1366, "height": 768}}
    with ServerThread(create_app(ctx)) as site:
        context = browser.new_context(**options, bypass_csp=True)
        page = context.new_page()
        sign_in(page, site.url, "bupati")
        assert page.url == f"{site.url}/dashboard"  # leadership's home
        page.get_by_test_id("nav").get_by_role("link", name="Ringkasan harian").click()
        page.wait_for_load_state()
        assert page.url == f"{site.url}/dashboard/digest"
        page.get_by_test_id("nav").get_by_role("link", name="Dasbor").click()
        page.wait_for_load_state()
        assert text_of(page, "total-received") == "9"
        assert text_of(page, "total-unanswered") == "0"
        axe(page, f"dashboard-pimpinan-{device}")
        # Chart text stays readable once the SVG is scaled to the screen.
        smallest = (
            page.get_by_test_id("charts")
            .locator("svg text")
            .evaluate_all("ts => Math.min(...ts.map(t => t.getBoundingClientRect().height))")
        )
        assert smallest >= 10, smallest
        for path in PERSONAL_PAGES:
            answer = page.goto(f"{site.url}{path}")
            assert answer is not None and answer.status == 403, path
            assert "LPR-" not in page.content()
        api = context.request.get(f"{site.url}/api/v1/posts")
        assert api.status == 200 and api.json() == []
        context.close()
