"""The FastAPI application factory. The app receives its context; nothing happens at import."""

from __future__ import annotations

from fastapi import FastAPI

from publisher.context import AppContext
from publisher.web.dashboard import router as dashboard_router
from publisher.web.ops import router as ops_router


def create_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(title="lapor-publisher", version="0.1.0")
    app.state.ctx = ctx

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(ops_router(ctx))  # /readyz, /metrics
    app.include_router(dashboard_router(ctx))  # /dashboard

    return app
