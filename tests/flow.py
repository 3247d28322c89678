"""Helpers that drive the real flow for tests: feed records in, posts drafted, accounts made."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.db.models import Agency, FollowUp, Media, Post, SocialAccount, User
from publisher.intake.records import ingest
from publisher.runtime.context import AppContext
from tests.factories import jpeg


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


def with_photo(ctx: AppContext, photo: bytes | None = None) -> str:
    """Attach a stored PIC photo (``photo``, else a small JPEG) to the first follow-up;
    returns its sha256."""
    sha = ctx.media.put(photo if photo is not None else jpeg(), ".jpg")
    with ctx.sessions() as session, session.begin():
        fu = session.scalar(select(FollowUp))
        assert fu is not None
        session.add(
            Media(
                follow_up_id=fu.id,
                position=0,
                sha256=sha,
                kind="photo",
                mime="image/jpeg",
                state="ok",
                supplied_by="pic",
            )
        )
    return sha
