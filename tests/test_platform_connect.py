"""Connecting accounts by logging in (issue 19): the fakes' authorize and token endpoints as
strict as the documents, the admin pages' OAuth flows for X and Meta, Telegram checked before it
is saved, Meta long-lived Page tokens, and ``lapor doctor`` renewing tokens as the worker does."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from publisher.db.models import SocialAccount
from publisher.ops.doctor import Probe, check_platforms
from publisher.platforms.registry import platform_for
from publisher.runtime.context import AppContext
from tests.flow import add_account
from tests.publishing_env import (
    PAGE,
    TG_CHANNEL,
    TG_TOKEN,
    X_USER,
    Fakes,
    credentials,
    running_fakes,
)
from tests.web_support import client, make_user, sign_in


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with running_fakes() as running:
        yield running


def stored(ctx: AppContext, account_id: int) -> dict[str, Any]:
    with ctx.sessions() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None and account.credentials
        creds = ctx.vault.decrypt_json(account.credentials)
    assert isinstance(creds, dict)
    return creds


def test_doctor_renews_an_x_token_about_to_expire_as_the_worker_does(
    ctx: AppContext, fakes: Fakes
) -> None:
    """The doctor builds adapters like the worker (with sessions), so its dry call renews an
    X token due for renewal and stores the rotated pair instead of reporting a failure."""
    fakes.x.clients["lapor-app"] = ""
    fakes.x.token_lifetime_s = 60
    pair = fakes.x.issue(X_USER)
    fakes.x.token_lifetime_s = 7200
    account_id = add_account(
        ctx,
        "x",
        "dpupr_tegal",
        {
            **credentials("x", fakes),
            "access_token": pair["access_token"],
            "refresh_token": pair["refresh_token"],
            "expires_at": str(int(time.time() + 30)),
            "expires_in": "7200",
            "client_id": "lapor-app",
            "token_url": f"{fakes.urls['x']}/2/oauth2/token",
        },
    )
    result = check_platforms(Probe(settings=ctx.settings, ctx=ctx, schema_ok=True))
    assert result.status == "ok", result.detail
    assert fakes.x.refreshes == 1
    assert stored(ctx, account_id)["refresh_token"] in fakes.x.refresh_tokens


# --- the admin page's OAuth flows, end to end over HTTP against the fakes --------------------

APP_ID, APP_SECRET = "424242", "meta-app-secret"
X_CLIENT = "lapor-x-client"
META_USER = "9000001"
LINKED_IG = "17841400000000777"


@pytest.fixture
def login(ctx: AppContext, fakes: Fakes) -> Iterator[TestClient]:
    """The app configured for both logins, the fakes knowing the app and its callbacks, and an
    admin signed in."""
    base = "http://127.0.0.1:8000"
    ctx.settings.public_base_url = base
    ctx.settings.x_client_id = X_CLIENT
    ctx.settings.x_authorize_url = f"{fakes.urls['x']}/i/oauth2/authorize"
    ctx.settings.x_api_base = fakes.urls["x"]
    ctx.settings.meta_app_id, ctx.settings.meta_app_secret = APP_ID, APP_SECRET
    ctx.settings.meta_dialog_url = f"{fakes.urls['meta']}/dialog/oauth"
    ctx.settings.meta_graph_url = fakes.urls["meta"]
    ctx.settings.meta_video_url = fakes.urls["meta_video"]
    ctx.settings.telegram_api_base = fakes.urls["telegram"]
    fakes.x.clients[X_CLIENT] = ""  # a public client: PKCE only
    fakes.x.callbacks[X_CLIENT] = f"{base}/admin/accounts/oauth/x/callback"
    fakes.meta.apps[APP_ID] = APP_SECRET
    fakes.meta.app_secret = APP_SECRET  # the app requires appsecret_proof on every call
    fakes.meta.redirect_uris[APP_ID] = f"{base}/admin/accounts/oauth/meta/callback"
    fakes.meta.people[META_USER] = [PAGE]
    fakes.meta.page_instagram[PAGE] = LINKED_IG
    fakes.meta.ig_users[LINKED_IG] = "dpupr.tegal"
    make_user(ctx, "admin.satu", "admin")
    with client(ctx) as web:
        web.headers["x-csrf-token"] = sign_in(web, "admin.satu")
        yield web


def start(web: TestClient, provider: str, **form: str) -> str:
    response = web.post(f"/admin/accounts/oauth/{provider}/start", data={"agency": "dpupr", **form})
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def consent(authorize_url: str, decision: str = "allow") -> str:
    """What the person does on the platform's page: open it, press the button; returns the
    callback URL the platform redirects to."""
    with httpx.Client() as browser:
        page = browser.get(authorize_url)
        assert page.status_code == 200, page.text
        form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action is not None
        target = httpx.URL(authorize_url).join(action.group(1))
        answer = browser.post(
            target, data={**{k: html.unescape(v) for k, v in form.items()}, "decision": decision}
        )
    assert answer.status_code == 302, answer.text
    return str(answer.headers["location"])


def callback(web: TestClient, url: str) -> str:
    """Follow the platform's redirect back into the app; returns the message shown."""
    parts = httpx.URL(url)
    response = web.get(parts.raw_path.decode())
    assert response.status_code == 303, response.text
    shown = httpx.URL(str(response.headers["location"])).params.get("pesan", "")
    assert web.get(str(response.headers["location"])).status_code == 200
    return shown


