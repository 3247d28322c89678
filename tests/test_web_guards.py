"""Nothing that falls over: bodies capped while they stream in, hostile JSON and timestamps
refused with a 4xx, and an unexpected error answered with an Indonesian page whose reference id
is in the log line. Over real HTTP (uvicorn), as a sender would see it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from publisher.app.factory import create_app
from publisher.db.models import Quarantine
from publisher.fakes.server import ServerThread
from publisher.fakes.whatsapp import meta_signature, notification, text_message
from publisher.intake.routes import MAX_PUSH_BYTES, MAX_WEBHOOK_BYTES
from publisher.runtime.context import AppContext
from publisher.web.auth import SESSION_COOKIE
from publisher.web.guards import BodyLimit
from tests.conftest import make_context
from tests.intake_support import signed_push
from tests.web_support import client, make_user, sign_in

PUSH_SECRET = "push-secret-for-guards"
APP_SECRET = "whatsapp-app-secret-for-guards"


@pytest.fixture
def app_ctx(sqlite_url: str, tmp_path: Path) -> Iterator[AppContext]:
    ctx = make_context(
        sqlite_url, tmp_path, push_secret=PUSH_SECRET, whatsapp_app_secret=APP_SECRET
    )
    yield ctx
    ctx.close()


@pytest.fixture
def app(app_ctx: AppContext) -> FastAPI:
    return create_app(app_ctx)


@pytest.fixture
def url(app: FastAPI) -> Iterator[str]:
    with ServerThread(app) as running:
        yield running.url


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b"[" * piece


def test_a_chunked_push_body_over_the_cap_is_refused_with_413_before_it_is_read_whole(
    url: str,
) -> None:
    answer = httpx.post(
        f"{url}/api/v1/cases", content=chunks(MAX_PUSH_BYTES + 1024 * 1024), timeout=30
    )
    assert answer.status_code == 413
    assert "terlalu besar" in answer.json()["detail"]


def test_a_declared_length_over_the_cap_is_refused_without_reading_the_body(url: str) -> None:
    with httpx.Client(timeout=10) as web:
        answer = web.post(
            f"{url}/webhooks/whatsapp",
            content=chunks(MAX_WEBHOOK_BYTES + 1),
            headers={"Content-Length": str(MAX_WEBHOOK_BYTES + 1)},
        )
    assert answer.status_code == 413


def test_a_chunked_webhook_body_over_the_cap_is_refused(url: str) -> None:
    answer = httpx.post(
        f"{url}/webhooks/whatsapp", content=chunks(2 * MAX_WEBHOOK_BYTES), timeout=30
    )
    assert answer.status_code == 413


def test_a_login_form_over_the_default_cap_gets_an_indonesian_413_page(url: str) -> None:
    answer = httpx.post(
        f"{url}/login",
        content=chunks(3 * 1024 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert answer.status_code == 413
    assert "text/html" in answer.headers["content-type"]
    assert "Kiriman terlalu besar" in answer.text


def test_an_upload_over_the_total_cap_is_refused_even_though_the_form_parser_is_reading_it(
    app: FastAPI, app_ctx: AppContext
) -> None:
    # The same guard with a small cap in front of the real app: the multipart parser is the one
    # reading, and FastAPI would make its failure a 400; the sender must see the 413.
    make_user(app_ctx, "pic", "pic", "dpupr")
    small = BodyLimit(app, pages=app.state.pages, default=1024, caps=(("/pic/cases/", 256 * 1024),))
    with ServerThread(small) as running:
        web = httpx.Client(base_url=running.url, timeout=30)
        files = {"after": ("foto.jpg", b"\xff" * (512 * 1024), "image/jpeg")}
        answer = web.post("/pic/cases/1/follow-up", files=files, data={"action_text": "x" * 30})
    assert answer.status_code == 413


def test_an_anonymous_upload_to_the_pic_form_is_held_to_the_small_cap_before_it_is_read(
    app_ctx: AppContext,
) -> None:
    """The PIC form's 160 MB cap is for signed-in PICs: without a live session (no cookie, or
    a made-up one) the default 1 MB cap applies, decided from the headers."""
    make_user(app_ctx, "pic", "pic", "dpupr")
    files = {"after": ("foto.jpg", b"\xff" * (2 * 1024 * 1024), "image/jpeg")}
    data = {"action_text": "x" * 30}
    anonymous, forged, signed_in = client(app_ctx), client(app_ctx), client(app_ctx)
    forged.cookies.set(SESSION_COOKIE, "bukan-sesi-sungguhan")
    token = sign_in(signed_in, "pic")
    refused = [
        w.post("/pic/cases/1/follow-up", files=files, data=data) for w in (anonymous, forged)
    ]
    assert [r.status_code for r in refused] == [413, 413]
    allowed = signed_in.post(
        "/pic/cases/1/follow-up", files=files, data={**data, "csrf_token": token}
    )
    assert allowed.status_code != 413


# Headers arrive as bytes read as Latin-1: b"\xb2" is "²", which str.isdigit() accepted.
@pytest.mark.parametrize("stamp", [b"9" * 5000, b"\xb2", b"1\xb9", b"-5", b"1e9", b"0x10"])
def test_a_hostile_push_timestamp_is_a_401_never_a_500(url: str, stamp: bytes) -> None:
    body = b'{"records": []}'
    headers = {
        b"Content-Type": b"application/json",
        b"X-Lapor-Timestamp": stamp,
        b"X-Lapor-Signature": b"sha256=00",
    }
    answer = httpx.post(f"{url}/api/v1/cases", content=body, headers=headers, timeout=30)
    assert answer.status_code == 401


def _push(url: str, body: bytes) -> httpx.Response:
    return signed_push(url, body, PUSH_SECRET)


@pytest.mark.parametrize(
    "body",
    [
        b'{"records": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"records": [' + b'{"a":' * 40 + b"1" + b"}" * 40 + b"]}",
        b'{"records": [], "\\udfff": 1}',
        b'{"records": [{"id": "\xff\xfe"}]}',
    ],
    ids=["100k-deep", "40-deep", "surrogate-key", "not-utf8"],
)
def test_deep_or_unencodable_json_on_the_push_endpoint_is_a_400(url: str, body: bytes) -> None:
    # A lone surrogate inside a record is not here: that record is quarantined with a reason
    # and the rest of the batch is stored (tests/test_privacy_end_to_end.py).
    answer = _push(url, body)
    assert answer.status_code == 400, answer.text


def _signed_webhook(url: str, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{url}/webhooks/whatsapp",
        content=body,
        headers={"X-Hub-Signature-256": meta_signature(APP_SECRET, body)},
        timeout=30,
    )


def test_json_nested_too_deeply_on_the_whatsapp_webhook_is_a_400(url: str) -> None:
    answer = _signed_webhook(url, b"[" * 100_000 + b"]" * 100_000)
    assert answer.status_code == 400, answer.text


@pytest.mark.parametrize("text", ["\ud83d rusak", "a\x00b"], ids=["lone-surrogate", "nul"])
def test_a_signed_notification_with_unstorable_text_is_acknowledged_and_quarantined(
    url: str, app_ctx: AppContext, text: str
) -> None:
    """Meta redelivers anything not answered 200 for days: a message we cannot store is kept
    aside with its reason and acknowledged, never refused into a redelivery loop."""
    answer = _signed_webhook(url, notification(text_message("6281234567890", text)))
    assert (answer.status_code, answer.json()["status"]) == (200, "quarantined"), answer.text
    with app_ctx.sessions() as session:
        rows = list(session.scalars(select(Quarantine)))
    assert [
        (r.source, r.reason.startswith("invalid characters: a string holds")) for r in rows
    ] == [("whatsapp", True)]


def _broken(app: FastAPI) -> None:
    # A fault our code did not foresee, as a route would meet it.
    @app.get("/rusak")
    def page_fault() -> None:
        raise RuntimeError("disk on fire")

    @app.get("/api/v1/rusak")
    def api_fault() -> None:
        raise RuntimeError("disk on fire")


def test_an_unexpected_error_is_an_indonesian_page_with_the_reference_in_the_log(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    _broken(app)
    with ServerThread(app) as running, caplog.at_level(logging.ERROR, "publisher.web.guards"):
        page = httpx.get(f"{running.url}/rusak", timeout=30)
        api = httpx.get(f"{running.url}/api/v1/rusak", timeout=30)
    assert page.status_code == 500
    assert "text/html" in page.headers["content-type"]
    assert "Internal Server Error" not in page.text
    assert "tidak terduga" in page.text
    assert page.headers["x-content-type-options"] == "nosniff"
    assert api.status_code == 500
    reference = api.json()["reference"]
    assert "tidak terduga" in api.json()["detail"]
    logged = [r.getMessage() for r in caplog.records]
    assert any(f"ref={reference}" in line for line in logged)
    page_ref = page.text.split("<code>")[1].split("</code>")[0]
    assert any(f"ref={page_ref}" in line for line in logged)
    assert page_ref != reference


def test_the_webhook_and_push_still_take_bodies_within_their_caps(url: str) -> None:
    assert _push(url, json.dumps({"records": []}).encode()).status_code == 202
