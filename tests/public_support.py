"""Helpers for the public page and notification tests: cases driven through the real flow to
published, rejected, blocked and ``rahasia``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.db.models import Case, Post, User
from publisher.intake.records import ingest
from publisher.outbox import deliveries as outbox
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from tests.factories import feed_record

# The classifier blocks this: an accusation against a named official over an inheritance.
CONFLICT = (
    "Sengketa tanah warisan dengan tetangga, kepala desa menyerobot tanah keluarga kami dan "
    "mengancam akan membunuh kalau kami lapor polisi. Kami minta kades ditangkap."
)


def reviewer(ctx: AppContext, username: str = "rev") -> User:
    with ctx.sessions() as session, session.begin():
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, role="reviewer")
            session.add(user)
            session.flush()
        session.expunge(user)
        return user


def ingest_records(ctx: AppContext, records: list[dict[str, Any]]) -> None:
    with ctx.sessions() as session, session.begin():
        ingest(session, ctx.vault, "app", records)
    run_job(ctx, "screen")
    run_job(ctx, "render")


def case_id(ctx: AppContext, n: int) -> int:
    with ctx.sessions() as session:
        found = session.scalar(select(Case.id).where(Case.external_id == f"T-{n}"))
        assert found is not None
        return found


def approve_case(ctx: AppContext, n: int) -> None:
    user = reviewer(ctx)
    cid = case_id(ctx, n)
    with ctx.sessions() as session, session.begin():
        for post in session.scalars(
            select(Post).where(Post.case_id == cid, Post.review_state == "pending_review")
        ):
            review.approve(session, post.id, user, vault=ctx.vault)


def reject_case(ctx: AppContext, n: int) -> None:
    user = reviewer(ctx)
    cid = case_id(ctx, n)
    with ctx.sessions() as session, session.begin():
        for post in session.scalars(select(Post).where(Post.case_id == cid)):
            review.reject(session, post.id, user, reason="Tidak layak tayang.")


def publish(ctx: AppContext) -> int:
    return outbox.publish_due(ctx, limit=1000).published


def published_case(ctx: AppContext, n: int, **overrides: Any) -> int:
    """Case ``n`` fed, drafted, approved and published; returns its id."""
    ingest_records(ctx, [feed_record(n, **overrides)])
    approve_case(ctx, n)
    publish(ctx)
    return case_id(ctx, n)


def post_states(ctx: AppContext, n: int) -> list[str]:
    with ctx.sessions() as session:
        return list(
            session.scalars(select(Post.review_state).where(Post.case_id == case_id(ctx, n)))
        )


def add_photo(ctx: AppContext, n: int, *, supplied_by: str = "pic", colour: int = 90) -> str:
    """Store a sanitised photo on case ``n``'s follow-up (before drafting); returns its sha256."""
    from publisher.db.models import FollowUp, Media
    from tests.factories import jpeg

    sha = ctx.media.put(jpeg(1200, 900, (colour, 120, 60)), ".jpg")
    with ctx.sessions() as session, session.begin():
        follow_up = session.scalar(select(FollowUp).where(FollowUp.case_id == case_id(ctx, n)))
        assert follow_up is not None
        position = len(follow_up.media)
        session.add(
            Media(
                follow_up_id=follow_up.id,
                position=position,
                sha256=sha,
                kind="photo",
                mime="image/jpeg",
                supplied_by=supplied_by,
                state="ok",
                width=1200,
                height=900,
            )
        )
    return sha


def feed_only(ctx: AppContext, records: list[dict[str, Any]], source: str = "app") -> None:
    """Cases stored, not yet screened or drafted."""
    with ctx.sessions() as session, session.begin():
        ingest(session, ctx.vault, source, records)
