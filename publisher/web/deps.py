"""The request dependencies of every route, as ``Annotated`` aliases whose names say who may call.

A route declares its caller in its signature and nothing else::

    @router.post("/review/posts/{post_id}/edit")
    def edit_view(ctx: Ctx, post_id: int, user: ReviewerOrAdminWrite) -> Response: ...

Who may call (the route table in docs/web.md; ``tests/test_web_matrix.py`` checks it):

============================  ==========================================================
``SignedIn``                  any signed-in user (PIC, reviewer, admin or pimpinan)
``PicUser``                   a PIC (their agency's cases only, see :mod:`.scope`)
``ReviewerOrAdmin``           a reviewer or an admin
``AdminOnly``                 an admin
``LeaderOrAdminOrOpsToken``   leadership (``pimpinan``: figures only) or an admin, or a
                              machine's ``Bearer LAPOR_OPS_TOKEN``
============================  ==========================================================

Each role alias has a ``...Write`` twin for routes that change something: the same role check
and the session's CSRF token (form field or ``X-CSRF-Token`` header). ``Ctx`` is the
:class:`AppContext`, reached one way (``app.state.ctx``, set by the app factory); ``Pages``
renders ``templates/web/``.

Errors (all :class:`publisher.web.auth.WebError`): ``NotAuthenticated`` without a valid
session, ``Forbidden`` for another role or a wrong CSRF token. ``AdminOrOpsToken`` answers a
wrong or unconfigured token with an HTTP 401 (a machine gets no login page).

A dependency that reads the database (the session behind a role check) is a plain ``def``:
FastAPI runs it in the thread pool, so a slow query never holds the event loop (an ``async``
one ran its query on the loop and every other request waited: 17% of the review queue's time
with 4 clients on PostgreSQL, issue 23). The ones that only read the request stay ``async``;
the CSRF check is async (it may parse the form) and takes the role check's result.
"""

from __future__ import annotations

import hmac
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request
from starlette.types import ASGIApp

from publisher.db.models import ROLES
from publisher.runtime.context import AppContext
from publisher.web.auth import Viewer, admit, app_ctx, check_csrf
from publisher.web.templating import PageRenderer

T = TypeVar("T")


def pages_of(request: Request) -> PageRenderer:
    """The app's page renderer (built once by the app factory)."""
    found = request.app.state.pages
    assert isinstance(found, PageRenderer)
    return found


async def _ctx(request: Request) -> AppContext:
    return app_ctx(request)


async def _pages(request: Request) -> PageRenderer:
    return pages_of(request)


Ctx = Annotated[AppContext, Depends(_ctx)]
Pages = Annotated[PageRenderer, Depends(_pages)]


def per_app(build: Callable[[AppContext], T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency giving one ``build(ctx)`` per app, made on first use (a route module's own
    state, such as a cache, without a closure over the context)."""
    made: weakref.WeakKeyDictionary[ASGIApp, T] = weakref.WeakKeyDictionary()

    async def dependency(request: Request) -> T:
        # Async, so it runs on the event loop: no two requests can build it at once.
        app = request.app
        if app not in made:
            made[app] = build(app_ctx(request))
        return made[app]

    return dependency


# --- who may call -----------------------------------------------------------------------------


def _role(*roles: str) -> Callable[[Request], Viewer]:
    def dependency(request: Request) -> Viewer:
        # Sync: the session look-up is a query, run in the thread pool (see the module doc).
        return admit(request, roles)

    return dependency


def _role_write(*roles: str) -> Callable[..., Awaitable[Viewer]]:
    role_check = _role(*roles)

    # A default, not an Annotated hint: the hint is a string here (postponed annotations) and
    # could not name this closure's ``role_check``.
    async def dependency(request: Request, user: Viewer = Depends(role_check)) -> Viewer:
        await check_csrf(request, user)
        return user

    return dependency


SignedIn = Annotated[Viewer, Depends(_role(*ROLES))]
SignedInWrite = Annotated[Viewer, Depends(_role_write(*ROLES))]
PicUser = Annotated[Viewer, Depends(_role("pic"))]
PicUserWrite = Annotated[Viewer, Depends(_role_write("pic"))]
ReviewerOrAdmin = Annotated[Viewer, Depends(_role("reviewer", "admin"))]
ReviewerOrAdminWrite = Annotated[Viewer, Depends(_role_write("reviewer", "admin"))]
AdminOnly = Annotated[Viewer, Depends(_role("admin"))]
AdminOnlyWrite = Annotated[Viewer, Depends(_role_write("admin"))]


def bearer_matches(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


@dataclass(frozen=True)
class Caller:
    """Who opened a page that a person or a machine may read."""

    name: str
    via: str  # "session" or "token"


LEADER_ROLES = ("pimpinan", "admin")


def _leader_or_admin_or_ops_token(request: Request) -> Caller:
    # Sync: a person's session is looked up with a query (thread pool, see the module doc).
    if "authorization" in request.headers:
        # A machine (a monitoring scraper, curl) asks with a token and gets a plain answer.
        token = app_ctx(request).settings.ops_token
        if token and bearer_matches(request, token):
            return Caller("ops-token", "token")
        raise HTTPException(
            401, "LAPOR_OPS_TOKEN tidak cocok.", headers={"WWW-Authenticate": "Bearer"}
        )
    # NotAuthenticated: a page request goes to the login form.
    user = admit(request, LEADER_ROLES)
    return Caller(user.username, "session")


LeaderOrAdminOrOpsToken = Annotated[Caller, Depends(_leader_or_admin_or_ops_token)]
