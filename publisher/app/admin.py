"""Administration (admins only): agencies with their accounts and users, accounts (connect with
encrypted credentials, test the connection, pause and resume), users (create, change role and
agency, deactivate, set a password), and a live preview of the caption templates.

It sits in ``publisher.app`` beside the factory because it composes parts (platform adapters,
caption rendering, web accounts); the toolkit in ``publisher.web`` imports no part.

The built-in caption templates are files under ``templates/posts/`` reviewed like code, so the
page previews them (with any action text typed in); an agency's own templates are edited in
``publisher.posts.routes``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import asdict
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.core.crypto import JSONValue
from publisher.core.errors import LaporError
from publisher.db import audit
from publisher.db.models import ROLES, Agency, SocialAccount, User
from publisher.platforms import connect as oauth
from publisher.platforms.registry import get_spec, platform_for
from publisher.platforms.registry import names as platform_names
from publisher.platforms.spec import AdapterInputs
from publisher.posts.captions import CaptionContext, render_caption
from publisher.runtime.context import AppContext
from publisher.web.auth import (
    BadInput,
    Conflict,
    NotFound,
    Viewer,
    cookie_secure,
    end_sessions,
    set_password,
)
from publisher.web.deps import AdminOnly, AdminOnlyWrite, Ctx, Pages
from publisher.web.forms import NO_FORM, FormState, is_refusal, refusal
from publisher.web.templating import PageRenderer

SAMPLE_ACTION = "Lubang jalan sudah ditambal dengan aspal oleh tim UPT jalan."
# Account status changes an admin may make, and the audit action each writes.
ACCOUNT_TRANSITIONS = {
    "pause": ("paused", "account.paused"),
    "resume": ("active", "account.resumed"),
}


def sample_context(action: str, whatsapp: str = "", app_url: str = "") -> CaptionContext:
    return CaptionContext(
        agency="Dinas Pekerjaan Umum dan Penataan Ruang",
        category="jalan",
        place="Desa Procot, Kecamatan Slawi",
        kecamatan="Slawi",
        desa="Procot",
        date="Jumat, 27 November 2026",
        time="09.00 WIB",
        action=action.strip() or SAMPLE_ACTION,
        tracking_number="LPR-2026-00001",
        whatsapp=whatsapp,
        app_url=app_url,
    )


def previews(action: str, whatsapp: str = "", app_url: str = "") -> dict[str, str]:
    out = {}
    for platform in platform_names():
        try:
            context = sample_context(action[:2000], whatsapp, app_url)
            out[platform] = render_caption(platform, context)
        except Exception as exc:  # a broken template must show on this page, not crash it
            out[platform] = f"(templat gagal dirender: {type(exc).__name__})"
    return out


def _agency(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise BadInput("unknown agency", "Instansi tidak dikenal.", field="agency")
    return agency


def connect_account(
    ctx: AppContext,
    session: Session,
    viewer: Viewer,
    agency: str,
    platform: str,
    handle: str,
    credentials: str,
) -> SocialAccount:
    if platform not in platform_names():
        raise BadInput("unknown platform", "Platform tidak dikenal.", field="platform")
    try:
        creds = json.loads(credentials or "{}")
    except ValueError:
        raise BadInput(
            "credentials are not JSON", "Kredensial harus berupa JSON.", field="credentials"
        ) from None
    if not handle.strip():
        raise BadInput("account without a handle", "Isi nama akun atau kanal.", field="handle")
    if not isinstance(creds, dict):
        raise BadInput(
            "credentials are not an object", "Kredensial harus objek JSON.", field="credentials"
        )
    if session.scalar(
        select(SocialAccount).where(
            SocialAccount.platform == platform, SocialAccount.handle == handle.strip()
        )
    ):
        raise Conflict("account exists", "Akun ini sudah terhubung.", field="handle")
    account = SocialAccount(
        agency_id=_agency(session, agency).id,
        platform=platform,
        handle=handle.strip(),
        credentials=ctx.vault.encrypt_json(creds),
    )
    session.add(account)
    session.flush()
    # Credentials are never written to the audit log, only which account was connected.
    audit.record(
        session,
        actor=viewer.actor,
        action="account.connected",
        object_type="account",
        object_id=account.id,
        platform=platform,
    )
    return account


def store_connection(
    ctx: AppContext, session: Session, viewer: Viewer, agency: str, found: oauth.Connection
) -> SocialAccount:
    """Save an account connected by login: a new one, or new credentials for the same account
    (connecting again is how a paused account gets fresh tokens), active again either way."""
    agency_id = _agency(session, agency).id
    account = session.scalar(
        select(SocialAccount).where(
            SocialAccount.platform == found.platform, SocialAccount.handle == found.handle
        )
    )
    action = "account.reconnected"
    if account is None:
        account = SocialAccount(agency_id=agency_id, platform=found.platform, handle=found.handle)
        session.add(account)
        action = "account.connected"
    elif account.agency_id != agency_id:
        raise Conflict("account belongs to another agency", "Akun ini milik instansi lain.")
    account.credentials = ctx.vault.encrypt_json(dict(found.credentials))
    account.status, account.status_reason = "active", ""
    session.flush()
    # Credentials are never written to the audit log, only which account was connected.
    audit.record(
        session,
        actor=viewer.actor,
        action=action,
        object_type="account",
        object_id=account.id,
        platform=found.platform,
        by="login",
    )
    return account


def test_account(ctx: AppContext, session: Session, viewer: Viewer, account_id: int) -> str:
    """Build the adapter and make its ``check`` call (Telegram ``getMe`` + ``getChat``, X
    ``/2/users/me``, ...): a harmless authenticated read, so wrong credentials raise the
    platform's error. (A marker look-up proves nothing where the platform cannot search.)

    The account is read, and the check made, before ``session`` is touched: the check may renew
    a token and store it in a session of its own, which must not wait on this one's write lock.
    """
    with ctx.readonly_sessions() as reader:
        account = reader.get(SocialAccount, account_id)
    if account is None:
        raise NotFound(f"account {account_id}")
    try:
        described = platform_for(ctx, account).check()
        # A check that works but sees trouble ahead (a token about to expire) says so.
        _, _, warning = described.partition(" — Peringatan: ")
        result = f"ok — Peringatan: {warning}" if warning else "ok"
    except LaporError as exc:
        result = exc.user_message
    except Exception as exc:  # a network failure is an answer here, not a server error
        result = f"Tidak dapat menghubungi platform ({type(exc).__name__})."
    audit.record(
        session,
        actor=viewer.actor,
        action="account.tested",
        object_type="account",
        object_id=account.id,
        ok=result.startswith("ok"),
    )
    return result


def change_account(session: Session, viewer: Viewer, account_id: int, change: str) -> None:
    account = session.get(SocialAccount, account_id)
    if account is None:
        raise NotFound(f"account {account_id}")
    if change not in ACCOUNT_TRANSITIONS:
        raise BadInput(f"unknown change {change!r}")
    status, action = ACCOUNT_TRANSITIONS[change]
    account.status, account.status_reason = status, "" if status == "active" else "dijeda admin"
    audit.record(
        session, actor=viewer.actor, action=action, object_type="account", object_id=account.id
    )


def save_user(
    session: Session,
    viewer: Viewer,
    *,
    username: str,
    role: str,
    agency: str,
    full_name: str,
    password: str,
    active: bool,
) -> User:
    if role not in ROLES:
        raise BadInput("unknown role", "Peran tidak dikenal.", field="role")
    agency_id = _agency(session, agency).id if agency else None
    if role == "pic" and agency_id is None:
        raise BadInput("a PIC needs an agency", "PIC wajib memiliki instansi.", field="agency")
    user = session.scalar(select(User).where(User.username == username.strip()))
    created = user is None
    if user is None:
        if not username.strip():
            raise BadInput("empty username", "Nama pengguna wajib diisi.", field="username")
        user = User(username=username.strip(), role=role)
        session.add(user)
    user.role, user.agency_id, user.active = role, agency_id, active
    user.full_name = full_name.strip() or user.full_name
    session.flush()
    if password:
        try:
            set_password(session, user, password, viewer.actor)
        except ValueError:
            raise BadInput(
                "short password", "Kata sandi minimal 10 karakter.", field="password"
            ) from None
    if not active:
        end_sessions(session, user.id)
    audit.record(
        session,
        actor=viewer.actor,
        action="user.created" if created else "user.updated",
        object_type="user",
        object_id=user.id,
        role=role,
        agency=agency or None,
        active=active,
    )
    return user


router = APIRouter(include_in_schema=False)


@router.get("/admin")
def overview(ctx: Ctx, pages: Pages, request: Request, user: AdminOnly) -> Response:
    return admin_page(ctx, pages, request)


def admin_page(
    ctx: AppContext, pages: PageRenderer, request: Request, form: FormState = NO_FORM
) -> Response:
    """The admin overview; with ``form``, a refused user or account form shown open, its
    message next to the field and what was typed kept (never the password)."""
    with ctx.readonly_sessions() as session:
        agencies = session.execute(
            select(Agency, func.count(SocialAccount.id))
            .outerjoin(SocialAccount, SocialAccount.agency_id == Agency.id)
            .group_by(Agency.id)
            .order_by(Agency.name)
        ).all()
        accounts = session.execute(
            select(SocialAccount, Agency.name, Agency.code).join(Agency).order_by(SocialAccount.id)
        ).all()
        users = session.execute(
            select(User, Agency.name)
            .outerjoin(Agency, Agency.id == User.agency_id)
            .order_by(User.username)
        ).all()
    return pages.render(
        request,
        "admin/index.html",
        form.status,
        agencies=agencies,
        accounts=accounts,
        users=users,
        platforms=[(p, get_spec(p).label) for p in platform_names()],
        platform_label=lambda p: get_spec(p).label if p in platform_names() else p,
        logins={p: oauth.configured(p, ctx.settings) for p in oauth.PROVIDERS},
        roles=ROLES,
        flash=request.query_params.get("pesan", "") if form is NO_FORM else "",
        form=form,
    )


def done(message: str) -> Response:
    return RedirectResponse(f"/admin?pesan={quote(message)}", status_code=303)


@router.post("/admin/accounts")
def account_add(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    user: AdminOnlyWrite,
    agency: Annotated[str, Form(max_length=40)] = "",
    platform: Annotated[str, Form(max_length=20)] = "",
    handle: Annotated[str, Form(max_length=120)] = "",
    credentials: Annotated[str, Form(max_length=4000)] = "{}",
) -> Response:
    try:
        with ctx.sessions() as session, session.begin():
            connect_account(ctx, session, user, agency, platform, handle, credentials)
    except LaporError as exc:
        if not is_refusal(exc):
            raise
        # Credentials are secrets: never sent back into the page.
        typed = {"agency": agency, "platform": platform, "handle": handle}
        return admin_page(ctx, pages, request, refusal(exc, "account", typed))
    return done("Akun tersambung.")


# The OAuth flow in flight: encrypted with the Vault into a cookie that lives ten minutes, and
# bound to the admin's session (its id's hash), so a callback from another browser or session
# is refused even with the right ``state``.
FLOW_COOKIE = "lapor_oauth"
FLOW_PATH = "/admin/accounts/oauth"
FLOW_TTL_S = 600
_STALE_FLOW = (
    "Sesi sambungan kedaluwarsa atau tidak ditemukan (batas 10 menit). Mulai lagi dari tombol "
    "Sambungkan."
)


def _session_tag(viewer: Viewer) -> str:
    return hashlib.sha256(f"oauth:{viewer.session_id}".encode()).hexdigest()


def redirect_uri(ctx: AppContext, provider: str) -> str:
    return f"{ctx.settings.public_base_url.rstrip('/')}{FLOW_PATH}/{provider}/callback"


def failed(message: str) -> Response:
    return done(f"Sambungan gagal: {message}")


@router.post("/admin/accounts/oauth/{provider}/start")
def oauth_start(
    ctx: Ctx,
    provider: str,
    user: AdminOnlyWrite,
    agency: Annotated[str, Form(max_length=40)],
    page_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    with ctx.readonly_sessions() as session:
        _agency(session, agency)
    try:
        started = oauth.start(provider, ctx.settings, redirect_uri(ctx, provider))
    except oauth.ConnectFailed as exc:
        return failed(exc.user_message)
    flow: dict[str, JSONValue] = {
        **started.pending,
        "sid": _session_tag(user),
        "provider": provider,
        "agency": agency,
        "page_id": page_id.strip(),
        "at": str(int(time.time())),
    }
    response = RedirectResponse(started.url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        ctx.vault.encrypt_json(flow).decode(),
        max_age=FLOW_TTL_S,
        httponly=True,
        samesite="lax",  # the callback is a top-level GET from the platform's site
        secure=cookie_secure(ctx),
        path=FLOW_PATH,
    )
    return response


def _flow(ctx: AppContext, request: Request, user: Viewer, provider: str) -> dict[str, str]:
    raw = request.cookies.get(FLOW_COOKIE, "")
    try:
        flow = ctx.vault.decrypt_json(raw.encode()) if raw else None
    except LaporError:
        flow = None
    if not isinstance(flow, dict) or flow.get("provider") != provider:
        raise oauth.ConnectFailed(
            "oauth: no flow cookie for this provider", user_message=_STALE_FLOW
        )
    if time.time() - float(str(flow.get("at") or 0)) > FLOW_TTL_S:
        raise oauth.ConnectFailed("oauth: flow older than its ttl", user_message=_STALE_FLOW)
    if not hmac.compare_digest(str(flow.get("sid", "")), _session_tag(user)):
        raise oauth.ConnectFailed(
            "oauth: flow started in another session",
            user_message="Permintaan sambungan dimulai di sesi lain. Mulai lagi dari tombol "
            "Sambungkan.",
        )
    return {str(k): str(v) for k, v in flow.items()}


@router.get("/admin/accounts/oauth/{provider}/callback")
def oauth_callback(ctx: Ctx, request: Request, provider: str, user: AdminOnly) -> Response:
    params = {k: v[:2000] for k, v in request.query_params.items()}
    try:
        flow = _flow(ctx, request, user, provider)
        found = oauth.finish(
            provider, ctx.http, ctx.settings, flow, params, redirect_uri(ctx, provider)
        )
        with ctx.sessions() as session, session.begin():
            for connection in found:
                store_connection(ctx, session, user, flow["agency"], connection)
    except (oauth.ConnectFailed, BadInput, Conflict) as exc:
        response = failed(exc.user_message)
    else:
        names = ", ".join(f"{get_spec(c.platform).label} {c.handle}" for c in found)
        response = done(f"Akun tersambung: {names}.")
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


@router.post("/admin/accounts/telegram")
def telegram_connect(
    ctx: Ctx,
    user: AdminOnlyWrite,
    agency: Annotated[str, Form(max_length=40)],
    bot_token: Annotated[str, Form(max_length=200)],
    chat_id: Annotated[str, Form(max_length=120)],
) -> Response:
    creds = {"bot_token": bot_token.strip(), "chat_id": chat_id.strip()}
    if not all(creds.values()):
        return failed("Isi token bot dan ID kanal/chat.")
    api_base = ctx.settings.telegram_api_base.rstrip("/")
    if api_base != get_spec("telegram").api_base.rstrip("/"):
        creds["api_base"] = api_base  # a local Bot API server (or the demo's fake)
    inputs = AdapterInputs(creds["chat_id"], creds, ctx.http, ctx.settings, api_base)
    try:
        with ctx.readonly_sessions() as session:
            _agency(session, agency)
        # Asked before anything is stored, and outside the write transaction.
        found = oauth.check_telegram(inputs)
        with ctx.sessions() as session, session.begin():
            store_connection(ctx, session, user, agency, found)
    except (oauth.ConnectFailed, BadInput, Conflict) as exc:
        return failed(exc.user_message)
    return done(f"Akun tersambung: Telegram {found.handle}.")


@router.post("/admin/accounts/{account_id}/test")
def account_test(ctx: Ctx, account_id: int, user: AdminOnlyWrite) -> Response:
    with ctx.sessions() as session, session.begin():
        result = test_account(ctx, session, user, account_id)
    if result.startswith("ok"):
        return done("Uji koneksi berhasil." + result.removeprefix("ok"))
    return done(f"Uji koneksi gagal: {result}")


@router.post("/admin/accounts/{account_id}/{change}")
def account_change(ctx: Ctx, account_id: int, change: str, user: AdminOnlyWrite) -> Response:
    with ctx.sessions() as session, session.begin():
        change_account(session, user, account_id, change)
    return done("Status akun diubah.")


@router.post("/admin/users")
def user_save(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    user: AdminOnlyWrite,
    username: Annotated[str, Form(max_length=80)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    agency: Annotated[str, Form(max_length=40)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    active: Annotated[bool, Form()] = True,
) -> Response:
    try:
        with ctx.sessions() as session, session.begin():
            save_user(
                session,
                user,
                username=username,
                role=role,
                agency=agency,
                full_name=full_name,
                password=password,
                active=active,
            )
    except LaporError as exc:
        if not is_refusal(exc):
            raise
        typed = {
            "username": username,
            "role": role,
            "agency": agency,
            "full_name": full_name,
            "active": "true" if active else "false",
        }
        return admin_page(ctx, pages, request, refusal(exc, "user", typed))
    return done("Pengguna disimpan.")


@router.get("/admin/templates")
def templates_page(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    user: AdminOnly,
    action: str = "",
    partial: bool = False,
) -> Response:
    contact = (ctx.settings.complaint_whatsapp, ctx.settings.complaint_app_url)
    return pages.render(
        request,
        "admin/template_previews.html" if partial else "admin/templates.html",
        previews=previews(action, *contact),
        action=action,
        sample=asdict(sample_context(action, *contact)),
    )
