"""Connecting accounts by logging in: the OAuth flows behind the admin page's "Sambungkan".

* **X**: OAuth 2.0 Authorization Code with PKCE (X "OAuth 2.0 Authorization Code Flow with
  PKCE"; RFC 7636 S256): authorize -> code -> ``POST /2/oauth2/token`` (grant
  ``authorization_code`` with the ``code_verifier``) -> ``GET /2/users/me``. With
  ``offline.access`` the answer carries a refresh token; the adapter renews and rotates the pair
  (:mod:`publisher.platforms.x.oauth`).
* **Meta** (Facebook Login for a Page and its linked Instagram business account): dialog ->
  code -> ``/oauth/access_token`` (a short-lived user token) -> ``fb_exchange_token`` (a
  long-lived user token, about 60 days; Meta "Long-Lived Access Tokens") -> ``/me/accounts``
  (the Page token; Meta "Page access tokens") -> the Page's ``instagram_business_account``.
  The expiry of each token comes from ``expires_in`` and ``debug_token``.
* **Telegram** has no login: a bot token and a chat, checked with ``getMe`` and ``getChat``
  before anything is saved.

Authlib builds the authorize URLs, the PKCE challenge and the grant bodies; the calls go
through the shared ``httpx`` client. What the admin page keeps between the redirect and the
callback (``state``, the verifier) is :attr:`Started.pending`; the page binds it to the admin's
session. Every failure is a :class:`ConnectFailed` whose ``user_message`` (Indonesian) goes on
the page; no token or secret is ever part of a message.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from publisher.core.errors import LaporError, PlatformError
from publisher.core.settings import Settings
from publisher.platforms.meta.graph import video_host
from publisher.platforms.meta.tokens import graph_get, token_expiry
from publisher.platforms.spec import AdapterInputs
from publisher.platforms.x import oauth as x_oauth

PROVIDERS = ("x", "meta")
META_SCOPES = (
    "pages_show_list,pages_read_engagement,pages_manage_posts,"
    "instagram_basic,instagram_content_publish,business_management"
)


class ConnectFailed(LaporError):
    """An account could not be connected; ``user_message`` says why, in Indonesian."""

    user_message = "Akun tidak dapat disambungkan. Coba lagi."

    def __init__(self, message: str, *, user_message: str | None = None) -> None:
        super().__init__(message)
        if user_message:
            self.user_message = user_message


@dataclass(frozen=True)
class Connection:
    """One account to store: its platform, handle and credentials (to be encrypted)."""

    platform: str
    handle: str
    credentials: dict[str, str]


@dataclass(frozen=True)
class Started:
    url: str  # where the admin's browser goes next
    pending: dict[str, str]  # what the callback needs: keep it secret, bound to the session


def configured(provider: str, settings: Settings) -> bool:
    if provider == "x":
        return bool(settings.x_client_id)
    if provider == "meta":
        return bool(settings.meta_app_id and settings.meta_app_secret)
    return False


def _fail(log: str, message: str) -> ConnectFailed:
    return ConnectFailed(log, user_message=message)


def start(provider: str, settings: Settings, redirect_uri: str) -> Started:
    """The authorize URL to send the admin to, and what to keep until the callback."""
    if provider not in PROVIDERS:
        raise _fail(f"unknown provider {provider!r}", "Platform tidak dikenal.")
    if not configured(provider, settings):
        variable = "LAPOR_X_CLIENT_ID" if provider == "x" else "LAPOR_META_APP_ID/_SECRET"
        raise _fail(
            f"{provider}: app not configured",
            f"Aplikasi {'X' if provider == 'x' else 'Meta'} belum dikonfigurasi ({variable}). "
            "Lihat docs/deploy.md.",
        )
    state = generate_token(32)
    if provider == "x":
        verifier = generate_token(64)  # RFC 7636 4.1: 43 to 128 characters
        url = prepare_grant_uri(
            settings.x_authorize_url,
            settings.x_client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=x_oauth.SCOPES,
            state=state,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
        return Started(url, {"state": state, "code_verifier": verifier})
    url = prepare_grant_uri(
        settings.meta_dialog_url,
        settings.meta_app_id,
        "code",
        redirect_uri=redirect_uri,
        scope=META_SCOPES,
        state=state,
    )
    return Started(url, {"state": state})


def check_callback(provider: str, pending: Mapping[str, str], params: Mapping[str, str]) -> str:
    """The code of a callback whose ``state`` is the one we sent; else why not, in Indonesian."""
    label = "X" if provider == "x" else "Facebook"
    state = params.get("state", "")
    if not state or not hmac.compare_digest(state, pending.get("state", "")):
        raise _fail(
            f"{provider}: callback state does not match",
            "Permintaan sambungan tidak cocok dengan sesi ini (state berbeda). Mulai lagi dari "
            "tombol Sambungkan.",
        )
    if params.get("error"):
        if params["error"] == "access_denied":
            raise _fail(
                f"{provider}: consent denied",
                f"Izin ditolak di {label}: akun tidak disambungkan. Ulangi dan pilih izinkan "
                "bila ingin menyambungkan.",
            )
        raise _fail(
            f"{provider}: authorize answered {params['error'][:40]!r}",
            f"{label} menolak permintaan izin ({params['error'][:40]}).",
        )
    code = params.get("code", "")
    if not code:
        raise _fail(f"{provider}: callback without a code", f"{label} tidak mengirim kode izin.")
    return code


def finish(
    provider: str,
    client: httpx.Client,
    settings: Settings,
    pending: Mapping[str, str],
    params: Mapping[str, str],
    redirect_uri: str,
) -> list[Connection]:
    """Exchange the callback's code for tokens and describe the accounts to store."""
    code = check_callback(provider, pending, params)
    try:
        if provider == "x":
            return [_finish_x(client, settings, pending, code, redirect_uri)]
        return _finish_meta(client, settings, pending, code, redirect_uri)
    except PlatformError as exc:
        raise _fail(
            f"{provider}: token exchange failed ({exc})",
            f"Kode izin ditolak atau kedaluwarsa di {'X' if provider == 'x' else 'Meta'}. "
            "Mulai lagi dari tombol Sambungkan.",
        ) from None


