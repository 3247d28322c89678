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
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi.testclient import TestClient
from sqlalchemy import select

from publisher.app import admin
from publisher.db.models import SocialAccount
from publisher.ops.doctor import Probe, check_platforms
from publisher.platforms.registry import platform_for
from publisher.runtime.context import AppContext
from publisher.web.auth import Viewer
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


# --- the fakes' authorize and token endpoints, as strict as the documents --------------------


def _x_code(fakes: Fakes, verifier: str, redirect: str) -> str:
    """A code from the fake's consent page for a PKCE S256 challenge of ``verifier``."""
    challenge = create_s256_code_challenge(verifier)
    query = httpx.QueryParams(
        response_type="code",
        client_id=X_CLIENT,
        redirect_uri=redirect,
        scope="tweet.read users.read offline.access",
        state="s1",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    back = httpx.URL(consent(f"{fakes.urls['x']}/i/oauth2/authorize?{query}"))
    assert back.params["state"] == "s1"
    return back.params["code"]


def _x_token(fakes: Fakes, **fields: str) -> httpx.Response:
    return httpx.post(
        f"{fakes.urls['x']}/2/oauth2/token",
        data={"grant_type": "authorization_code", "client_id": X_CLIENT, **fields},
    )


@pytest.fixture
def x_app(fakes: Fakes) -> str:
    redirect = "https://lapor.example/admin/accounts/oauth/x/callback"
    fakes.x.clients[X_CLIENT] = ""
    fakes.x.callbacks[X_CLIENT] = redirect
    return redirect


def test_fake_x_refuses_a_wrong_code_verifier(fakes: Fakes, x_app: str) -> None:
    """X "OAuth 2.0 Authorization Code Flow with PKCE", step 3 (and RFC 7636 4.6): the token
    request's ``code_verifier`` must transform to the ``code_challenge`` sent at authorize."""
    code = _x_code(fakes, "v" * 50, x_app)
    refused = _x_token(fakes, code=code, redirect_uri=x_app, code_verifier="w" * 50)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"


def test_fake_x_codes_are_single_use(fakes: Fakes, x_app: str) -> None:
    """X PKCE guide: the authorization code is exchanged once (RFC 6749 4.1.2: "MUST NOT be
    used more than once")."""
    code = _x_code(fakes, "v" * 50, x_app)
    first = _x_token(fakes, code=code, redirect_uri=x_app, code_verifier="v" * 50)
    assert first.status_code == 200 and first.json()["refresh_token"]
    again = _x_token(fakes, code=code, redirect_uri=x_app, code_verifier="v" * 50)
    assert again.status_code == 400


def test_fake_x_codes_live_thirty_seconds(fakes: Fakes, x_app: str) -> None:
    """X PKCE guide, step 2: "This code is valid for 30 seconds"."""
    assert fakes.x.code_lifetime_s == 30.0
    fakes.x.code_lifetime_s = -1
    code = _x_code(fakes, "v" * 50, x_app)
    late = _x_token(fakes, code=code, redirect_uri=x_app, code_verifier="v" * 50)
    assert late.status_code == 400


def test_fake_x_redirect_uri_must_match_the_registered_callback(fakes: Fakes, x_app: str) -> None:
    """X PKCE guide: ``redirect_uri`` "must match one of the Callback URLs" of the app, at
    authorize (no redirect to an unregistered URI, RFC 6749 4.1.2.1) and at the token step."""
    query = httpx.QueryParams(
        response_type="code",
        client_id=X_CLIENT,
        redirect_uri="https://evil.example/cb",
        state="s",
        code_challenge="c" * 43,
        code_challenge_method="S256",
    )
    page = httpx.get(f"{fakes.urls['x']}/i/oauth2/authorize?{query}")
    assert page.status_code == 400 and "location" not in page.headers
    code = _x_code(fakes, "v" * 50, x_app)
    other = _x_token(fakes, code=code, redirect_uri=x_app + "?x=1", code_verifier="v" * 50)
    assert other.status_code == 400


def test_fake_x_refresh_rotates_the_refresh_token(fakes: Fakes, x_app: str) -> None:
    """X PKCE guide, "Refresh tokens": a refresh answers a new pair; the used one is dead."""
    code = _x_code(fakes, "v" * 50, x_app)
    pair = _x_token(fakes, code=code, redirect_uri=x_app, code_verifier="v" * 50).json()
    renew = {"grant_type": "refresh_token", "client_id": X_CLIENT}
    url = f"{fakes.urls['x']}/2/oauth2/token"
    fresh = httpx.post(url, data={**renew, "refresh_token": pair["refresh_token"]})
    assert fresh.status_code == 200 and fresh.json()["refresh_token"] != pair["refresh_token"]
    stale = httpx.post(url, data={**renew, "refresh_token": pair["refresh_token"]})
    assert stale.status_code == 400


@pytest.fixture
def meta_app(fakes: Fakes) -> str:
    redirect = "https://lapor.example/admin/accounts/oauth/meta/callback"
    fakes.meta.apps[APP_ID] = APP_SECRET
    fakes.meta.redirect_uris[APP_ID] = redirect
    fakes.meta.people[META_USER] = [PAGE]
    return redirect


def _meta_code(fakes: Fakes, redirect: str) -> str:
    query = httpx.QueryParams(client_id=APP_ID, redirect_uri=redirect, state="s2", scope="x")
    back = httpx.URL(consent(f"{fakes.urls['meta']}/dialog/oauth?{query}"))
    assert back.params["state"] == "s2"
    return back.params["code"]


def _meta_token(fakes: Fakes, **fields: str) -> httpx.Response:
    return httpx.get(
        f"{fakes.urls['meta']}/oauth/access_token",
        params={"client_id": APP_ID, "client_secret": APP_SECRET, **fields},
    )


def _subcode(response: httpx.Response) -> int:
    return int(response.json()["error"]["error_subcode"])


def test_fake_meta_codes_are_single_use(fakes: Fakes, meta_app: str) -> None:
    """Meta "Manually Build a Login Flow", "Exchanging Code for an Access Token": a code is
    used once; again answers OAuthException 100 "This authorization code has been used"."""
    code = _meta_code(fakes, meta_app)
    assert _meta_token(fakes, code=code, redirect_uri=meta_app).status_code == 200
    again = _meta_token(fakes, code=code, redirect_uri=meta_app)
    assert again.status_code == 400 and _subcode(again) == 36009


def test_fake_meta_redirect_uri_must_be_identical(fakes: Fakes, meta_app: str) -> None:
    """Meta "Manually Build a Login Flow": ``redirect_uri`` at the exchange must be identical
    to the dialog's, and the dialog redirects only to a "Valid OAuth Redirect URI"."""
    code = _meta_code(fakes, meta_app)
    wrong = _meta_token(fakes, code=code, redirect_uri=meta_app + "/")
    assert wrong.status_code == 400 and _subcode(wrong) == 36008
    query = httpx.QueryParams(client_id=APP_ID, redirect_uri="https://evil.example/", state="s")
    blocked = httpx.get(f"{fakes.urls['meta']}/dialog/oauth?{query}")
    assert blocked.status_code == 400 and "URL Blocked" in blocked.text


def test_fake_meta_codes_expire(fakes: Fakes, meta_app: str) -> None:
    """Meta login codes are short-lived: a late exchange answers subcode 36007 "expired"."""
    fakes.meta.code_lifetime_s = -1
    late = _meta_token(fakes, code=_meta_code(fakes, meta_app), redirect_uri=meta_app)
    assert late.status_code == 400 and _subcode(late) == 36007


def test_fake_meta_exchanges_a_short_user_token_for_a_sixty_day_one(
    fakes: Fakes, meta_app: str
) -> None:
    """Meta "Long-Lived Access Tokens": ``grant_type=fb_exchange_token`` with the app secret
    answers a token whose ``expires_in`` is about 60 days; a wrong secret is refused."""
    short = _meta_token(fakes, code=_meta_code(fakes, meta_app), redirect_uri=meta_app).json()
    assert short["expires_in"] <= 2 * 3600
    exchange = {"grant_type": "fb_exchange_token", "fb_exchange_token": short["access_token"]}
    long = _meta_token(fakes, **exchange).json()
    assert 59 * 86400 <= long["expires_in"] <= 61 * 86400
    bad = httpx.get(
        f"{fakes.urls['meta']}/oauth/access_token",
        params={"client_id": APP_ID, "client_secret": "wrong", **exchange},
    )
    assert bad.status_code == 400


def test_fake_meta_page_tokens_from_a_long_lived_user_token_never_expire(
    fakes: Fakes, meta_app: str
) -> None:
    """Meta "Page access tokens": ``/me/accounts`` lists each Page with its token; asked for
    with a long-lived user token it has no expiry (``debug_token`` ``expires_at`` 0)."""
    short = _meta_token(fakes, code=_meta_code(fakes, meta_app), redirect_uri=meta_app).json()
    user = _meta_token(
        fakes, grant_type="fb_exchange_token", fb_exchange_token=short["access_token"]
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {user}"}
    pages = httpx.get(f"{fakes.urls['meta']}/me/accounts", headers=bearer).json()["data"]
    assert [p["id"] for p in pages] == [PAGE] and pages[0]["access_token"]
    debug = httpx.get(
        f"{fakes.urls['meta']}/debug_token",
        params={"input_token": pages[0]["access_token"]},
        headers=bearer,
    ).json()["data"]
    assert debug["expires_at"] == 0 and debug["is_valid"] is True and debug["type"] == "PAGE"


def test_a_page_token_about_to_expire_is_asked_for_again_and_stored_before_use(
    ctx: AppContext, fakes: Fakes, login: TestClient
) -> None:
    """When a Page token has an expiry (``debug_token`` ``expires_at`` > 0), the adapter asks
    for it again with the long-lived user token (``/{page}?fields=access_token``) shortly
    before it lapses, and stores it by a conditional update before using it."""
    fakes.meta.page_token_lifetime_s = 20
    callback(login, consent(start(login, "meta")))
    before = accounts(ctx)["facebook"]["creds"]
    assert 0 < float(before["expires_at"]) - time.time() <= 20
    issued = fakes.meta.page_tokens_issued
    with ctx.sessions() as session:
        row = session.scalars(select(SocialAccount).where(SocialAccount.platform == "facebook"))
        account = row.one()
    # Within the leeway (a tenth of a 20 s lifetime) the next call renews first.
    fakes.meta.token_expires_at[before["access_token"]] = int(time.time()) + 1
    with ctx.sessions() as session, session.begin():
        stored_row = session.get(SocialAccount, account.id)
        assert stored_row is not None
        creds = dict(before, expires_at=str(int(time.time()) + 1))
        stored_row.credentials = ctx.vault.encrypt_json(creds)
    viewer = Viewer(1, "admin.satu", "", "admin", None, "s", "t")
    with ctx.sessions() as session, session.begin():
        assert admin.test_account(ctx, session, viewer, account.id) == "ok"
    after = accounts(ctx)["facebook"]["creds"]
    assert fakes.meta.page_tokens_issued == issued + 1
    assert after["access_token"] != before["access_token"]
    assert float(after["expires_at"]) > time.time() + 10


def test_a_login_ending_within_seven_days_is_warned_about_by_the_connection_test(
    ctx: AppContext, fakes: Fakes, login: TestClient
) -> None:
    """The long-lived user token cannot be renewed by a server (Meta "Long-Lived Access
    Tokens"): the connection test warns a week ahead so an admin logs in again in time."""
    callback(login, consent(start(login, "meta")))
    with ctx.sessions() as session, session.begin():
        row = session.scalars(
            select(SocialAccount).where(SocialAccount.platform == "facebook")
        ).one()
        creds = ctx.vault.decrypt_json(row.credentials or b"")
        assert isinstance(creds, dict)
        creds["user_token_expires_at"] = str(int(time.time()) + 3 * 86400)
        row.credentials = ctx.vault.encrypt_json(creds)
        account_id = row.id
    viewer = Viewer(1, "admin.satu", "", "admin", None, "s", "t")
    with ctx.sessions() as session, session.begin():
        result = admin.test_account(ctx, session, viewer, account_id)
    assert result.startswith("ok — Peringatan: token Meta berakhir") and "2 hari lagi" in result


def test_each_account_connected_by_login_offers_to_connect_again_from_its_row(
    ctx: AppContext, fakes: Fakes, login: TestClient
) -> None:
    callback(login, consent(start(login, "x")))
    page = login.get("/admin").text
    assert 'action="/admin/accounts/oauth/x/start"' in page and "Sambungkan ulang" in page
    assert '<input type="hidden" name="agency" value="dpupr">' in page
