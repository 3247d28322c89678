"""The whole flow in real headless Chromium (Debian's ``chromium``): a PIC on a phone submits a
follow-up with two photos, a reviewer approves it for two accounts (the folder platform and a
fake Telegram over HTTP), the publish job runs, and the PIC sees it published. Every page is
checked with axe-core (no serious or critical violations) and screenshotted to
``test-artifacts/``. The core PIC form is also used with JavaScript switched off."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jobs.pipeline import run_job
from publisher.app.factory import create_app
from publisher.fakes.server import ServerThread
from publisher.platforms.telegram.fake import FakeTelegram
from publisher.runtime.context import AppContext
from tests.factories import jpeg
from tests.flow import add_account
from tests.web_support import PASSWORD, make_user, waiting_case

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "assets" / "axe-4.14.1.min.js"
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TOKEN, CHANNEL = "123:secret", "@dpupr_tegal"
ACTION = "Lubang jalan di depan balai desa sudah ditambal aspal oleh tim UPT jalan."


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
def telegram() -> Iterator[tuple[FakeTelegram, str]]:
    fake = FakeTelegram(tokens={TOKEN}, channels={CHANNEL})
    with ServerThread(fake.app()) as server:
        yield fake, server.url


@pytest.fixture
def site(ctx: AppContext) -> Iterator[str]:
    with ServerThread(create_app(ctx)) as server:
        yield server.url


def check_accessibility(page: Any, name: str) -> None:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))"
    )
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: {json.dumps(bad)}"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()


def photos(tmp_path: Path) -> tuple[Path, Path]:
    before, after = tmp_path / "sebelum.jpg", tmp_path / "sesudah.jpg"
    before.write_bytes(jpeg(colour=(120, 80, 40)))
    after.write_bytes(jpeg(colour=(40, 80, 120)))
    return before, after


def test_a_follow_up_goes_from_a_phone_to_two_published_accounts(
    ctx: AppContext,
    browser: Any,
    site: str,
    telegram: tuple[FakeTelegram, str],
    tmp_path: Path,
) -> None:
    fake, telegram_url = telegram
    make_user(ctx, "pic_dpupr", "pic", "dpupr")
    make_user(ctx, "komunikasi", "reviewer")
    add_account(ctx, "folder", "dpupr")
    add_account(
        ctx, "telegram", CHANNEL, {"bot_token": TOKEN, "chat_id": CHANNEL, "api_base": telegram_url}
    )
    case_id = waiting_case(ctx, 1)

    phone = browser.new_context(**PHONE, bypass_csp=True)
    pic = phone.new_page()
    sign_in(pic, site, "pic_dpupr")
    assert pic.url.endswith("/pic")
    check_accessibility(pic, "pic cases")
    shot(pic, "01-pic-cases-phone")
    pic.get_by_role("link", name="Kirim tindak lanjut LPR-2025-00001").click()
    pic.get_by_label("Tindakan yang dilakukan").fill(ACTION)
    before, after = photos(tmp_path)
    pic.set_input_files("#before", str(before))
    pic.set_input_files("#after", str(after))
    check_accessibility(pic, "pic form")
    shot(pic, "02-pic-follow-up-form-phone")
    pic.get_by_role("button", name="Kirim tindak lanjut").click()
    pic.wait_for_url("**/pic/submissions?terkirim=1")
    assert "Tindak lanjut terkirim" in pic.content()
    check_accessibility(pic, "pic submissions")
    shot(pic, "03-pic-submitted-phone")

    run_job(ctx, "screen")
    run_job(ctx, "render")

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    reviewer = desk.new_page()
    sign_in(reviewer, site, "komunikasi")
    assert reviewer.url.endswith("/review")
    check_accessibility(reviewer, "review queue")
    shot(reviewer, "04-review-queue")
    reviewer.locator(f'a[href^="/review/cases/{case_id}"]').first.click()
    reviewer.wait_for_load_state()
    assert reviewer.locator("img[src^='/media/']").count() >= 2
    check_accessibility(reviewer, "review case")
    shot(reviewer, "05-review-case")
    for box in reviewer.locator("input[name=post_ids][type=checkbox]").all():
        assert box.is_checked()
    assert reviewer.locator("input[name=post_ids][type=checkbox]").count() == 2
    if reviewer.locator("#manual_screening_note").count():
        reviewer.fill("#manual_screening_note", "Disaring manual: perbaikan jalan, umum.")
    if reviewer.locator("#override_reason").count():
        reviewer.fill("#override_reason", "Bukan sengketa; perbaikan fasilitas umum.")
    reviewer.get_by_role("button", name="Setujui untuk akun terpilih").click()
    reviewer.wait_for_url(f"**/review/cases/{case_id}?pesan=approved")
    shot(reviewer, "06-review-approved")

    counts = run_job(ctx, "publish")
    assert counts["published"] == 2
    (sent,) = fake.sent
    # Before and after photos: the branded collage leads, then both photos, as one album.
    assert sent.method in ("sendPhoto", "sendMediaGroup") and "#LaporBupatiTegal" in sent.caption

    reviewer.goto(f"{site}/deliveries")
    check_accessibility(reviewer, "deliveries")
    shot(reviewer, "07-deliveries")

    pic.goto(f"{site}/pic/submissions")
    text = pic.content()
    assert "Dipublikasikan" in text
    assert f"https://t.me/{CHANNEL[1:]}/{sent.message_id}" in text
    check_accessibility(pic, "pic published")
    shot(pic, "08-pic-sees-published-phone")
    phone.close()
    desk.close()


def test_the_pic_form_works_with_javascript_switched_off(
    ctx: AppContext, browser: Any, site: str, tmp_path: Path
) -> None:
    make_user(ctx, "pic_dpupr", "pic", "dpupr")
    waiting_case(ctx, 1)
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, site, "pic_dpupr")
    page.get_by_role("link", name="Kirim tindak lanjut LPR-2025-00001").click()
    page.get_by_label("Tindakan yang dilakukan").fill(ACTION)
    bad = tmp_path / "bukan-foto.jpg"
    bad.write_bytes(b"%PDF-1.4 bukan foto")
    page.set_input_files("#after", str(bad))
    page.get_by_role("button", name="Kirim tindak lanjut").click()
    page.wait_for_load_state()
    assert "bukan-foto.jpg: Format berkas tidak didukung." in page.content()
    shot(page, "09-pic-no-js-rejected-file")
    _, after = photos(tmp_path)
    page.set_input_files("#after", str(after))
    page.get_by_role("button", name="Kirim tindak lanjut").click()
    page.wait_for_url("**/pic/submissions?terkirim=1")
    shot(page, "10-pic-no-js-submitted")
    context.close()


def test_admin_and_audit_pages_pass_axe(ctx: AppContext, browser: Any, site: str) -> None:
    make_user(ctx, "admin", "admin")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, site, "admin")
    for path, name in (("/admin", "admin"), ("/admin/templates", "templates"), ("/audit", "audit")):
        page.goto(f"{site}{path}")
        check_accessibility(page, name)
        shot(page, f"11-{name}")
    context.close()
