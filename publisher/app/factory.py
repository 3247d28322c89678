"""The FastAPI application factory. The app receives its context; nothing happens at import.

``create_app()`` without a context builds one from the environment (``LAPOR_...``) and closes
it at shutdown, so uvicorn can call it in each worker::

    uvicorn --factory publisher.app.factory:create_app --workers 4

A request that meets a missing table (``lapor db upgrade`` was not run) gets a 503 page saying
so, and the log one line, never a traceback of ``no such table``.

Each part owns its routes as a module-level ``router`` (declaring its callers with
:mod:`publisher.web.deps`), and :data:`ROUTERS` includes them in order: the app imports the
parts, never the reverse. Routes reach the context through ``app.state.ctx`` (``deps.Ctx``).
Request bodies are capped while they stream in and any error no handler knew becomes an
Indonesian page with a reference id (:mod:`publisher.web.guards`). Errors from
:mod:`publisher.web.auth` become Indonesian pages (or JSON under ``/api/``); an
unauthenticated page request is sent to the login form. Other :class:`LaporError` (a domain
rule refused the action) become a 409; Starlette picks the handler by the error's MRO, so a
:class:`WebError` (a LaporError too) gets its own.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from publisher.app import admin
from publisher.core.errors import LaporError, MediaMissing, MediaStoreUnavailable
from publisher.core.settings import load_settings_or_exit
from publisher.db.migrate import NOT_MIGRATED, missing_table, unreachable
from publisher.intake import contact, pic_routes, uploads
from publisher.intake import routes as intake_routes
from publisher.monitoring import routes as dashboard_routes
from publisher.ops import routes as ops_routes
from publisher.outbox import api as deliveries_api
from publisher.outbox import routes as deliveries_routes
from publisher.platforms.registry import get_spec
from publisher.platforms.registry import names as platform_names
from publisher.posts import routes as overrides_routes
from publisher.public import media_routes
from publisher.public import routes as public_routes
from publisher.review import api as review_api
from publisher.review import routes as review_routes
from publisher.runtime.context import AppContext
from publisher.web import account, audit
from publisher.web.api import hoist_defs
from publisher.web.auth import NotAuthenticated, WebError, member_check
from publisher.web.deps import pages_of
from publisher.web.guards import BodyLimit, UnexpectedErrors
from publisher.web.templating import PageRenderer

STATIC_DIR = Path(__file__).resolve().parents[1] / "web" / "static"
log = logging.getLogger(__name__)


def _lifespan(
    freeze_heap: bool, owned: AppContext | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # What is loaded by now (modules, routes, the ORM's and Jinja's machinery) lives as
        # long as the process. Freezing it keeps the collector from walking it on every full
        # collection: each walk stopped every request in flight for about 100 ms
        # (bench/review_queue.py; p99 95 ms -> see docs/performance.md).
        if freeze_heap:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if freeze_heap:
                gc.unfreeze()
            if owned is not None:
                owned.close()

    return lifespan


def create_app(ctx: AppContext | None = None, *, freeze_heap: bool = True) -> FastAPI:
    """The app; without ``ctx`` (``uvicorn --factory``) its own context from the environment,
    closed at shutdown. ``freeze_heap=False`` only for the benchmark's comparison run."""
    owned = None
    if ctx is None:
        from publisher.privacy.logs import configure

        settings = load_settings_or_exit()
        configure(settings.log_level, settings.log_format)
        ctx = owned = AppContext.from_settings(settings, worker_id=f"web-{os.getpid()}")
    app = FastAPI(
        lifespan=_lifespan(freeze_heap, owned),
        # Served below from vendored files: FastAPI's own pages load a CDN and an inline
        # script, which the content policy blocks.
        docs_url=None,
        redoc_url=None,
        title="lapor-publisher",
        version="0.1.0",
        description=(
            "Review and publishing of #LaporBupatiTegal follow-ups. The JSON API under /api/v1/ "
            "uses the web session cookie; writes need the session's CSRF token in the "
            "X-CSRF-Token header (GET /api/v1/me returns it)."
        ),
    )
    app.state.ctx = ctx
    app.state.pages = PageRenderer(
        ctx.settings.tz, {name: get_spec(name).label for name in platform_names()}
    )
    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        # Built on first request, once: embedded $defs hoisted so ReDoc can follow them.
        if app.openapi_schema is None:
            app.openapi_schema = hoist_defs(generate_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.include_router(media_routes.router)  # /public-media: signed renditions

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> Response:
        return pages_of(request).render(request, "apidocs/swagger.html")

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> Response:
        return pages_of(request).render(request, "apidocs/redoc.html")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(ops_routes.router)  # /readyz, /metrics
    app.include_router(dashboard_routes.router)  # /dashboard

    @app.exception_handler(WebError)
    async def web_error(request: Request, exc: WebError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.user_message}, status_code=exc.status)
        if isinstance(exc, NotAuthenticated) and request.method == "GET":
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            return RedirectResponse(f"/login?next={target}", status_code=303)
        return pages_of(request).render(request, "error.html", exc.status, message=exc.user_message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's default answer echoes each bad value ("input"), which may be a reporter's
        # phone number: answer with where and what is wrong, never the value itself.
        detail = [
            {
                "loc": list(err.get("loc", ())),
                "msg": str(err.get("msg", "")),
                "type": err.get("type"),
            }
            for err in exc.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(LaporError)
    async def lapor_error(request: Request, exc: LaporError) -> Response:
        # A domain rule refused the action (e.g. review.approve on a blocked post without an
        # override): the person gets the rule's Indonesian message, not a server error.
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.user_message}, status_code=409)
        return pages_of(request).render(request, "error.html", 409, message=exc.user_message)

    @app.exception_handler(MediaMissing)
    @app.exception_handler(MediaStoreUnavailable)
    async def media_store_error(request: Request, exc: LaporError) -> Response:
        # A file absent from the media store is a 404; a store that cannot be reached (a
        # bucket answering 5xx, a timeout) is a 503 to try again, never a 500 or a 409.
        status = 404 if isinstance(exc, MediaMissing) else 503
        headers = {} if status == 404 else {"Retry-After": "30"}
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.user_message}, status, headers=headers)
        page = pages_of(request).render(request, "error.html", status, message=exc.user_message)
        page.headers.update(headers)
        return page

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        headers: dict[str, str] = {}
        if exc.connection_invalidated:
            # The database dropped the connection (restart, failover, idle timeout): the pool
            # was invalidated and the next request reconnects. Nothing is retried here: a
            # write's outcome is unknown, so the client decides.
            log.warning("database connection lost; the pool reconnects on the next request")
            message = "Koneksi ke basis data terputus sesaat. Silakan coba lagi."
            headers["Retry-After"] = "1"
        elif missing_table(exc):
            log.error(NOT_MIGRATED)
            message = "Basis data belum siap: administrator perlu menjalankan `lapor db upgrade`."
        elif unreachable(exc):
            # The server refuses connections or SQLite's file is locked: the request can simply
            # be tried again, so it is a 503 with Retry-After, never a 500 (parameters are
            # hidden by the engine, so the line names no personal data).
            log.warning("database unreachable during %s: %s", request.url.path, type(exc.orig))
            message = "Basis data sedang tidak dapat dihubungi. Coba lagi beberapa saat lagi."
            headers["Retry-After"] = "5"
        else:
            raise exc
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message}, status_code=503, headers=headers)
        page = pages_of(request).render(request, "error.html", 503, message=message)
        page.headers.update(headers)
        return page

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in PAGE_AND_API_ROUTES:
        app.include_router(module.router)
    # The PICs' resumable (tus) uploads: a router built with the upload folder.
    app.include_router(uploads.router(ctx.settings.upload_dir))
    # Starlette wraps in reverse order of adding: SecurityHeaders outermost, so the error
    # pages of the two guards carry the headers too.
    app.add_middleware(
        BodyLimit,
        pages=app.state.pages,
        default=MAX_BODY,
        caps=BODY_CAPS,
        members_only=("/pic/",),
        is_member=member_check(("pic",)),
    )
    app.add_middleware(UnexpectedErrors, pages=app.state.pages)
    app.add_middleware(SecurityHeaders)
    return app


