"""The API's documentation in real headless Chromium, under the app's own content policy (no
``bypass_csp``): Swagger UI on ``/docs`` renders from the vendored files and ReDoc's vendored
script runs on ``/redoc``, with no request leaving the site and no policy violation."""

from __future__ import annotations

from typing import Any

import pytest

from publisher.app.factory import create_app
from publisher.fakes.server import ServerThread
from publisher.runtime.context import AppContext
from tests.test_browser_dashboard import PHONE, browser, dash_ctx

pytestmark = pytest.mark.browser
__all__ = ["browser", "dash_ctx"]  # fixtures


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_swagger_ui_and_redoc_render_from_vendored_files_under_the_content_policy(
    dash_ctx: AppContext, browser: Any, device: str
) -> None:
    options = PHONE if device == "phone" else {"viewport": {"width": 1366, "height": 768}}
    with ServerThread(create_app(dash_ctx)) as site:
        context = browser.new_context(**options)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        outside: list[str] = []
        page.on(
            "request",
            lambda r: None if r.url.startswith((site.url, "blob:")) else outside.append(r.url),
        )
        page.goto(f"{site.url}/docs")
        page.locator(".opblock").first.wait_for(timeout=30_000)
        assert page.locator(".opblock").count() > 10  # one per API operation
        assert "lapor-publisher" in page.locator(".info .title").first.inner_text()
        # ReDoc draws the push endpoint's body: the case record's $defs are components now
        # (ReDoc resolves every $ref against the whole document, not an embedded "$id").
        page.goto(f"{site.url}/redoc")
        heading = page.locator("h2", has_text="Push resolved cases (HMAC-signed)")
        heading.first.wait_for(timeout=60_000)
        body = page.locator("redoc").inner_text()
        assert "Something went wrong" not in body and "Invalid reference" not in body
        # The body's schema: "records" of CaseRecord and, once opened, the record's parts,
        # which live in components now.
        assert "Array of objects (CaseRecord)" in body
        page.locator("button", has_text="records").first.click()
        page.locator("button", has_text="follow_up").first.wait_for(timeout=30_000)
        context.close()
    assert outside == []
    assert [p for p in problems if "Content Security Policy" in p] == []
