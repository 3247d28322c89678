"""Sign-in, sessions, CSRF and throttling of the web app."""

from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from publisher.app.factory import create_app
from publisher.db.models import AuditLog, User, WebSession
from publisher.fakes.server import ServerThread
from publisher.runtime.context import AppContext
from publisher.web.auth import (
    HASH_PROFILES,
    SESSION_COOKIE,
    THROTTLE,
    NotAuthenticated,
    TooManyAttempts,
    login,
)
from tests.web_support import PASSWORD, client, login_csrf, make_user, sign_in


def test_a_user_signs_in_with_the_right_password_and_gets_a_hardened_cookie(
    ctx: AppContext,
) -> None:
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    response = web.post(
        "/login", data={"username": "rev", "password": PASSWORD, "csrf_token": login_csrf(web)}
    )
    assert response.status_code == 303 and response.headers["location"] == "/review"
    cookie = next(h for h in response.headers.get_list("set-cookie") if SESSION_COOKIE in h)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = web.cookies[SESSION_COOKIE]
    with ctx.sessions() as session:
        (row,) = session.scalars(select(WebSession))
    assert row.id != token and len(row.id) == 64  # only the hash is stored
    assert web.get("/review").status_code == 200


def test_a_wrong_password_is_refused_with_one_message_for_both_mistakes(ctx: AppContext) -> None:
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    wrong_pw = web.post(
        "/login", data={"username": "rev", "password": "salah-salah", "csrf_token": login_csrf(web)}
    )
    no_user = web.post(
        "/login",
        data={"username": "siapa", "password": "salah-salah", "csrf_token": login_csrf(web)},
    )
    assert wrong_pw.status_code == no_user.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in wrong_pw.text
    assert "Nama pengguna atau kata sandi salah." in no_user.text


def test_the_login_form_refuses_a_post_without_its_csrf_token(ctx: AppContext) -> None:
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    response = web.post("/login", data={"username": "rev", "password": PASSWORD})
    assert response.status_code == 403


def test_five_failures_from_one_address_stop_it_even_with_the_right_password(
    ctx: AppContext,
) -> None:
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    for _ in range(5):
        web.post(
            "/login",
            data={"username": "rev", "password": "tebak-tebak", "csrf_token": login_csrf(web)},
        )
    locked = web.post(
        "/login", data={"username": "rev", "password": PASSWORD, "csrf_token": login_csrf(web)}
    )
    assert locked.status_code == 429 and "Terlalu banyak percobaan" in locked.text
    with ctx.sessions() as session:
        actions = list(session.scalars(select(AuditLog.action)))
    assert actions.count("login.failed") == 5 and "login.throttled" in actions


def test_pages_redirect_to_login_and_the_api_answers_401_without_a_session(
    ctx: AppContext,
) -> None:
    web = client(ctx)
    page = web.get("/review?state=open")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/review%3Fstate%3Dopen"
    assert web.get("/api/v1/me").status_code == 401


def test_a_post_without_the_csrf_token_is_refused(ctx: AppContext) -> None:
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    sign_in(web, "rev")
    assert web.post("/logout").status_code == 403
    assert web.post("/logout", data={"csrf_token": "tebakan"}).status_code == 403
    assert web.get("/review").status_code == 200  # still signed in


def test_logout_everywhere_ends_every_session_of_the_user(ctx: AppContext) -> None:
    make_user(ctx, "rev", "reviewer")
    phone, laptop = client(ctx), client(ctx)
    sign_in(phone, "rev")
    token = sign_in(laptop, "rev")
    assert laptop.post("/logout/everywhere", data={"csrf_token": token}).status_code == 303
    assert phone.get("/api/v1/me").status_code == 401
    with ctx.sessions() as session:
        assert all(s.revoked_at is not None for s in session.scalars(select(WebSession)))


def test_a_session_stolen_after_logout_is_useless(ctx: AppContext) -> None:
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    token = sign_in(web, "rev")
    stolen = web.cookies[SESSION_COOKIE]
    web.post("/logout", data={"csrf_token": token})
    thief = client(ctx)
    thief.cookies.set(SESSION_COOKIE, stolen)
    assert thief.get("/api/v1/me").status_code == 401


def test_the_login_redirect_never_leaves_the_site(ctx: AppContext) -> None:
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    response = web.post(
        "/login",
        data={
            "username": "rev",
            "password": PASSWORD,
            "csrf_token": login_csrf(web),
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/review"


def _standard_hash_user(ctx: AppContext, username: str) -> None:
    # The production cost, so the hashes overlap the way they do on a real server.
    stored = PasswordHasher.from_parameters(HASH_PROFILES["standard"]).hash(PASSWORD)
    with ctx.sessions() as session, session.begin():
        session.add(User(username=username, role="reviewer", password_hash=stored))


def _form_login(url: str, username: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=60) as web:
        page = web.get("/login")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found is not None
        data = {"username": username, "password": password, "csrf_token": found.group(1)}
        return web.post("/login", data=data)


def test_thirty_concurrent_wrong_logins_test_no_more_passwords_than_the_limit_and_never_500(
    any_ctx: AppContext,
) -> None:
    _standard_hash_user(any_ctx, "rev")
    allowed = THROTTLE["pair"][0]
    with ServerThread(create_app(any_ctx)) as running, ThreadPoolExecutor(30) as pool:
        answers = list(
            pool.map(lambda n: _form_login(running.url, "rev", f"tebakan-{n:03d}"), range(30))
        )
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[401] == allowed  # each 401 is one password tested; the rest never hashed
    with any_ctx.sessions() as session:
        actions = Counter(session.scalars(select(AuditLog.action)))
    assert actions["login.failed"] == allowed
    assert actions["login.throttled"] == 30 - allowed


def test_guessing_a_username_from_other_addresses_does_not_lock_its_owner_out(
    ctx: AppContext,
) -> None:
    make_user(ctx, "rev", "reviewer")
    for n in range(24):  # four guessers, each until its own backoff stops it
        address = f"203.0.113.{n // 6}"
        with pytest.raises((NotAuthenticated, TooManyAttempts)):
            login(ctx, "rev", f"tebakan-{n}", address)
    token, user = login(ctx, "rev", PASSWORD, "198.51.100.7")
    assert token and user.username == "rev"
    with pytest.raises(TooManyAttempts):
        login(ctx, "rev", PASSWORD, "203.0.113.0")  # the guesser's own address stays stopped


def test_an_account_is_locked_only_after_many_tries_from_many_addresses(ctx: AppContext) -> None:
    make_user(ctx, "rev", "reviewer")
    allowed = THROTTLE["user"][0]
    per_address = THROTTLE["pair"][0]
    for n in range(allowed):
        with pytest.raises(NotAuthenticated):
            login(ctx, "rev", f"tebakan-{n}", f"192.0.2.{n // per_address}")
    with pytest.raises(TooManyAttempts):
        login(ctx, "rev", PASSWORD, "198.51.100.7")


def test_a_successful_login_gives_its_attempt_back_to_the_address(ctx: AppContext) -> None:
    make_user(ctx, "rev", "reviewer")
    for _ in range(THROTTLE["ip"][0] + 5):  # an office behind one address signs in all day
        login(ctx, "rev", PASSWORD, "10.1.2.3")
