"""Accounts and access for the web app: argon2id passwords, server-side sessions, CSRF tokens,
login throttling, and the role checks behind :mod:`publisher.web.deps`.

A session is a random token in an HttpOnly, SameSite=Lax cookie (Secure when the app is served
over HTTPS); the database keeps only its SHA-256, with the user, times and a revocation mark,
so "logout everywhere" is one UPDATE. Each session has its own CSRF token, required on every
form post (hidden ``csrf_token`` field) and on every JSON API write (``X-CSRF-Token`` header).

Errors (all :class:`WebError`, a :class:`publisher.core.errors.LaporError`, rendered in Bahasa
Indonesia by ``publisher.app.factory``; the app picks the WebError handler for them by the class's
MRO, ahead of LaporError's)::

    LaporError
    └── WebError
        ├── NotAuthenticated   401: no valid session (HTML pages redirect to the login form)
        ├── Forbidden          403: the role may not use this route, or the CSRF token is wrong
        ├── NotFound           404: absent, or outside the user's agency (never "exists elsewhere")
        ├── Conflict           409: the action does not fit the object's state
        ├── BadInput           400: a parameter is malformed (e.g. a paging cursor)
        ├── TooManyAttempts    429: login throttled
        └── PayloadTooLarge    413: a body over its route's cap (publisher.web.guards)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from publisher.core.clock import utcnow
from publisher.core.errors import LaporError
from publisher.db import audit
from publisher.db.models import LoginThrottle, User, WebSession
from publisher.runtime.context import AppContext

SESSION_COOKIE = "lapor_session"
LOGIN_CSRF_COOKIE = "lapor_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
SESSION_LIFETIME = timedelta(hours=12)
SESSION_IDLE = timedelta(hours=2)
# last_seen is written at most this often, so reading pages does not take the write lock.
TOUCH_EVERY = timedelta(minutes=1)

# (attempts allowed, window) per kind of throttle key; a key out of tries is refused until its
# window (started by its first attempt) ends. One address
# guessing one account is stopped first ("pair"); an address trying many accounts next ("ip");
# the account itself is locked only after many tries from many addresses ("user"), so nobody
# can lock a colleague out by knowing their username.
THROTTLE = {
    "pair": (5, timedelta(minutes=15)),
    "ip": (30, timedelta(minutes=15)),
    "user": (100, timedelta(minutes=60)),
}


class WebError(LaporError):
    """A request the web layer refuses; ``status`` is its HTTP status."""

    status = 500
    user_message = "Terjadi kesalahan."

    def __init__(
        self, message: str = "", user_message: str | None = None, *, field: str = ""
    ) -> None:
        super().__init__(message or self.user_message)
        if user_message:
            self.user_message = user_message
        self.field = field


class NotAuthenticated(WebError):
    status = 401
    user_message = "Silakan masuk terlebih dahulu."


class Forbidden(WebError):
    status = 403
    user_message = "Anda tidak berhak membuka halaman ini."


class NotFound(WebError):
    status = 404
    user_message = "Data tidak ditemukan."


class Conflict(WebError):
    status = 409
    user_message = "Tindakan ini tidak sesuai dengan keadaan data saat ini."


class BadInput(WebError):
    status = 400
    user_message = "Isian tidak valid."


class TooManyAttempts(WebError):
    status = 429
    user_message = "Terlalu banyak percobaan masuk. Coba lagi dalam 15 menit."


class PayloadTooLarge(WebError):
    status = 413
    user_message = "Kiriman terlalu besar."


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as seen by a request (plain values, no ORM session attached)."""

    user_id: int
    username: str
    full_name: str
    role: str
    agency_id: int | None
    session_id: str
    csrf_token: str

    @property
    def actor(self) -> str:
        return f"user:{self.username}"


# --- passwords --------------------------------------------------------------------------------


# argon2id cost profiles. "standard" is the library's RFC 9106 low-memory profile; "test" is
# for test suites only (a stored hash carries its own parameters, so either verifies any hash).
HASH_PROFILES = {
    "standard": profiles.RFC_9106_LOW_MEMORY,
    "test": profiles.CHEAPEST,
}
_active_profile = ["standard"]


