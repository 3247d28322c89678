"""Issue 16's end-to-end holes, tried as they were found: a case that changes after approval,
a NUL in a pushed complaint, SQL parameters in errors, and uvicorn's own loggers."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError

from jobs.pipeline import run_job
from publisher.app.factory import create_app
from publisher.core.clock import utcnow
from publisher.db.models import AuditLog, Case, Delivery, JobRun, Post, Quarantine
from publisher.fakes.server import ServerThread
from publisher.intake.records import ingest
from publisher.intake.routes import sign_push
from publisher.outbox import deliveries as outbox
from publisher.privacy.logs import UVICORN_LOGGING, configure
from publisher.public.routes import build_snapshot
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.factories import feed_record, person
from tests.flow import add_account, with_photo
from tests.public_support import published_case
from tests.publishing_env import Fakes, add_platform_account, approved_posts, running_fakes
from tests.web_support import free_port

SECRET = "push-secret-for-tests"


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with running_fakes() as running:
        yield running


def _telegram_calls(fakes: Fakes) -> int:
    return int(fakes.telegram.requests)


def _claimed(ctx: AppContext, fakes: Fakes) -> int:
    """One approved post for Telegram, claimed by a worker: the next step is the publish call."""
    add_platform_account(ctx, "telegram", fakes)
    approved_posts(ctx, 1)
    delivery_id = outbox.claim(ctx)
    assert delivery_id is not None
    return delivery_id


def _refeed(ctx: AppContext, **changes: Any) -> None:
    """The source sends a newer version of case 1 (how a case changes after approval)."""
    record = feed_record(1, **changes)
    record["updated_at"] = (utcnow() + timedelta(minutes=3)).isoformat()
    with ctx.sessions() as session, session.begin():
        counts = ingest(session, ctx.vault, "app", [record])
    assert counts.updated == 1


def _state(ctx: AppContext, delivery_id: int) -> Delivery:
    with ctx.sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        return delivery


def test_a_case_made_rahasia_after_approval_is_never_published(
    ctx: AppContext, fakes: Fakes
) -> None:
    delivery_id = _claimed(ctx, fakes)
    before = _telegram_calls(fakes)
    _refeed(ctx, privacy="rahasia")
    assert outbox.deliver(ctx, delivery_id) == "failed"
    assert _telegram_calls(fakes) == before
    assert fakes.telegram.sent == []
    assert "rahasia" in _state(ctx, delivery_id).last_error


def test_a_case_reopened_after_approval_is_not_published(ctx: AppContext, fakes: Fakes) -> None:
    delivery_id = _claimed(ctx, fakes)
    _refeed(ctx, status="in_progress")
    assert outbox.deliver(ctx, delivery_id) == "failed"
    assert fakes.telegram.sent == []
    assert "dibuka kembali" in _state(ctx, delivery_id).last_error


def test_a_post_withdrawn_after_its_delivery_was_claimed_is_not_published(
    ctx: AppContext, fakes: Fakes
) -> None:
    delivery_id = _claimed(ctx, fakes)
    post_id = _state(ctx, delivery_id).post_id
    # The takedown leaves a ``sending`` delivery to its worker, which must not send it then.
    outbox.takedown(ctx, post_id, "rev", "foto salah, ditarik")
    assert outbox.deliver(ctx, delivery_id) == "failed"
    assert fakes.telegram.sent == []


def test_a_case_still_public_after_approval_is_published(ctx: AppContext, fakes: Fakes) -> None:
    delivery_id = _claimed(ctx, fakes)
    assert outbox.deliver(ctx, delivery_id) == "published"
    assert len(fakes.telegram.sent) == 1


# --- intake: invalid characters ------------------------------------------------------------


@pytest.fixture
def push_ctx(database_url: str, tmp_path: Path) -> Iterator[AppContext]:
    context = make_context(database_url, tmp_path, push_secret=SECRET)
    yield context
    context.close()


def _push(url: str, records: list[dict[str, Any]]) -> httpx.Response:
    raw = json.dumps({"records": records}).encode()
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Lapor-Timestamp": str(stamp),
        "X-Lapor-Signature": sign_push(SECRET, stamp, raw),
    }
    return httpx.post(f"{url}/api/v1/cases", content=raw, headers=headers)


@pytest.mark.parametrize("bad", ["\x00", "\x1b", "\ud800", "\ufffe"])
def test_a_nul_or_control_character_in_a_pushed_complaint_is_quarantined_with_a_reason(
    push_ctx: AppContext, bad: str
) -> None:
    reporter = person(7)
    complaint = f"Rumah Pak {reporter['name']}{bad} hp {reporter['phone']} kebanjiran."
    logs = io.StringIO()
    configure(stream=logs)
    try:
        with ServerThread(create_app(push_ctx)) as server:
            response = _push(server.url, [feed_record(1, complaint=complaint), feed_record(2)])
    finally:
        configure()
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["quarantined"]) == (1, 1)
    reason = body["records"][0]["reason"]
    assert reason == "complaint: holds a NUL or another control character"
    with push_ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        (row,) = session.scalars(select(Quarantine))
        assert row.reason == reason and row.external_id == "T-1"
    for value in (reporter["name"], reporter["phone"]):
        assert value not in logs.getvalue()
        assert value not in response.text


def test_a_control_character_in_a_field_name_or_id_is_refused_without_echoing_it(
    ctx: AppContext,
) -> None:
    record = feed_record(1, id="T-\x001")
    record["reporter"]["na\x00me"] = "x"
    with ctx.sessions() as session, session.begin():
        counts = ingest(session, ctx.vault, "app", [record])
        (row,) = session.scalars(select(Quarantine))
    assert counts.quarantined == 1
    assert row.external_id == "" and "\x00" not in row.reason


# --- SQL parameters and job runs -----------------------------------------------------------


def test_a_failed_statement_never_shows_its_parameters(any_ctx: AppContext) -> None:
    secret = "Pak Sugeng Riyadi 0812 3456 7890"
    with pytest.raises(StatementError) as caught, any_ctx.sessions() as session:
        session.execute(text("SELECT CAST(:v AS INTEGER) + no_such_column"), {"v": secret})
    assert secret not in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)


def test_a_failing_job_records_no_complaint_text_in_job_runs(ctx: AppContext) -> None:
    reporter = person(3)
    complaint = f"Rumah Pak {reporter['name']} hp {reporter['phone']} kebanjiran."
    with ctx.sessions() as session, session.begin():
        ingest(session, ctx.vault, "app", [feed_record(1, complaint=complaint)])
    with ctx.engine.begin() as conn:  # a constraint the screening job's insert will break
        conn.execute(
            text(
                "CREATE TRIGGER no_screenings BEFORE INSERT ON screenings "
                "BEGIN SELECT RAISE(ABORT, 'screenings are closed'); END"
            )
        )
    with pytest.raises(StatementError):
        run_job(ctx, "screen")
    with ctx.sessions() as session:
        (run,) = session.scalars(select(JobRun).where(JobRun.job == "screen"))
    assert "screenings are closed" in run.error
    assert reporter["name"] not in run.error and reporter["phone"] not in run.error


# --- uvicorn's loggers ---------------------------------------------------------------------


def _leaky_app(name: str, phone: str) -> FastAPI:
    app = FastAPI()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError(f"Pak {name} hp {phone} NIK 3328011234567890")

    @app.get("/ok")
    def ok() -> dict[str, str]:
        return {}

    return app


def test_uvicorns_error_and_access_logs_pass_the_privacy_filter(unused_port: int) -> None:
    reporter = person(11)
    name, phone = reporter["name"], reporter["phone"]
    logs = io.StringIO()
    configure(stream=logs)
    server = uvicorn.Server(
        uvicorn.Config(
            _leaky_app(name, phone), host="127.0.0.1", port=unused_port, **UVICORN_LOGGING
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    try:
        thread.start()
        base = f"http://127.0.0.1:{unused_port}"
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.02)  # polling for the server to listen, not a fixed wait
        assert httpx.get(f"{base}/boom").status_code == 500
        query = f"nama={name.replace(' ', '+')}&hp={phone}"
        assert httpx.get(f"{base}/ok?{query}").status_code == 200
    finally:
        server.should_exit = True
        thread.join(10)
        configure()
    written = logs.getvalue()
    assert "uvicorn.error" in written and "Traceback" in written  # the 500 was logged ...
    assert "uvicorn.access" in written and "/ok" in written  # ... and both requests
    for value in (phone, "3328011234567890", name.split()[0] + " " + name.split()[1], "nama="):
        assert value not in written


@pytest.fixture
def unused_port() -> int:
    return free_port()


def test_the_web_server_is_configured_with_the_same_logging() -> None:
    config = uvicorn.Config(FastAPI(), **UVICORN_LOGGING)
    assert config.log_config is None
    assert all(
        not logging.getLogger(n).handlers for n in ("uvicorn", "uvicorn.error", "uvicorn.access")
    )


# --- the deliberate breaks of issue 16 each turn one of these red ---------------------------


def test_a_case_made_rahasia_after_publication_leaves_every_public_page(ctx: AppContext) -> None:
    add_account(ctx, "folder", "dpupr")
    published_case(ctx, 1)
    client = TestClient(create_app(ctx))
    assert "LPR-2025-00001" in client.get("/publik").text
    _refeed(ctx, privacy="rahasia")
    fresh = TestClient(create_app(ctx))  # a new app: no snapshot cached from before
    for path in ("/publik", "/publik/feed.xml", "/publik/widget", "/publik?tampilan=daftar"):
        assert "LPR-2025-00001" not in fresh.get(path).text
    assert build_snapshot(ctx).items == []


def test_a_rahasia_case_is_never_drafted_even_with_a_follow_up_and_photos(ctx: AppContext) -> None:
    add_account(ctx, "folder", "dpupr")
    with ctx.sessions() as session, session.begin():
        ingest(session, ctx.vault, "app", [feed_record(1, privacy="rahasia")])
    with_photo(ctx)
    run_job(ctx, "screen")
    counts = run_job(ctx, "render")
    assert counts["skipped_rahasia"] == 1
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 0


def test_a_blocked_delivery_names_kinds_and_offsets_never_the_personal_data(
    ctx: AppContext, fakes: Fakes
) -> None:
    delivery_id = _claimed(ctx, fakes)
    phone = "0857 1122 3344"
    with ctx.sessions() as session, session.begin():
        post = session.get(Delivery, delivery_id).post  # type: ignore[union-attr]
        post.caption = f"{post.caption}\nHubungi {phone}."  # written past review, e.g. by SQL
    logs = io.StringIO()
    configure(stream=logs)
    try:
        assert outbox.deliver(ctx, delivery_id) == "failed"
    finally:
        configure()
    assert fakes.telegram.sent == []
    with ctx.sessions() as session:
        details = [json.dumps(e.details) for e in session.scalars(select(AuditLog))]
    for text_seen in (*details, _state(ctx, delivery_id).last_error, logs.getvalue()):
        assert phone not in text_seen and "1122" not in text_seen
    assert any("phone@" in d for d in details)  # what was found, where: kinds and offsets
