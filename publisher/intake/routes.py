"""Intake over HTTP: the signed push endpoint and the WhatsApp Cloud API webhook.

``POST /api/v1/cases`` takes ``{"records": [CaseRecord, ...]}`` (docs/case-feed.md) signed as

    X-Lapor-Timestamp: <Unix seconds>
    X-Lapor-Signature: sha256=<hex HMAC-SHA256(LAPOR_PUSH_SECRET, "<timestamp>." + raw body)>

A timestamp more than :data:`REPLAY_WINDOW_S` away from our clock is refused, and so is the
same signed body twice within the window (``push_receipts``), so a captured request cannot be
replayed. It answers 202 with each record's outcome; bad records are quarantined and the rest
are stored, exactly as for a polled feed (idempotent on (source, external id)).

``GET /webhooks/whatsapp`` answers Meta's verification handshake (``hub.challenge``);
``POST /webhooks/whatsapp`` checks ``X-Hub-Signature-256`` and hands messages to
:mod:`publisher.intake.sources.whatsapp`; the media downloads and the answers to the PIC run
after the response (Meta wants a fast 200), and the collect job retries whatever is left.

Error answers are JSON ``{"detail": "..."}`` in English (machines read them).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from publisher.core.clock import utcnow
from publisher.core.errors import UnsafeJson
from publisher.db.models import PushReceipt
from publisher.intake import untrusted
from publisher.intake.collect import settle_whatsapp
from publisher.intake.records import IntakeReport, ingest_report, quarantine
from publisher.intake.sources.base import SCHEMA_ID, case_record_schema
from publisher.intake.sources.whatsapp import (
    Inbound,
    handle_inbound,
    inbound_messages,
    signature_ok,
)
from publisher.public import notify
from publisher.runtime.context import AppContext
from publisher.web.deps import Ctx

REPLAY_WINDOW_S = 300
MAX_PUSH_BYTES = 5 * 1024 * 1024
MAX_PUSH_RECORDS = 500
MAX_WEBHOOK_BYTES = 1024 * 1024
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


class RecordResult(BaseModel):
    index: int
    id: str
    outcome: str  # new / updated / unchanged / stale / quarantined
    reason: str = ""


class PushResult(BaseModel):
    accepted: int
    quarantined: int
    counts: dict[str, int]
    records: list[RecordResult]


def push_request_schema() -> dict[str, Any]:
    """The request body in the OpenAPI document: the case-record schema embedded with its own
    ``$id`` so its internal ``#/$defs/...`` references resolve inside it."""
    record = case_record_schema()
    record.pop("$schema", None)
    return {
        "type": "object",
        "required": ["records"],
        "additionalProperties": False,
        "properties": {
            "records": {"type": "array", "maxItems": MAX_PUSH_RECORDS, "items": record},
        },
    }