def accounts(ctx: AppContext) -> dict[str, dict[str, Any]]:
    with ctx.sessions() as session:
        rows = session.scalars(select(SocialAccount)).all()
        return {
            row.platform: {
                "handle": row.handle,
                "status": row.status,
                "cipher": bytes(row.credentials or b""),
                "creds": ctx.vault.decrypt_json(row.credentials) if row.credentials else {},
            }
            for row in rows
        }


def test_an_admin_connects_x_by_logging_in_with_pkce_and_the_pair_is_stored_encrypted(
    ctx: AppContext, fakes: Fakes, login: TestClient
) -> None:
    """X "OAuth 2.0 Authorization Code Flow with PKCE": S256 challenge at authorize, the
    verifier at the token step, ``offline.access`` for a refresh token."""
    authorize = start(login, "x")
    query = httpx.URL(authorize).params
    assert query["code_challenge_method"] == "S256" and "offline.access" in query["scope"]
    shown = callback(login, consent(authorize))
    assert shown == "Akun tersambung: X dpupr_tegal."
    assert fakes.x.authorizations == 1
    stored_x = accounts(ctx)["x"]
    creds = stored_x["creds"]
    assert creds["user_id"] == X_USER and creds["refresh_token"] in fakes.x.refresh_tokens
    assert fakes.x.tokens[creds["access_token"]] == X_USER
    assert creds["access_token"].encode() not in stored_x["cipher"]  # encrypted at rest
    assert float(creds["expires_at"]) > time.time() + 7000


def test_meta_login_connects_the_page_and_its_instagram_account_with_long_lived_tokens(
    ctx: AppContext, fakes: Fakes, login: TestClient
) -> None:
    """Meta "Long-Lived Access Tokens" (``fb_exchange_token``, about 60 days) and "Page access
    tokens" (``/me/accounts``; no expiry when asked for with a long-lived user token)."""
    shown = callback(login, consent(start(login, "meta")))
    assert shown == "Akun tersambung: Facebook DPUPR Kabupaten Tegal, Instagram dpupr.tegal."
    assert fakes.meta.exchanges == 1
    stored_meta = accounts(ctx)
    page, ig = stored_meta["facebook"]["creds"], stored_meta["instagram"]["creds"]
    assert page["page_id"] == PAGE and ig["ig_user_id"] == LINKED_IG and ig["page_id"] == PAGE
    assert page["access_token"] in fakes.meta.tokens and page["expires_at"] == "0"
    assert float(page["user_token_expires_at"]) > time.time() + 59 * 86400
    assert page["user_token"] in fakes.meta.user_tokens
    # The connected accounts work: the adapter's own check, with appsecret_proof.
    with ctx.sessions() as session:
        for row in session.scalars(select(SocialAccount)):
            assert "Peringatan" not in platform_for(ctx, row).check()


def test_denied_consent_is_explained_in_indonesian_and_nothing_is_stored(
    ctx: AppContext, fakes: Fakes, login: TestClient
) -> None:
    shown = callback(login, consent(start(login, "x"), decision="deny"))
    assert shown.startswith("Sambungan gagal: Izin ditolak di X")
    shown = callback(login, consent(start(login, "meta"), decision="deny"))
    assert shown.startswith("Sambungan gagal: Izin ditolak di Facebook")
    assert accounts(ctx) == {}


