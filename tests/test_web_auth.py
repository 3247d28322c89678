"""Sign-in, sessions, CSRF and throttling of the web app."""

from __future__ import annotations

from sqlalchemy import select

from publisher.db.models import AuditLog, WebSession
from publisher.runtime.context import AppContext
from publisher.web.auth import SESSION_COOKIE
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


def test_five_failures_lock_the_username_even_for_the_right_password(ctx: AppContext) -> None:
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
