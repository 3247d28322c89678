"""Operations routes: ``/readyz`` (database, media store, scheduler heartbeat) and
``/metrics`` (Prometheus text format). ``/healthz`` stays in the app factory: it only says the
process answers.

``/metrics`` is open when ``LAPOR_OPS_TOKEN`` is empty (scraped on a private network) and needs
``Authorization: Bearer <token>`` when it is set.
"""

from __future__ import annotations

import os
import tempfile
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text

from publisher.core.clock import utcnow
from publisher.ops import lease
from publisher.ops.metrics import build_registry
from publisher.runtime.context import AppContext
from publisher.web.deps import Ctx, bearer_matches, per_app


def readiness(ctx: AppContext) -> dict[str, str]:
    """Each dependency's state: ``ok`` or a short English reason (no secrets, no paths)."""
    checks: dict[str, str] = {}
    try:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable ({type(exc).__name__})"
    try:
        root = ctx.settings.media_dir
        root.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=root, prefix=".ready-")
        os.close(fd)
        os.unlink(name)
        checks["media"] = "ok"
    except OSError as exc:
        checks["media"] = f"not writable ({type(exc).__name__})"
    if checks["database"] == "ok":
        try:
            with ctx.readonly_sessions() as session:
                state = lease.read(session)
            if state is None or state.heartbeat_at is None:
                checks["scheduler"] = "never ran"
            elif not state.alive(utcnow()):
                age = int((utcnow() - state.heartbeat_at).total_seconds())
                checks["scheduler"] = f"stale (last heartbeat {age}s ago)"
            else:
                checks["scheduler"] = "ok"
        except Exception as exc:
            checks["scheduler"] = f"unknown ({type(exc).__name__})"
    else:
        checks["scheduler"] = "unknown (no database)"
    return checks


router = APIRouter(include_in_schema=False)  # probes and metrics, not the JSON API
# One registry per app: its collector reads that app's database on each scrape.
MetricsRegistry = Annotated[CollectorRegistry, Depends(per_app(build_registry))]


@router.get("/readyz")
def readyz(ctx: Ctx) -> JSONResponse:
    checks = readiness(ctx)
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics")
def metrics(ctx: Ctx, registry: MetricsRegistry, request: Request) -> Response:
    token = ctx.settings.ops_token
    if token and not bearer_matches(request, token):
        return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