def _finish_x(
    client: httpx.Client,
    settings: Settings,
    pending: Mapping[str, str],
    code: str,
    redirect_uri: str,
) -> Connection:
    api = settings.x_api_base.rstrip("/")
    token_url = f"{api}/2/oauth2/token"
    now = time.time()
    payload = x_oauth.token_request(
        client,
        token_url,
        settings.x_client_id,
        settings.x_client_secret,
        "authorization_code",
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=pending.get("code_verifier", ""),
    )
    pair = x_oauth.pair_from(payload, now)
    try:
        response = client.get(
            f"{api}/2/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
        )
        me = response.json().get("data") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        me = None
    if not isinstance(me, dict) or not me.get("id"):
        raise _fail("x: /2/users/me failed after login", "X tidak mengenali akun yang login.")
    creds = {
        **pair,
        "user_id": str(me["id"]),
        "username": str(me.get("username") or ""),
        "client_id": settings.x_client_id,
        "token_url": token_url,
        "api_base": api,
    }
    if settings.x_client_secret:
        creds["client_secret"] = settings.x_client_secret
    return Connection("x", str(me.get("username") or me["id"]), creds)


def _meta_token(
    client: httpx.Client, settings: Settings, fields: Mapping[str, str]
) -> dict[str, Any]:
    """One answer of ``/oauth/access_token``. POSTed, so the app secret and the code never sit
    in a URL (URLs are logged); the Graph API takes the same fields either way."""
    url = f"{settings.meta_graph_url.rstrip('/')}/oauth/access_token"
    body = {"client_id": settings.meta_app_id, "client_secret": settings.meta_app_secret}
    try:
        response = client.post(url, data={**body, **fields})
        payload = response.json()
    except (httpx.HTTPError, ValueError):
        raise _fail("meta: token endpoint unreachable", "Meta tidak dapat dihubungi.") from None
    if response.status_code != 200 or not isinstance(payload, dict) or "error" in payload:
        error = payload.get("error") if isinstance(payload, dict) else None
        sub = error.get("error_subcode") if isinstance(error, dict) else None
        message = {
            36007: "Kode izin Meta sudah kedaluwarsa. Mulai lagi dari tombol Sambungkan.",
            36009: "Kode izin Meta sudah dipakai. Mulai lagi dari tombol Sambungkan.",
            36008: "Alamat callback tidak cocok dengan yang didaftarkan di aplikasi Meta.",
        }.get(sub if isinstance(sub, int) else 0, "Meta menolak pertukaran token.")
        raise _fail(f"meta: access_token refused (subcode {sub})", message)
    if not payload.get("access_token"):
        raise _fail("meta: access_token answer without a token", "Meta tidak memberi token.")
    return payload


