"""Helpers shared by the intake tests: a bad file host, a database-wide plaintext scan, and
running the real flow up to drafted posts."""

from __future__ import annotations

import time
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import LargeBinary, inspect, select, text

from jobs.pipeline import run_job
from publisher.db.models import Base, Case, Post
from publisher.intake.routes import sign_push
from publisher.runtime.context import AppContext
from tests.factories import jpeg


def bad_file_host() -> FastAPI:
    """A file host that misbehaves on purpose: slow, HTML instead of a file, too big (declared
    or streamed without a length), and one good photo."""
    api = FastAPI(title="bad file host")
    good = jpeg()

    @api.get("/good.jpg")
    def ok() -> Response:
        return Response(good, media_type="image/jpeg")

    @api.get("/slow.jpg")
    def slow() -> Response:
        time.sleep(1.5)
        return Response(good, media_type="image/jpeg")

    @api.get("/login.jpg")
    def html() -> Response:
        return Response("<html><body>Silakan masuk</body></html>", media_type="text/html")

    @api.get("/big.jpg")
    def big() -> Response:
        return Response(b"\xff" * 300_000, media_type="image/jpeg")

    @api.get("/endless.jpg")
    def endless() -> StreamingResponse:
        def chunks() -> Any:
            for _ in range(100):
                yield b"\xff" * 10_000

        return StreamingResponse(chunks(), media_type="image/jpeg")

    return api


def plaintext_everywhere(ctx: AppContext) -> str:
    """Every non-encrypted column of every table, as one string (for leak checks)."""
    parts: list[str] = []
    with ctx.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c.name for c in table.columns if not isinstance(c.type, LargeBinary)]
            if not inspect(conn).has_table(table.name):
                continue
            cols = ", ".join(f'"{c}"' for c in columns)
            for row in conn.execute(text(f'SELECT {cols} FROM "{table.name}"')):
                parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)


def draft(ctx: AppContext) -> list[Post]:
    run_job(ctx, "screen")
    run_job(ctx, "render")
    with ctx.sessions() as session:
        return list(session.scalars(select(Post).order_by(Post.id)))


def case_by_tracking(ctx: AppContext, tracking: str) -> Case:
    with ctx.sessions() as session:
        case = session.scalar(select(Case).where(Case.tracking_number == tracking))
        assert case is not None, tracking
        session.expunge(case)
        return case


def signed_push(url: str, body: bytes, secret: str) -> httpx.Response:
    """POST exactly ``body`` to the push endpoint, signed now with ``secret``."""
    stamp = int(time.time())
    return httpx.post(
        f"{url}/api/v1/cases",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Lapor-Timestamp": str(stamp),
            "X-Lapor-Signature": sign_push(secret, stamp, body),
        },
        timeout=30,
    )
