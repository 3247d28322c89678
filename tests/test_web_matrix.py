"""The authorisation matrix: every route x every role x own/other agency gets exactly the
expected status, every write without its CSRF token is refused, and no route is left out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import BaseRoute

from publisher.app.factory import create_app
from publisher.db.models import ContactRequest, Delivery, SocialAccount, User
from publisher.intake import uploads
from publisher.runtime.context import AppContext
from tests.factories import feed_record, jpeg
from tests.flow import add_account, feed_and_draft
from tests.web_support import client, make_user, sign_in, waiting_case

ROLES = ("pic_own", "pic_other", "reviewer", "admin", "pimpinan")


@dataclass(frozen=True)
class Rule:
    method: str
    path: str  # with {case}, {waiting}, {post}, {delivery}, {account}, {sha} placeholders
    expect: tuple[int, int, int, int, int]  # pic_own, pic_other, reviewer, admin, pimpinan
    anonymous: int
    data: dict[str, object] | None = None
    json: dict[str, object] | None = None
    headers: dict[str, str] | None = None  # a tus request (issue 20): method and headers only


# Writes carry a payload the rules refuse *after* authorisation (400/409/422), so the whole
# matrix runs against one world without one role's action changing another's answer.
MATRIX = (
    Rule("GET", "/", (303, 303, 303, 303, 303), 303),
    Rule("GET", "/pic", (200, 200, 403, 403, 403), 303),
    Rule("GET", "/pic/cases/{waiting}/follow-up", (200, 404, 403, 403, 403), 303),
    Rule(
        "POST",
        "/pic/cases/{waiting}/follow-up",
        (422, 404, 403, 403, 403),
        401,
        data={"action_text": "x"},
    ),
    Rule("GET", "/pic/submissions", (200, 200, 403, 403, 403), 303),
    # Issue 20: reporter contact on request. Only the PIC of the case's agency, only an admin
    # decides; the grant itself (only that PIC, that case, until expiry) in
    # tests/test_web_contact.py.
    Rule("GET", "/pic/cases/{waiting}/contact", (200, 404, 403, 403, 403), 303),
    Rule(
        "POST",
        "/pic/cases/{waiting}/contact-request",
        (400, 404, 403, 403, 403),
        401,
        data={"reason": "x"},
    ),
    Rule(
        "POST",
        "/pic/cases/{waiting}/contact/outcome",
        (400, 404, 403, 403, 403),
        401,
        data={"outcome": "x"},
    ),
    Rule("GET", "/admin/contact-requests", (403, 403, 403, 200, 403), 303),
    Rule(
        "POST",
        "/admin/contact-requests/{contact}/decide",
        (403, 403, 403, 400, 403),
        401,
        data={"decision": "x"},
    ),
    Rule("GET", "/media/{sha}", (200, 404, 200, 200, 404), 303),
    Rule("GET", "/review", (403, 403, 200, 200, 403), 303),
    Rule("GET", "/review/cases/{case}", (403, 403, 200, 200, 403), 303),
    Rule("GET", "/review/calendar", (403, 403, 200, 200, 403), 303),
    Rule("POST", "/review/bulk-approve", (403, 403, 400, 400, 403), 401, data={}),
    Rule("POST", "/review/cases/{case}/approve", (403, 403, 400, 400, 403), 401, data={}),
    Rule(
        "POST", "/review/cases/{case}/reject", (403, 403, 400, 400, 403), 401, data={"reason": "x"}
    ),
    Rule(
        "POST", "/review/posts/{post}/edit", (403, 403, 409, 409, 403), 401, data={"caption": "x"}
    ),
    Rule(
        "POST",
        "/review/posts/{post}/findings/allow",
        (403, 403, 409, 409, 403),
        401,
        data={"reason": ""},
    ),
    Rule("POST", "/review/posts/{post}/reporter-photos", (403, 403, 409, 409, 403), 401, data={}),
    Rule("POST", "/review/posts/{post}/unblur", (403, 403, 409, 409, 403), 401, data={}),
    Rule("POST", "/review/posts/{post}/held-videos", (403, 403, 409, 409, 403), 401, data={}),
    Rule(
        "POST", "/review/posts/{post}/media", (403, 403, 409, 409, 403), 401, data={"change": "x"}
    ),
    Rule("GET", "/deliveries", (403, 403, 200, 200, 403), 303),
    Rule("POST", "/deliveries/{delivery}/retry", (403, 403, 409, 409, 403), 401, data={}),
    Rule("POST", "/deliveries/{delivery}/takedown", (403, 403, 400, 400, 403), 401, data={}),
    Rule("POST", "/deliveries/{delivery}/settle", (403, 403, 409, 409, 403), 401, data={}),
    Rule("GET", "/audit", (403, 403, 200, 200, 403), 303),
    Rule("GET", "/dashboard", (403, 403, 403, 200, 200), 303),
    Rule("GET", "/dashboard/export.csv", (403, 403, 403, 200, 200), 303),
    Rule("GET", "/dashboard/digest", (403, 403, 403, 200, 200), 303),
    Rule("GET", "/admin", (403, 403, 403, 200, 403), 303),
    Rule("GET", "/admin/templates", (403, 403, 403, 200, 403), 303),
    Rule(
        "POST",
        "/admin/accounts",
        (403, 403, 403, 400, 403),
        401,
        data={"agency": "dpupr", "platform": "myspace", "handle": "x"},
    ),
    Rule("POST", "/admin/accounts/{account}/test", (403, 403, 403, 303, 403), 401, data={}),
    # Login flows: no app configured in this world, and no flow in progress: the admin is
    # sent back to /admin with the reason; an unknown agency is refused before any call.
    Rule(
        "POST",
        "/admin/accounts/oauth/{provider}/start",
        (403, 403, 403, 303, 403),
        401,
        data={"agency": "dpupr"},
    ),
    Rule("GET", "/admin/accounts/oauth/{provider}/callback", (403, 403, 403, 303, 403), 303),
    Rule(
        "POST",
        "/admin/accounts/telegram",
        (403, 403, 403, 303, 403),
        401,
        data={"agency": "tidak-ada", "bot_token": "1:x", "chat_id": "@kanal"},
    ),
    Rule("POST", "/admin/accounts/{account}/{change}", (403, 403, 403, 400, 403), 401, data={}),
    Rule(
        "POST",
        "/admin/users",
        (403, 403, 403, 400, 403),
        401,
        data={"username": "u", "role": "raja"},
    ),
    Rule("GET", "/admin/overrides", (403, 403, 403, 200, 403), 303),
    Rule("GET", "/admin/overrides/{agency}/{platform}/{kind}", (403, 403, 403, 200, 403), 303),
    # No template text: refused as malformed (422) before anything is checked or stored.
    Rule(
        "POST",
        "/admin/overrides/{agency}/{platform}/{kind}",
        (403, 403, 403, 400, 403),  # an empty template: refused on its page, not a 422
        401,
        data={},
    ),
    Rule(
        "POST",
        "/admin/overrides/{agency}/{platform}/{kind}/preview",
        (403, 403, 403, 200, 403),  # the preview page lists why an empty template is refused
        401,
        data={},
    ),
    # Nothing to reset in this world: the admin is sent back to the (unchanged) edit page.
    Rule(
        "POST",
        "/admin/overrides/{agency}/{platform}/{kind}/reset",
        (403, 403, 403, 303, 403),
        401,
        data={},
    ),
    Rule("POST", "/logout", (303, 303, 303, 303, 303), 401, data={}),
    Rule("POST", "/logout/everywhere", (303, 303, 303, 303, 303), 401, data={}),
    Rule("GET", "/api/v1/me", (200, 200, 200, 200, 200), 401),
    Rule("GET", "/api/v1/review-queue", (403, 403, 200, 200, 403), 401),
    Rule("GET", "/api/v1/posts", (200, 200, 200, 200, 200), 401),
    Rule("GET", "/api/v1/posts/{post}", (200, 404, 200, 200, 404), 401),
    Rule(
        "POST",
        "/api/v1/posts/{post}/approve",
        (403, 403, 400, 400, 403),
        401,
        json={"scheduled_for": "2000-01-01T08:00:00"},
    ),
    Rule(
        "POST", "/api/v1/posts/{post}/reject", (403, 403, 409, 409, 403), 401, json={"reason": ""}
    ),
    Rule(
        "POST", "/api/v1/posts/{post}/edit", (403, 403, 409, 409, 403), 401, json={"caption": "x"}
    ),
    Rule("GET", "/api/v1/posts/{post}/findings", (403, 403, 200, 200, 403), 401),
    Rule(
        "POST",
        "/api/v1/posts/{post}/findings/allow",
        (403, 403, 409, 409, 403),
        401,
        json={"start": 0, "end": 1, "kind": "phone", "reason": ""},
    ),
    Rule(
        "POST",
        "/api/v1/posts/{post}/reporter-photos",
        (403, 403, 409, 409, 403),
        401,
        json={"media_id": 1, "reason": ""},
    ),
    Rule(
        "POST",
        "/api/v1/posts/{post}/held-videos",
        (403, 403, 409, 409, 403),
        401,
        json={"media_id": 1, "reason": ""},
    ),
    Rule(
        "POST",
        "/api/v1/posts/{post}/unblur",
        (403, 403, 409, 409, 403),
        401,
        json={"media_id": 1, "reason": ""},
    ),
    Rule("GET", "/api/v1/deliveries", (403, 403, 200, 200, 403), 401),
    # Issue 20: the PICs' resumable (tus) uploads; each PIC reaches only their own uploads (the
    # other PIC's id is not found), and a new upload is refused after authorisation for its type.
    Rule("OPTIONS", "/api/v1/pic/uploads/", (204, 204, 403, 403, 403), 401, headers={}),
    Rule(
        "POST",
        "/api/v1/pic/uploads",
        (415, 415, 403, 403, 403),
        401,
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "10",
            "Upload-Metadata": "filename YS50eHQ=,filetype dGV4dC9wbGFpbg==",
        },
    ),
    Rule(
        "POST",
        "/api/v1/pic/uploads/",
        (415, 415, 403, 403, 403),
        401,
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "10",
            "Upload-Metadata": "filename YS50eHQ=,filetype dGV4dC9wbGFpbg==",
        },
    ),
    Rule(
        "HEAD",
        "/api/v1/pic/uploads/{upload}",
        (200, 404, 403, 403, 403),
        401,
        headers={"Tus-Resumable": "1.0.0"},
    ),
    Rule(
        "PATCH",
        "/api/v1/pic/uploads/{upload}",
        (409, 404, 403, 403, 403),
        401,
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": "1",
            "Content-Type": "application/offset+octet-stream",
        },
    ),
    Rule(
        "DELETE",
        "/api/v1/pic/uploads/{upload}",
        (404, 404, 403, 403, 403),
        401,
        headers={"Tus-Resumable": "1.0.0", "X-Delete-Id": "another"},
    ),
    Rule("POST", "/api/v1/deliveries/{delivery}/retry", (403, 403, 409, 409, 403), 401, json={}),
)
# Routes outside the matrix, and why. Open to anyone: the login form, probes, the API's
# documentation, and the public pages (tests/test_public_*.py crawl those for personal data).
UNGUARDED = {
    "/login",
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/docs",
    "/redoc",
    "/public-media/{name}",
    "/publik",
    "/publik/data",
    "/publik/data/kinerja-{tahun}.csv",
    "/publik/data/kinerja-{tahun}.json",
    "/publik/feed.xml",
    "/publik/foto/{sha256}.jpg",
    "/publik/kinerja",
    "/publik/sematkan",
    "/publik/tl/{case_id}",
    "/publik/widget",
}
# Called by machines with their own credential, never a session: a signed-in admin without
# that credential is refused (checked below).
MACHINE = {
    ("GET", "/metrics"): 401,  # Authorization: Bearer LAPOR_OPS_TOKEN
    ("POST", "/api/v1/cases"): 401,  # X-Lapor-Signature (HMAC) with a fresh timestamp
    ("GET", "/webhooks/whatsapp"): 403,  # Meta's hub.verify_token handshake
    ("POST", "/webhooks/whatsapp"): 401,  # X-Hub-Signature-256 (HMAC with the app secret)
}
SESSION_ENDING = ("/logout", "/logout/everywhere")


def world(ctx: AppContext) -> dict[str, str]:
    for name, role, agency in (
        ("pic_own", "pic", "dpupr"),
        ("pic_other", "pic", "dinsos"),
        ("reviewer", "reviewer", None),
        ("admin", "admin", None),
        ("pimpinan", "pimpinan", None),
    ):
        make_user(ctx, name, role, agency)
    account = add_account(ctx, "folder", "dpupr")
    sha = ctx.media.put(jpeg(), ".jpg")
    (post,) = feed_and_draft(ctx, feed_record(1))
    from publisher.db.models import FollowUp, Media

    with ctx.sessions() as session, session.begin():
        follow_up = session.scalar(select(FollowUp))
        assert follow_up is not None
        session.add(Media(follow_up_id=follow_up.id, sha256=sha, state="ok", mime="image/jpeg"))
        session.add(Delivery(post_id=post.id, account_id=account, state="pending", marker="m"))
        delivery = session.scalar(select(Delivery.id))
        pic_own = session.scalar(select(User.id).where(User.username == "pic_own"))
    waiting = waiting_case(ctx, 2)
    assert pic_own is not None
    upload = uploads.keep(ctx, pic_own, int(waiting), "after", "a.jpg", jpeg(), "image/jpeg")
    with ctx.sessions() as session, session.begin():
        request = ContactRequest(case_id=waiting, pic_user_id=pic_own, reason="klarifikasi lokasi")
        session.add(request)
        session.flush()
        contact = request.id
    return {
        "case": str(post.case_id),
        "waiting": str(waiting),
        "upload": upload.id,
        "contact": str(contact),
        "post": str(post.id),
        "delivery": str(delivery),
        "account": str(account),
        "change": "explode",
        "sha": sha,
        "agency": "dpupr",
        "platform": "x",
        "kind": "photo",
        "provider": "x",
    }


def call(web: TestClient, rule: Rule, ids: dict[str, str], token: str | None) -> int:
    path = rule.path.format(**ids)
    if rule.method == "GET":
        return web.get(path).status_code
    if rule.headers is not None:
        headers = dict(rule.headers)
        if token:
            headers["X-CSRF-Token"] = token
        if rule.method == "DELETE":  # never the upload the other rules read
            path = path.replace(ids["upload"], "0" * 32)
        body = b"xx" if rule.method == "PATCH" else None
        return web.request(rule.method, path, headers=headers, content=body).status_code
    headers = {"X-CSRF-Token": token} if token and rule.json is not None else {}
    if rule.json is not None:
        return web.post(path, json=rule.json, headers=headers).status_code
    data = dict(rule.data or {})
    if token:
        data["csrf_token"] = token
    return web.post(path, data=data).status_code


def test_every_route_answers_each_role_and_agency_as_the_matrix_says_and_needs_csrf(
    ctx: AppContext,
) -> None:
    ids = world(ctx)
    mismatches = []
    for index, role in enumerate(ROLES):
        web = client(ctx)
        token = sign_in(web, role)
        for rule in MATRIX:
            if rule.path in SESSION_ENDING:
                continue
            got = call(web, rule, ids, token)
            if got != rule.expect[index]:
                mismatches.append((rule.method, rule.path, role, got, rule.expect[index]))
        for rule in MATRIX:
            if rule.path in SESSION_ENDING:
                fresh = client(ctx)
                got = call(fresh, rule, ids, sign_in(fresh, role))
                if got != rule.expect[index]:
                    mismatches.append((rule.method, rule.path, role, got, rule.expect[index]))
    anonymous = client(ctx)
    for rule in MATRIX:
        got = call(anonymous, rule, ids, None)
        if got != rule.anonymous:
            mismatches.append((rule.method, rule.path, "anonymous", got, rule.anonymous))
    assert mismatches == []
    every_write_without_its_csrf_token_is_refused_for_every_role(ctx, ids)


def every_write_without_its_csrf_token_is_refused_for_every_role(
    ctx: AppContext, ids: dict[str, str]
) -> None:
    writes = [r for r in MATRIX if r.method in ("POST", "PATCH", "DELETE")]
    for role in ROLES:
        web = client(ctx)
        sign_in(web, role)
        for rule in writes:
            assert call(web, rule, ids, None) == 403, (rule.path, role)
        assert web.get("/api/v1/me").status_code == 200  # nothing above ended the session
    with ctx.sessions() as session:
        assert session.scalar(select(SocialAccount.status)) == "active"


def api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every APIRoute, including those of included routers (FastAPI 0.165 keeps an included
    router as one ``_IncludedRouter`` entry holding the original router; no prefixes are used
    here, so each route's own path is its full path)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def test_the_matrix_covers_every_route_of_the_app(ctx: AppContext) -> None:
    app = create_app(ctx)
    routes = {(method, route.path) for route in api_routes(app.routes) for method in route.methods}
    assert len(routes) > 60, "the walk no longer sees the included routers"
    covered = {(rule.method, rule.path) for rule in MATRIX}
    normalise = {
        "{case_id}": "{case}",
        "{post_id}": "{post}",
        "{delivery_id}": "{delivery}",
        "{account_id}": "{account}",
        "{sha256}": "{sha}",
        "{uuid}": "{upload}",
        "{request_id}": "{contact}",
    }
    missing = []
    for method, path in routes:
        if path in UNGUARDED or (method, path) in MACHINE:
            continue
        for raw, short in normalise.items():
            path = path.replace(raw, short)
        if (method, path) not in covered and (
            method,
            path.replace("{case}", "{waiting}"),
        ) not in covered:
            missing.append((method, path))
    assert missing == []


def test_a_session_does_not_open_the_routes_that_machines_call_with_their_own_credential(
    ctx: AppContext,
) -> None:
    ctx.settings = ctx.settings.model_copy(
        update={
            "ops_token": "ops-token-for-the-test",
            "push_secret": "push-secret-for-the-test",
            "whatsapp_verify_token": "verify-token-for-the-test",
            "whatsapp_app_secret": "app-secret-for-the-test",
        }
    )
    world(ctx)
    web = client(ctx)
    token = sign_in(web, "admin")
    for (method, path), expected in MACHINE.items():
        if method == "GET":
            got = web.get(path).status_code
        else:
            got = web.post(path, json={}, headers={"X-CSRF-Token": token}).status_code
        assert got == expected, (method, path, got)


def test_a_pimpinan_sees_no_case_even_with_an_agency_on_the_account(ctx: AppContext) -> None:
    world(ctx)
    make_user(ctx, "pimpinan_dpupr", "pimpinan", "dpupr")
    for name in ("pimpinan", "pimpinan_dpupr"):
        web = client(ctx)
        sign_in(web, name)
        assert web.get("/api/v1/posts").json() == []
        page = web.get("/dashboard")
        assert page.status_code == 200 and 'href="/dashboard/digest"' in page.text
        assert web.get("/", follow_redirects=False).headers["location"] == "/dashboard"
