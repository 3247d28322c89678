"""The review page on a phone (360x740) and a desktop (1366x768) in real headless Chromium,
axe-clean (no serious or critical violations): the queue fits the screen with no sideways
scrolling, the decision bar stays in reach while the page scrolls, a reviewer finds the
highlighted name, rewrites the sentence and approves; a refused form keeps the text; bulk
approval of the unflagged posts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select, update

from publisher.app.factory import create_app
from publisher.db.models import Post, Screening
from publisher.fakes.server import ServerThread
from publisher.runtime.context import AppContext
from tests.factories import feed_record, person
from tests.flow import add_account, feed_and_draft
from tests.test_browser_dashboard import axe, browser, sign_in
from tests.web_support import make_user

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # fixture

# bypass_csp: only so axe-core can be injected; the content policy is tested on /docs.
SMALL_PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "bypass_csp": True,
}
DESKTOP = {"viewport": {"width": 1366, "height": 768}, "bypass_csp": True}
DEVICES = {"phone": SMALL_PHONE, "desktop": DESKTOP}


def drafted(ctx: AppContext, n: int, **record: Any) -> list[Post]:
    add_account(ctx, "folder", "dpupr")
    posts = feed_and_draft(ctx, *[feed_record(i, **record) for i in range(1, n + 1)])
    with ctx.sessions() as session, session.begin():
        session.execute(update(Screening).values(decision="pass", score=0.1))
        session.execute(update(Post).values(risk_score=0.1))
    return posts


def in_view(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    return bool(box) and box["y"] >= 0 and box["y"] + box["height"] <= height + 0.5


def no_sideways_scroll(page: Any) -> None:
    width = page.viewport_size["width"]
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    wide = page.evaluate(
        "w => [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > w + 1)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className)",
        width,
    )
    assert scroll <= width, f"page is {scroll} px wide on a {width} px screen: {wide}"


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_reviewer_finds_the_highlighted_name_rewrites_the_sentence_and_approves(
    ctx: AppContext, browser: Any, device: str
) -> None:
    reporter = person(16)
    action = (
        f"Sudah dicek ke rumah Pak {reporter['name']} (hp {reporter['phone']}). "
        "Saluran sudah dibersihkan dan air kembali lancar."
    )
    (post,) = drafted(ctx, 1, reporter=reporter, action=action)
    make_user(ctx, "rev", "reviewer")
    with ServerThread(create_app(ctx)) as site:
        context = browser.new_context(**DEVICES[device])
        page = context.new_page()
        sign_in(page, site.url, "rev")
        page.goto(f"{site.url}/review")
        no_sideways_scroll(page)
        axe(page, f"review-queue-{device}")
        page.locator("[data-row-link]").first.click()
        page.wait_for_load_state()
        no_sideways_scroll(page)
        # The decision bar is in reach at the top and half-way down the page.
        assert in_view(page, ".decision-bar")
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight / 2)")
        assert in_view(page, ".decision-bar")
        page.evaluate("() => window.scrollTo(0, 0)")
        # The name is highlighted on the PIC's own words, exactly.
        page.get_by_text("Teks yang disaring").click()
        marks = page.locator("#h-screening ~ details mark.pii").all_inner_texts()
        assert reporter["name"] in marks and reporter["phone"] in marks
        axe(page, f"review-case-{device}")
        # The caption says which sentence must go; the reviewer rewrites it from the bar.
        page.locator(".decision-bar").get_by_role("button", name="Ubah").click()
        editor = page.locator(f"#caption-{post.id}")
        assert editor.is_visible()
        caption = editor.input_value()
        assert "disamarkan]" in caption
        editor.fill(re.sub(r"[^.\n]*disamarkan\][^.\n]*\.\s*", "", caption))
        page.get_by_role("button", name="Simpan (kembali ke tinjauan)").click()
        page.wait_for_load_state()
        assert "Keterangan diubah" in page.locator("[role=status]").first.inner_text()
        assert in_view(page, ".decision-bar")
        page.locator(".decision-bar").get_by_role("button", name="Setujui").click()
        page.wait_for_load_state()
        assert "Kiriman disetujui" in page.locator("[role=status]").first.inner_text()
        context.close()
    with ctx.sessions() as session:
        approved = session.get(Post, post.id)
        assert approved is not None and approved.review_state == "approved"
        assert "disamarkan" not in approved.caption and reporter["name"] not in approved.caption


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_form_error_keeps_the_text(ctx: AppContext, browser: Any, device: str) -> None:
    (post,) = drafted(ctx, 1)
    make_user(ctx, "rev", "reviewer")
    typed = "Jalan di desa sudah diaspal ulang dan rapi, terima kasih warga."
    with ServerThread(create_app(ctx)) as site:
        context = browser.new_context(**DEVICES[device])
        page = context.new_page()
        sign_in(page, site.url, "rev")
        page.goto(f"{site.url}/review/cases/{post.case_id}")
        page.locator(".decision-bar").get_by_role("button", name="Ubah").click()
        page.locator(f"#caption-{post.id}").fill(typed)  # the hashtag is gone
        page.get_by_role("button", name="Simpan (kembali ke tinjauan)").click()
        page.wait_for_load_state()
        editor = page.locator(f"#caption-{post.id}")
        assert editor.is_visible() and editor.input_value() == typed
        assert editor.get_attribute("aria-invalid") == "true"
        message = page.locator(f"#err-edit-{post.id}-caption")
        assert "#LaporBupatiTegal" in message.inner_text()
        no_sideways_scroll(page)
        axe(page, f"review-form-error-{device}")
        context.close()
    with ctx.sessions() as session:
        assert session.scalar(select(Post.caption)) == post.caption


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_bulk_approve_of_the_chosen_unflagged_posts(
    ctx: AppContext, browser: Any, device: str
) -> None:
    posts = drafted(ctx, 3)
    with ctx.sessions() as session, session.begin():
        session.execute(update(Post).where(Post.id == posts[2].id).values(review_state="blocked"))
    make_user(ctx, "rev", "reviewer")
    with ServerThread(create_app(ctx)) as site:
        context = browser.new_context(**DEVICES[device])
        page = context.new_page()
        sign_in(page, site.url, "rev")
        page.goto(f"{site.url}/review")
        boxes = page.locator("input[name=post_ids]")
        assert boxes.count() == 2  # the blocked one is decided on its own page
        for i in range(2):
            boxes.nth(i).check()
        page.get_by_role("button", name="Setujui yang dipilih").click()
        page.wait_for_load_state()
        assert "2 kiriman disetujui" in page.locator(".bulk-result").inner_text()
        no_sideways_scroll(page)
        axe(page, f"review-bulk-{device}")
        context.close()
    with ctx.sessions() as session:
        states = sorted(session.scalars(select(Post.review_state)))
    assert states == ["approved", "approved", "blocked"]