def _finish_meta(
    client: httpx.Client,
    settings: Settings,
    pending: Mapping[str, str],
    code: str,
    redirect_uri: str,
) -> list[Connection]:
    graph = settings.meta_graph_url.rstrip("/")
    secret = settings.meta_app_secret
    now = time.time()
    short = _meta_token(client, settings, {"redirect_uri": redirect_uri, "code": code})
    long = _meta_token(
        client,
        settings,
        {"grant_type": "fb_exchange_token", "fb_exchange_token": str(short["access_token"])},
    )
    user_token = str(long["access_token"])
    expires_in = long.get("expires_in")
    user_expires = int(now + expires_in) if isinstance(expires_in, int | float) else 0
    if not user_expires:
        user_expires = token_expiry(client, graph, user_token, secret)
    pages = graph_get(
        client,
        f"{graph}/me/accounts",
        user_token,
        secret,
        {"fields": "id,name,access_token,instagram_business_account"},
    ).get("data")
    pages = [p for p in pages or [] if isinstance(p, dict) and p.get("access_token")]
    wanted = pending.get("page_id", "").strip()
    if wanted:
        pages = [p for p in pages if str(p.get("id")) == wanted]
    if not pages:
        raise _fail(
            "meta: no Page managed by this login",
            "Akun Facebook ini tidak mengelola Halaman"
            + (f" dengan ID {wanted[:30]}" if wanted else "")
            + ". Login dengan akun admin Halaman instansi.",
        )
    if len(pages) > 1:
        names = ", ".join(f"{p.get('name', '')} ({p.get('id')})" for p in pages[:10])
        raise _fail(
            "meta: several Pages, none chosen",
            f"Akun ini mengelola beberapa Halaman: {names}. Isi ID Halaman lalu ulangi.",
        )
    page = pages[0]
    page_id, page_token = str(page["id"]), str(page["access_token"])
    page_expires = token_expiry(client, graph, page_token, secret)
    common = {
        "access_token": page_token,
        "expires_at": str(page_expires),
        "user_token": user_token,
        "user_token_expires_at": str(user_expires),
        "app_secret": secret,
        "api_base": graph,
    }
    if page_expires:
        common["expires_in"] = str(max(1, int(page_expires - now)))
    video = settings.meta_video_url or video_host(graph)
    out = [
        Connection(
            "facebook",
            str(page.get("name") or page_id),
            {**common, "page_id": page_id, "video_api_base": video},
        )
    ]
    ig = page.get("instagram_business_account")
    if isinstance(ig, dict) and ig.get("id"):
        ig_id = str(ig["id"])
        profile = graph_get(client, f"{graph}/{ig_id}", page_token, secret, {"fields": "username"})
        out.append(
            Connection(
                "instagram",
                str(profile.get("username") or ig_id),
                {**common, "ig_user_id": ig_id, "page_id": page_id},
            )
        )
    return out


def check_telegram(inputs: AdapterInputs) -> Connection:
    """A Telegram bot and chat, asked ``getMe`` and ``getChat`` (the adapter's ``check``)
    before anything is saved; a wrong token or a chat the bot is not in is refused."""
    from publisher.platforms.telegram.spec import SPEC

    try:
        SPEC.factory(inputs).check()
    except PlatformError as exc:
        raise _fail(f"telegram: check failed ({exc})", exc.user_message) from None
    except httpx.HTTPError as exc:
        raise _fail(
            f"telegram: unreachable ({type(exc).__name__})", "Telegram tidak dapat dihubungi."
        ) from None
    return Connection("telegram", inputs.handle, dict(inputs.credentials))
