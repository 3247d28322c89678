"""The FastAPI application factory. The app receives its context; nothing happens at import.

Each area of the UI is a router module (``account``, ``pic``, ``review``, ``deliveries``,
``admin``, ``audit``, ``api``) included here with one line. Errors from
:mod:`publisher.web.auth` become Indonesian pages (or JSON under ``/api/``); an unauthenticated
page request is sent to the login form.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from publisher.context import AppContext
from publisher.errors import LaporError
from publisher.web import account, admin, api, audit, deliveries, pic, review
from publisher.web.auth import NotAuthenticated, WebError
from publisher.web.templating import Pages

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(
        title="lapor-publisher",
        version="0.1.0",
        description=(
            "Review and publishing of #LaporBupatiTegal follow-ups. The JSON API under /api/v1/ "
            "uses the web session cookie; writes need the session's CSRF token in the "
            "X-CSRF-Token header (GET /api/v1/me returns it)."
        ),
    )
    app.state.ctx = ctx
    app.state.pages = Pages(ctx.settings.tz)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> dict[str, str]:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ready"}

    @app.exception_handler(WebError)
    async def web_error(request: Request, exc: WebError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.user_message}, status_code=exc.status)
        if isinstance(exc, NotAuthenticated) and request.method == "GET":
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            return RedirectResponse(f"/login?next={target}", status_code=303)
        pages: Pages = app.state.pages
        return pages.render(request, "error.html", exc.status, message=exc.user_message)

    @app.exception_handler(LaporError)
    async def lapor_error(request: Request, exc: LaporError) -> Response:
        # A domain rule refused the action (e.g. review.approve on a blocked post without an
        # override): the person gets the rule's Indonesian message, not a server error.
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.user_message}, status_code=409)
        pages: Pages = app.state.pages
        return pages.render(request, "error.html", 409, message=exc.user_message)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'",
        )
        if request.url.path.startswith(("/api/", "/pic", "/review", "/admin", "/audit")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(account.router(ctx))
    app.include_router(pic.router(ctx))
    app.include_router(review.router(ctx))
    app.include_router(deliveries.router(ctx))
    app.include_router(admin.router(ctx))
    app.include_router(audit.router(ctx))
    app.include_router(api.router(ctx))
    return app
