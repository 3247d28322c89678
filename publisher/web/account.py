"""Signing in and out: the login form (with its own double-submit CSRF cookie, since there is no
session yet), logout, logout everywhere, and the home page that sends each role to its work."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from publisher.runtime.context import AppContext
from publisher.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    BadInput,
    Forbidden,
    NotAuthenticated,
    TooManyAttempts,
    Viewer,
    client_address,
    cookie_secure,
    login,
    logout,
)
from publisher.web.deps import Ctx, Pages, SignedIn, SignedInWrite
from publisher.web.forms import NO_FORM, FormState, refusal
from publisher.web.templating import PageRenderer

HOME_BY_ROLE = {
    "pic": "/pic",
    "reviewer": "/review",
    "admin": "/review",
    "pimpinan": "/dashboard",
}


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect after login is a phishing aid.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


router = APIRouter(include_in_schema=False)


def login_page(
    ctx: AppContext,
    pages: PageRenderer,
    request: Request,
    form: FormState = NO_FORM,
    next_path: str | None = None,
) -> Response:
    token = secrets.token_urlsafe(24)
    response = pages.render(
        request,
        "login.html",
        form.status,
        login_csrf=token,
        form=form,
        next=_safe_next(next_path or request.query_params.get("next")),
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=cookie_secure(ctx),
        path="/login",
    )
    return response


@router.get("/login")
def login_form(ctx: Ctx, pages: Pages, request: Request) -> Response:
    return login_page(ctx, pages, request)


@router.post("/login")
def login_submit(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token):
        raise Forbidden("login without the form's CSRF token", "Formulir kedaluwarsa.")
    typed = {"username": username}
    for name, value, message in (
        ("username", username, "Isi nama pengguna."),
        ("password", password, "Isi kata sandi."),
    ):
        if not value.strip():
            refused = BadInput(f"login without a {name}", message, field=name)
            return login_page(ctx, pages, request, refusal(refused, "login", typed), next)
    try:
        token, user = login(ctx, username, password, client_address(request))
    except (NotAuthenticated, TooManyAttempts) as exc:
        # The attempt was counted before the password was checked; this is the audit trail.
        _record_failed_login(ctx, exc)
        # Bad credentials belong next to the password (the name is kept); throttling is about
        # the whole form.
        where = "password" if isinstance(exc, NotAuthenticated) else ""
        state = refusal(exc, "login", typed, default_field=where)
        return login_page(ctx, pages, request, state, next)
    target = _safe_next(next)
    if target == "/":
        target = HOME_BY_ROLE.get(user.role, "/")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=cookie_secure(ctx),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout_submit(ctx: Ctx, user: SignedInWrite) -> Response:
    return _signed_out(ctx, user, everywhere=False)


@router.post("/logout/everywhere")
def logout_everywhere(ctx: Ctx, user: SignedInWrite) -> Response:
    return _signed_out(ctx, user, everywhere=True)


def _signed_out(ctx: AppContext, user: Viewer, *, everywhere: bool) -> Response:
    with ctx.sessions() as session, session.begin():
        logout(session, user, everywhere=everywhere)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(user: SignedIn) -> Response:
    return RedirectResponse(HOME_BY_ROLE.get(user.role, "/login"), status_code=303)


def _record_failed_login(ctx: AppContext, exc: Exception) -> None:
    from publisher.db import audit

    with ctx.sessions() as session, session.begin():
        audit.record(
            session,
            actor="anonymous",
            action="login.throttled" if isinstance(exc, TooManyAttempts) else "login.failed",
            object_type="user",
            object_id="-",
        )
