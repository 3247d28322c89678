"""The FastAPI application factory. The app receives its context; nothing happens at import."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import text

from publisher.context import AppContext
from publisher.web import media as media_routes


def create_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(title="lapor-publisher", version="0.1.0")
    app.state.ctx = ctx
    app.include_router(media_routes.router(ctx))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> dict[str, str]:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ready"}

    return app