# Request bodies are capped while they stream in (publisher.web.guards); forms and the JSON API
# need far less than the default.
MAX_BODY = 1024 * 1024
BODY_CAPS = (
    ("/api/v1/cases", intake_routes.MAX_PUSH_BYTES),
    ("/webhooks/", intake_routes.MAX_WEBHOOK_BYTES),
    ("/pic/cases/", pic_routes.MAX_UPLOAD_TOTAL),
    (uploads.PREFIX, uploads.MAX_PATCH_BYTES),
)


# In the order the app matches them (and the OpenAPI document lists them).
PAGE_AND_API_ROUTES = (
    account,  # /login, /logout, /
    pic_routes,  # /pic, /media/{sha256}
    contact,  # /pic/cases/{id}/contact, /admin/contact-requests: reporter contact on request
    review_routes,  # /review
    deliveries_routes,  # /deliveries
    admin,  # /admin
    overrides_routes,  # /admin/overrides: agency caption templates
    audit,  # /audit
    review_api,  # /api/v1/me, review queue, posts
    deliveries_api,  # /api/v1/deliveries
    intake_routes,  # POST /api/v1/cases, /webhooks/whatsapp
    public_routes,  # /publik: public pages, no login
)


# Headers on every response. A plain ASGI middleware: Starlette's BaseHTTPMiddleware (what
# ``@app.middleware("http")`` builds) costs a task and a stream per request.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'self'; frame-ancestors 'none'",
    ),
]
PRIVATE_PREFIXES = ("/api/", "/pic", "/review", "/admin", "/audit", "/deliveries", "/media")
# ReDoc builds its search index in a worker made from a blob: URL; only its page may do that.
REDOC_CSP = (
    b"content-security-policy",
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'",
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        private = path.startswith(PRIVATE_PREFIXES)
        policy = [REDOC_CSP] if path == "/redoc" else []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in policy if h[0] not in present]
                present |= {name for name, _ in policy}
                headers += [h for h in SECURITY_HEADERS if h[0] not in present]
                if private and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