def use_hash_profile(name: str) -> None:
    """Choose the cost profile for new hashes (tests choose "test")."""
    if name not in HASH_PROFILES:
        raise ValueError(f"unknown hash profile {name!r}")
    _active_profile[0] = name
    _dummy_hash.cache_clear()


def hasher() -> PasswordHasher:
    return PasswordHasher.from_parameters(HASH_PROFILES[_active_profile[0]])


@cache
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise ValueError("a password needs at least 10 characters")
    return hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Constant work whether or not the user exists, so timing does not reveal usernames."""
    try:
        return hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


# --- throttling -------------------------------------------------------------------------------
#
# A login attempt is counted before its password is hashed, in a short transaction of its own,
# and stays counted whatever happens next (a wrong password, a crash, a dropped connection); a
# successful login gives its count back. The hash runs outside any write transaction: on SQLite
# a login holding the write lock for the hash made concurrent logins fail with "database is
# locked". Every change to a row is a conditional UPDATE, so concurrent attempts on PostgreSQL
# cannot both take the last try.


def _throttle_keys(username: str, client: str) -> list[tuple[str, str]]:
    """(kind, key) in a fixed order, so concurrent transactions lock rows in the same order."""
    user_key = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    address = hashlib.sha256(client.encode()).hexdigest()[:32]
    return [
        ("pair", f"pair:{user_key}:{address[:16]}"),
        ("ip", f"ip:{address}"),
        ("user", f"user:{user_key}"),
    ]


def _insert_ignore(session: Session, key: str, now: datetime) -> None:
    values = {"key": key, "failures": 0, "window_started_at": now}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(pg_insert(LoginThrottle).values(**values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(LoginThrottle).values(**values).on_conflict_do_nothing())


def take_attempt(session: Session, username: str, client: str, now: datetime) -> None:
    """Count one login attempt against every key, or raise :class:`TooManyAttempts` (the
    caller's transaction then rolls back: a refused attempt counts nowhere)."""
    for kind, key in _throttle_keys(username, client):
        allowed, window = THROTTLE[kind]
        _insert_ignore(session, key, now)
        session.execute(  # a window that has run out starts again
            update(LoginThrottle)
            .where(LoginThrottle.key == key, LoginThrottle.window_started_at <= now - window)
            .values(failures=0, window_started_at=now)
        )
        taken = session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key, LoginThrottle.failures < allowed)
            .values(failures=LoginThrottle.failures + 1)
        )
        if cast(CursorResult[Any], taken).rowcount != 1:
            raise TooManyAttempts(f"login throttled ({kind})")


def give_back_attempt(session: Session, username: str, client: str) -> None:
    """A login succeeded: its pair starts afresh and the address and account get their try
    back, so an office behind one address is not locked by its own successful logins."""
    for kind, key in _throttle_keys(username, client):
        if kind == "pair":
            session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
        else:
            session.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == key, LoginThrottle.failures > 0)
                .values(failures=LoginThrottle.failures - 1)
            )


# --- sessions ---------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(ctx: AppContext, username: str, password: str, client: str) -> tuple[str, User]:
    """Check the password and open a session; returns (cookie token, user).

    The attempt is counted first (:func:`take_attempt`, committed on its own), the password is
    checked with no transaction open, and only then is the session written. Raises
    :class:`TooManyAttempts` while throttled and :class:`NotAuthenticated` on a wrong username
    or password (the same message for both).
    """
    with ctx.sessions() as session, session.begin():
        take_attempt(session, username, client, utcnow())
    with ctx.readonly_sessions() as session:
        user = session.scalar(select(User).where(User.username == username.strip()))
        if user is not None:
            session.expunge(user)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        raise NotAuthenticated("bad credentials", "Nama pengguna atau kata sandi salah.")
    stored = user.password_hash or ""
    rehashed = hasher().hash(password) if hasher().check_needs_rehash(stored) else None
    now = utcnow()
    token = secrets.token_urlsafe(32)
    with ctx.sessions() as session, session.begin():
        if rehashed is not None:  # only if nobody changed the password meanwhile
            session.execute(
                update(User)
                .where(User.id == user.id, User.password_hash == stored)
                .values(password_hash=rehashed)
            )
        give_back_attempt(session, username, client)
        session.add(
            WebSession(
                id=_digest(token),
                user_id=user.id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
                expires_at=now + SESSION_LIFETIME,
            )
        )
        audit.record(
            session,
            actor=f"user:{user.username}",
            action="login",
            object_type="user",
            object_id=user.id,
        )
    return token, user