def test_a_callback_whose_state_differs_is_refused_and_the_code_never_exchanged(
    ctx: AppContext, fakes: Fakes, login: TestClient
) -> None:
    back = consent(start(login, "x"))
    forged = re.sub(r"state=[^&]+", "state=forged", back)
    assert "state berbeda" in callback(login, forged)
    assert fakes.x.authorizations == 0 and accounts(ctx) == {}


def test_a_callback_in_another_admin_session_is_refused(
    ctx: AppContext, fakes: Fakes, login: TestClient
) -> None:
    back = consent(start(login, "x"))
    make_user(ctx, "admin.dua", "admin")
    with client(ctx) as other:
        sign_in(other, "admin.dua")
        other.cookies.set("lapor_oauth", login.cookies.get("lapor_oauth") or "")
        assert "sesi lain" in callback(other, back)
    assert accounts(ctx) == {}


def test_an_expired_code_is_refused_with_a_way_forward(
    ctx: AppContext, fakes: Fakes, login: TestClient
) -> None:
    fakes.x.code_lifetime_s = -1  # "This code is valid for 30 seconds": already past
    assert "kedaluwarsa" in callback(login, consent(start(login, "x")))
    fakes.meta.code_lifetime_s = -1
    assert "kedaluwarsa" in callback(login, consent(start(login, "meta")))
    assert accounts(ctx) == {}


def test_a_callback_without_a_flow_in_progress_is_refused_not_a_500(
    ctx: AppContext, login: TestClient
) -> None:
    response = login.get("/admin/accounts/oauth/x/callback?code=abc&state=def")
    assert response.status_code == 303
    assert "kedaluwarsa atau tidak ditemukan" in unquote(response.headers["location"])


def test_an_unconfigured_app_says_which_setting_is_missing(
    ctx: AppContext, login: TestClient
) -> None:
    ctx.settings.x_client_id = ""
    response = login.post("/admin/accounts/oauth/x/start", data={"agency": "dpupr"})
    assert "LAPOR_X_CLIENT_ID" in unquote(response.headers["location"])
    assert "Aplikasi X belum dikonfigurasi" in login.get("/admin").text


def test_telegram_is_checked_with_getme_and_getchat_before_it_is_saved(
    ctx: AppContext, fakes: Fakes, login: TestClient
) -> None:
    wrong = login.post(
        "/admin/accounts/telegram",
        data={"agency": "dpupr", "bot_token": "999:wrong", "chat_id": TG_CHANNEL},
    )
    assert "Sambungan gagal" in unquote(wrong.headers["location"])
    not_in_chat = login.post(
        "/admin/accounts/telegram",
        data={"agency": "dpupr", "bot_token": TG_TOKEN, "chat_id": "@kanal_lain"},
    )
    assert "Sambungan gagal" in unquote(not_in_chat.headers["location"])
    assert accounts(ctx) == {}
    right = login.post(
        "/admin/accounts/telegram",
        data={"agency": "dpupr", "bot_token": TG_TOKEN, "chat_id": TG_CHANNEL},
    )
    assert unquote(right.headers["location"]).endswith(f"Akun tersambung: Telegram {TG_CHANNEL}.")
    assert fakes.telegram.requests == 1 + 2 + 2  # wrong token: getMe; unknown chat, right
    assert accounts(ctx)["telegram"]["creds"]["bot_token"] == TG_TOKEN


def test_connecting_again_renews_a_paused_accounts_tokens(
    ctx: AppContext, fakes: Fakes, login: TestClient
) -> None:
    callback(login, consent(start(login, "x")))
    first = accounts(ctx)["x"]["creds"]["access_token"]
    with ctx.sessions() as session, session.begin():
        row = session.scalars(select(SocialAccount)).one()
        row.status, row.status_reason = "needs_reconnect", "token dicabut"
    assert callback(login, consent(start(login, "x"))) == "Akun tersambung: X dpupr_tegal."
    again = accounts(ctx)["x"]
    assert again["status"] == "active" and again["creds"]["access_token"] != first
