"""On a phone (360x740) in real headless Chromium: a reviewer sees a held video on the review
page with why it was held, types a reason and releases it; the page fits the screen and is
axe-clean (issue 22)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from publisher.app.factory import create_app
from publisher.db.models import AuditLog, Media
from publisher.fakes.server import ServerThread
from publisher.runtime.context import AppContext
from tests.test_browser_dashboard import axe, browser, sign_in
from tests.test_browser_review import SMALL_PHONE, no_sideways_scroll
from tests.test_media_video import _clip
from tests.test_review_held_video import REASON, held_video
from tests.test_web_review_privacy import drafted
from tests.web_support import make_user

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # fixture


def test_a_reviewer_releases_a_held_video_from_the_review_page_on_a_phone(
    ctx: AppContext, browser: Any
) -> None:
    _, telegram_post = drafted(ctx)
    media_id = held_video(ctx, _clip(frames=10, audio=False))
    make_user(ctx, "rev", "reviewer")
    with ServerThread(create_app(ctx)) as site:
        context = browser.new_context(**SMALL_PHONE)
        page = context.new_page()
        sign_in(page, site.url, "rev")
        page.goto(f"{site.url}/review/cases/{telegram_post.case_id}")
        # Each post of the case offers it; released into the Telegram post here.
        held = page.locator(f"#post-{telegram_post.id} .held-video")
        held.wait_for()
        assert "ada wajah terlihat" in held.inner_text()
        assert held.locator("video").count() == 1
        no_sideways_scroll(page)
        axe(page, "review-held-video-phone")
        held.get_by_label("Alasan melepas video").fill(REASON)
        held.get_by_role("button", name="Lepas video (wajah disamarkan)").click()
        page.get_by_text("Video dilepas ke kiriman dengan wajah disamarkan.").wait_for()
        assert page.locator(".held-video").count() == 0  # no longer held anywhere
        context.close()
    with ctx.sessions() as session:
        media = session.get(Media, media_id)
        assert media is not None and not media.held_for_review
        (row,) = session.scalars(select(AuditLog).where(AuditLog.action == "post.video_released"))
        assert row.details["reason"] == REASON
