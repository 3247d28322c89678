"""Helpers that drive the real flow for tests: feed records in, posts drafted, accounts made."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.core.context import AppContext
from publisher.db.models import Agency, Post, SocialAccount, User
from publisher.intake.records import ingest


def add_account(
    ctx: AppContext,
    platform: str,
    handle: str,
    creds: dict[str, Any] | None = None,
    agency: str = "dpupr",
    max_posts_per_hour: int = 10,
) -> int:
    with ctx.sessions() as session, session.begin():
        agency_row = session.scalar(select(Agency).where(Agency.code == agency))
        assert agency_row is not None
        account = SocialAccount(
            agency_id=agency_row.id,
            platform=platform,
            handle=handle,
            credentials=ctx.vault.encrypt_json(creds or {}),
            max_posts_per_hour=max_posts_per_hour,
        )
        session.add(account)
        session.flush()
        return account.id


def add_user(ctx: AppContext, username: str, role: str = "reviewer") -> User:
    with ctx.sessions() as session, session.begin():
        user = User(username=username, role=role)
        session.add(user)
    return user


def feed_and_draft(ctx: AppContext, *records: dict[str, Any]) -> list[Post]:
    with ctx.sessions() as session, session.begin():
        ingest(session, ctx.vault, "app", list(records))
    run_job(ctx, "screen")
    run_job(ctx, "render")
    with ctx.sessions() as session:
        return list(session.scalars(select(Post).order_by(Post.id)))
