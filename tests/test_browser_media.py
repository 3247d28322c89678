"""In real headless Chromium, on a phone-sized screen: a reviewer sees that Facebook leaves the
video out of a photos-and-video follow-up (the preview says why), moves the video up to the
front with the "Atur media" buttons, and the post then carries the video alone."""

from __future__ import annotations

from typing import Any

import pytest

from publisher.app.factory import create_app
from publisher.db.models import Post
from publisher.fakes.server import ServerThread
from publisher.runtime.context import AppContext
from tests import test_browser_flow
from tests.flow import add_account
from tests.test_browser_flow import PHONE, check_accessibility, shot, sign_in
from tests.test_mixed_media import drafted_with
from tests.web_support import make_user

pytestmark = pytest.mark.browser
browser = test_browser_flow.browser  # the Debian chromium fixture


def test_a_reviewer_on_a_phone_moves_the_video_first_for_facebook(
    ctx: AppContext, browser: Any
) -> None:
    add_account(ctx, "facebook", "1029384756", {"page_id": "1029384756", "access_token": "t"})
    post = drafted_with(ctx, ["photo", "video"])["facebook"]
    make_user(ctx, "komunikasi", "reviewer")
    with ServerThread(create_app(ctx)) as site:
        phone = browser.new_context(**PHONE, bypass_csp=True)
        page = phone.new_page()
        sign_in(page, site.url, "komunikasi")
        page.goto(f"{site.url}/review/cases/{post.case_id}")
        assert "tidak menerima foto dan video dalam satu kiriman" in page.content()
        arrange = page.locator(f"#media-{post.id}")
        assert arrange.get_attribute("open") is not None  # opened: something is left out
        check_accessibility(page, "review page with media to arrange")
        shot(page, "media-01-review-phone")
        arrange.get_by_role("button", name="Naik media ke-2 (facebook)").click()
        page.wait_for_url("**pesan=media")
        assert "Media kiriman diubah" in page.content()
        items = page.locator(f"#media-{post.id} li")
        assert items.nth(0).get_attribute("data-kind") == "video"
        assert items.nth(1).get_attribute("data-left-out") == "mixed"
        shot(page, "media-02-video-first-phone")
        phone.close()
    with ctx.sessions() as session:
        changed = session.get(Post, post.id)
        assert changed is not None
        assert [(m["kind"], m.get("left_out")) for m in changed.media] == [
            ("video", None),
            ("photo", "mixed"),
        ]