def load_viewer(ctx: AppContext, token: str | None, *, now: datetime | None = None) -> Viewer:
    if not token:
        raise NotAuthenticated("no session cookie")
    now = now or utcnow()
    digest = _digest(token)
    with ctx.readonly_sessions() as session:
        row = session.execute(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.id == digest)
        ).first()
    if row is None:
        raise NotAuthenticated("unknown session")
    web_session, user = row
    if (
        web_session.revoked_at is not None
        or web_session.expires_at <= now
        or now - web_session.last_seen_at > SESSION_IDLE
        or not user.active
    ):
        raise NotAuthenticated("session ended")
    if now - web_session.last_seen_at > TOUCH_EVERY:
        with ctx.sessions() as session, session.begin():
            session.execute(
                update(WebSession).where(WebSession.id == digest).values(last_seen_at=now)
            )
    return Viewer(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        agency_id=user.agency_id,
        session_id=digest,
        csrf_token=web_session.csrf_token,
    )


def logout(session: Session, viewer: Viewer, *, everywhere: bool = False) -> int:
    """End this session, or every session of the user; returns how many were ended."""
    query = update(WebSession).where(WebSession.revoked_at.is_(None))
    if everywhere:
        query = query.where(WebSession.user_id == viewer.user_id)
    else:
        query = query.where(WebSession.id == viewer.session_id)
    ended = cast(CursorResult[Any], session.execute(query.values(revoked_at=utcnow()))).rowcount
    audit.record(
        session,
        actor=viewer.actor,
        action="logout.everywhere" if everywhere else "logout",
        object_type="user",
        object_id=viewer.user_id,
        sessions=ended,
    )
    return int(ended)


def end_sessions(session: Session, user_id: int) -> int:
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(cast(CursorResult[Any], result).rowcount)


def set_password(session: Session, user: User, password: str, actor: str) -> None:
    """Set a password and end the user's sessions (a reset must log out a thief too)."""
    user.password_hash = hash_password(password)
    end_sessions(session, user.id)
    audit.record(
        session, actor=actor, action="user.password_set", object_type="user", object_id=user.id
    )


# --- request checks (the route dependencies built on them are in publisher.web.deps) ---------


def app_ctx(request: Request) -> AppContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, AppContext)
    return ctx


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def viewer(request: Request) -> Viewer:
    """The signed-in user; cached on the request so several dependencies share one look-up."""
    cached = getattr(request.state, "viewer", None)
    if isinstance(cached, Viewer):
        return cached
    found = load_viewer(app_ctx(request), request.cookies.get(SESSION_COOKIE))
    request.state.viewer = found
    return found


def member_check(roles: tuple[str, ...]) -> Callable[[Scope], Awaitable[bool]]:
    """For :class:`publisher.web.guards.BodyLimit`: is the request's session cookie a live
    session of one of ``roles``? Read from the headers alone, before the body."""

    async def is_member(scope: Scope) -> bool:
        request = Request(scope)
        try:
            found = await run_in_threadpool(
                load_viewer, app_ctx(request), request.cookies.get(SESSION_COOKIE)
            )
        except (NotAuthenticated, SQLAlchemyError):
            return False  # the route itself then says why (sign in again, or 503)
        return found.role in roles

    return is_member


def admit(request: Request, roles: tuple[str, ...]) -> Viewer:
    user = viewer(request)
    if user.role not in roles:
        raise Forbidden(f"role {user.role} may not use {request.url.path}")
    return user


async def check_csrf(request: Request, user: Viewer) -> None:
    """A write needs this session's token in the form or the header."""
    supplied = request.headers.get(CSRF_HEADER, "")
    if not supplied and request.headers.get("content-type", "").startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        supplied = value if isinstance(value, str) else ""
    if not supplied or not hmac.compare_digest(supplied, user.csrf_token):
        raise Forbidden("missing or wrong CSRF token", "Formulir kedaluwarsa. Muat ulang halaman.")


def cookie_secure(ctx: AppContext) -> bool:
    return ctx.settings.public_base_url.startswith("https://")