def sign_push(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Lapor-Signature value for a body (what a pushing system computes)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def _verify_push(
    secrets: list[str], timestamp: str | None, signature: str | None, body: bytes
) -> str:
    if not timestamp or not signature:
        raise HTTPException(401, "missing X-Lapor-Timestamp or X-Lapor-Signature")
    # ASCII digits only and a bounded length: str.isdigit() takes "²" and int() refuses 5,000
    # digits, both of which were 500s.
    if not _UNIX_SECONDS.fullmatch(timestamp):
        raise HTTPException(401, "X-Lapor-Timestamp must be Unix seconds")
    if abs(time.time() - int(timestamp)) > REPLAY_WINDOW_S:
        raise HTTPException(401, "timestamp outside the 5-minute window (stale or replayed)")
    given = signature.strip().lower()
    if not any(hmac.compare_digest(sign_push(s, int(timestamp), body), given) for s in secrets):
        raise HTTPException(401, "bad signature")
    return hashlib.sha256(given.encode()).hexdigest()


def _store_push(ctx: AppContext, receipt: str, records: list[Any]) -> IntakeReport:
    try:
        with ctx.sessions() as session, session.begin():
            too_old = utcnow() - timedelta(seconds=2 * REPLAY_WINDOW_S)
            session.execute(delete(PushReceipt).where(PushReceipt.received_at < too_old))
            session.add(PushReceipt(signature=receipt))
            session.flush()
            return ingest_report(session, ctx.vault, ctx.settings.push_source, records)
    except IntegrityError:
        raise HTTPException(409, "this signed request was already received") from None


def _store_whatsapp(
    ctx: AppContext, messages: list[Inbound], payload: Any = None
) -> tuple[int, list[int]]:
    media_ids: list[int] = []
    handled = 0
    with ctx.sessions() as session, session.begin():
        # Reporter notification (issue 11): STOP / MULAI replies and template statuses.
        notify.handle_webhook(session, ctx.settings.secret_keys, payload)
        for inbound in messages:
            row = handle_inbound(session, ctx.vault, ctx.settings.secret_keys, inbound)
            if row is not None:
                handled += 1
                if row.media_row_id is not None:
                    media_ids.append(row.media_row_id)
    return handled, media_ids


def _readable_anyway(body: bytes) -> bool:
    try:
        parsed = untrusted.loads(body, allow_nul=True, allow_surrogates=True)
        inbound_messages(untrusted.scrub(parsed))
    except ValueError:
        return False
    return True


def _quarantine_whatsapp(ctx: AppContext, body: bytes, reason: str) -> None:
    raw = body.decode("utf-8", errors="replace")
    with ctx.sessions() as session, session.begin():
        quarantine(session, ctx.vault, "whatsapp", raw, f"invalid characters: {reason}", None)


router = APIRouter(tags=["intake"])


@router.post(
    "/api/v1/cases",
    status_code=202,
    response_model=PushResult,
    summary="Push resolved cases (HMAC-signed)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "$id": SCHEMA_ID.replace("case-record", "push"),
                        **push_request_schema(),
                    }
                }
            },
        },
        "parameters": [
            {
                "name": "X-Lapor-Timestamp",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "Unix seconds",
            },
            {
                "name": "X-Lapor-Signature",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": 'sha256=hex HMAC-SHA256(secret, "<timestamp>." + raw body)',
            },
        ],
    },
    responses={
        400: {"description": "not JSON, or not {records: [...]}"},
        401: {"description": "missing or bad signature, or timestamp outside 5 minutes"},
        409: {"description": "this signed request was already received (replay)"},
        413: {"description": "body or record count over the limit"},
    },
)
async def push_cases(ctx: Ctx, request: Request) -> PushResult:
    secrets = [s.strip() for s in ctx.settings.push_secret.split(",") if s.strip()]
    if not secrets:
        raise HTTPException(503, "push endpoint is not configured (LAPOR_PUSH_SECRET)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PUSH_BYTES:
        raise HTTPException(413, f"body over {MAX_PUSH_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_PUSH_BYTES:
        raise HTTPException(413, f"body over {MAX_PUSH_BYTES} bytes")
    receipt = _verify_push(
        secrets,
        request.headers.get("x-lapor-timestamp"),
        request.headers.get("x-lapor-signature"),
        body,
    )
    try:
        # Within the records, the record checks decide (a bad one is quarantined with a
        # reason and the rest are stored); anywhere else an unsafe string refuses the body.
        payload = untrusted.loads(body, allow_surrogates=True)
        records = payload.get("records") if isinstance(payload, dict) else None
        if isinstance(payload, dict):
            untrusted.check({k: v for k, v in payload.items() if k != "records"})
    except UnsafeJson as exc:
        raise HTTPException(400, f"body refused: {exc}") from None
    if not isinstance(records, list):
        raise HTTPException(400, 'body must be {"records": [...]}')
    if len(records) > MAX_PUSH_RECORDS:
        raise HTTPException(413, f"more than {MAX_PUSH_RECORDS} records")
    report = await run_in_threadpool(_store_push, ctx, receipt, records)
    results = [
        RecordResult(index=r.index, id=r.external_id, outcome=r.outcome, reason=r.reason)
        for r in report.records
    ]
    quarantined = report.counts.quarantined
    return PushResult(
        accepted=len(records) - quarantined,
        quarantined=quarantined,
        counts=report.counts.as_dict(),
        records=results,
    )


@router.get("/webhooks/whatsapp", response_class=PlainTextResponse, include_in_schema=False)
def whatsapp_verify(
    ctx: Ctx,
    mode: str = Query(default="", alias="hub.mode"),
    token: str = Query(default="", alias="hub.verify_token"),
    challenge: str = Query(default="", alias="hub.challenge"),
) -> PlainTextResponse:
    expected = ctx.settings.whatsapp_verify_token
    if mode == "subscribe" and expected and hmac.compare_digest(token.encode(), expected.encode()):
        return PlainTextResponse(challenge)
    raise HTTPException(403, "verification failed")


@router.post("/webhooks/whatsapp", include_in_schema=False)
async def whatsapp_webhook(ctx: Ctx, request: Request, tasks: BackgroundTasks) -> JSONResponse:
    if not ctx.settings.whatsapp_app_secret:
        raise HTTPException(503, "WhatsApp is not configured (LAPOR_WHATSAPP_APP_SECRET)")
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise HTTPException(413, "body too large")
    header = request.headers.get("x-hub-signature-256")
    if not signature_ok(ctx.settings.whatsapp_app_secret, body, header):
        raise HTTPException(401, "bad X-Hub-Signature-256")
    try:
        payload = untrusted.loads(body, allow_nul=False)
        messages = inbound_messages(payload)
    except ValueError as exc:
        # Signed by Meta but holding NUL or a lone surrogate: a 4xx would only make Meta
        # deliver it again and again, so it is kept aside with its reason and acknowledged.
        if not _readable_anyway(body):
            raise HTTPException(400, "not a WhatsApp Cloud API notification") from None
        await run_in_threadpool(_quarantine_whatsapp, ctx, body, str(exc))
        return JSONResponse({"status": "quarantined", "handled": 0})
    handled, media_ids = await run_in_threadpool(_store_whatsapp, ctx, messages, payload)
    if handled:
        tasks.add_task(settle_whatsapp, ctx, media_ids=media_ids)
    return JSONResponse({"status": "ok", "handled": handled})
