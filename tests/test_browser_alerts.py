"""In real headless Chromium (Debian's ``chromium``): an account is paused by a revoked bot
token while publishing, the ``alert`` job tells the admins' chat, and an admin reading that
chat on the fake Telegram's inspection page (``GET /_fake/chats/{chat}``) follows the alert's
link to the admin page, where the paused account is shown. Asserts on what the fake received
and what the browser shows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jobs.pipeline import run_job
from publisher.app.factory import create_app
from publisher.fakes.faults import Fault
from publisher.fakes.server import ServerThread
from publisher.runtime.context import AppContext
from tests import test_browser_flow
from tests.publishing_env import (
    TG_TOKEN,
    Fakes,
    add_platform_account,
    approved_posts,
    running_fakes,
)
from tests.test_browser_flow import check_accessibility, shot, sign_in
from tests.web_support import make_user

pytestmark = pytest.mark.browser
browser = test_browser_flow.browser  # the Debian chromium fixture

ADMIN_CHAT = "-1009876543210"


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with running_fakes() as running:
        running.telegram.channels.add(ADMIN_CHAT)
        yield running


def test_an_admin_sees_the_paused_account_alert_in_the_telegram_chat_and_follows_its_link(
    ctx: AppContext, fakes: Fakes, browser: Any
) -> None:
    with ServerThread(create_app(ctx)) as site:
        ctx.settings.public_base_url = site.url
        ctx.settings.alert_telegram_bot_token = TG_TOKEN
        ctx.settings.alert_telegram_api_base = fakes.urls["telegram"]
        ctx.settings.alert_telegram_chats = [ADMIN_CHAT]
        account_id = add_platform_account(ctx, "telegram", fakes)
        make_user(ctx, "admin_kominfo", "admin")
        approved_posts(ctx, 1)
        fakes.telegram.fail_next(Fault("expired_token"))  # Bot API: 401 Unauthorized
        run_job(ctx, "publish")
        run_job(ctx, "alert")
        (sent,) = [m for m in fakes.telegram.sent if m.chat_id == ADMIN_CHAT]
        assert sent.method == "sendMessage" and "dijeda" in sent.caption

        desk = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page = desk.new_page()
        sign_in(page, site.url, "admin_kominfo")
        page.goto(f"{fakes.urls['telegram']}/_fake/chats/{ADMIN_CHAT}")
        message = page.locator(f"#pesan-{sent.message_id}")
        assert "Akun telegram @dpupr_tegal dijeda" in message.inner_text()
        shot(page, "alert-01-telegram-chat")
        message.get_by_role("link").click()
        page.wait_for_url(f"{site.url}/admin#akun-{account_id}")
        row = page.locator(f"#akun-{account_id}")
        assert row.is_visible()
        assert "@dpupr_tegal" in row.inner_text()
        # The state and the reason the outbox recorded, as the admin page shows them.
        assert "Perlu disambung ulang" in row.inner_text()
        assert "Token bot Telegram tidak sah" in row.inner_text()
        check_accessibility(page, "admin page from an alert")
        shot(page, "alert-02-admin-page")
        desk.close()
