"""An admin connects accounts from the admin page in real headless Chromium (Debian's
``chromium``): "Sambungkan X" leads to the fake X's authorize page, "Authorize app" back to the
admin page with the account connected; the same for Facebook + Instagram through the fake
Facebook Login dialog. The admin page is checked with axe-core (no serious or critical
violations) and screenshotted to ``test-artifacts/``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from publisher.app.factory import create_app
from publisher.fakes.server import ServerThread
from publisher.runtime.context import AppContext
from tests.publishing_env import PAGE, X_USER, Fakes, running_fakes
from tests.test_browser_flow import browser, check_accessibility, shot, sign_in
from tests.web_support import make_user

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the Chromium fixture, shared with the flow test


@pytest.fixture
def connected_site(ctx: AppContext) -> Iterator[tuple[str, Fakes]]:
    """The web app on a real port, configured for the fake X and Meta apps, which know its
    callback URLs."""
    with running_fakes() as fakes, ServerThread(create_app(ctx)) as server:
        base = server.url
        settings = ctx.settings
        settings.public_base_url = base
        settings.x_client_id = "lapor-x"
        settings.x_authorize_url = f"{fakes.urls['x']}/i/oauth2/authorize"
        settings.x_api_base = fakes.urls["x"]
        settings.meta_app_id, settings.meta_app_secret = "4242", "meta-secret"
        settings.meta_dialog_url = f"{fakes.urls['meta']}/dialog/oauth"
        settings.meta_graph_url = fakes.urls["meta"]
        settings.meta_video_url = fakes.urls["meta_video"]
        fakes.x.clients["lapor-x"] = ""
        fakes.x.callbacks["lapor-x"] = f"{base}/admin/accounts/oauth/x/callback"
        fakes.meta.apps["4242"] = "meta-secret"
        fakes.meta.redirect_uris["4242"] = f"{base}/admin/accounts/oauth/meta/callback"
        fakes.meta.people["9000001"] = [PAGE]
        fakes.meta.page_instagram[PAGE] = "17841400000000777"
        fakes.meta.ig_users["17841400000000777"] = "dpupr.tegal"
        yield base, fakes


def test_an_admin_connects_x_and_a_facebook_page_from_the_admin_page(
    ctx: AppContext, browser: Any, connected_site: tuple[str, Fakes]
) -> None:
    site, fakes = connected_site
    make_user(ctx, "admin_kominfo", "admin")
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = desk.new_page()
    sign_in(page, site, "admin_kominfo")
    page.goto(f"{site}/admin")
    check_accessibility(page, "admin accounts")
    shot(page, "20-admin-connect")

    page.locator("#x-agency").select_option("dpupr")
    page.get_by_role("button", name="Sambungkan X").click()
    page.wait_for_url(f"{fakes.urls['x']}/i/oauth2/authorize**")
    assert "Signed in as @dpupr_tegal" in page.content()
    shot(page, "21-fake-x-authorize")
    page.get_by_role("button", name="Authorize app").click()
    page.wait_for_url(f"{site}/admin?pesan=*")
    assert "Akun tersambung: X dpupr_tegal." in page.content()
    row = page.locator("tr", has_text="dpupr_tegal")
    assert "X · dpupr_tegal" in row.inner_text() and "aktif" in row.inner_text().lower()
    assert fakes.x.authorizations == 1 and X_USER in fakes.x.refresh_tokens.values()

    page.locator("#m-agency").select_option("dpupr")
    page.get_by_role("button", name="Sambungkan Facebook & Instagram").click()
    page.wait_for_url(f"{fakes.urls['meta']}/dialog/oauth**")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{site}/admin?pesan=*")
    text = page.content()
    assert "Akun tersambung: Facebook DPUPR Kabupaten Tegal, Instagram dpupr.tegal." in text
    assert page.locator("tr", has_text="dpupr.tegal").locator("td").first.inner_text() == (
        "Dinas Pekerjaan Umum dan Penataan Ruang"
    )
    check_accessibility(page, "admin accounts connected")
    shot(page, "22-admin-connected")
    desk.close()
