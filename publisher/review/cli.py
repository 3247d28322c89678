"""``lapor review list|approve|reject``: the review queue from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from publisher.core.console import console, fail
from publisher.core.errors import LaporError
from publisher.runtime.console import context

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from publisher.db.models import User

app = typer.Typer(help="Review drafted posts.", no_args_is_help=True)


def _user(session: Session, username: str) -> User:
    from sqlalchemy import select

    from publisher.db.models import User

    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise fail(f"unknown user {username!r} (create one with `lapor users add`)")
    return user


@app.command("list")
def review_list(
    state: Annotated[str, typer.Option(help="pending_review, blocked, approved, rejected")] = "",
) -> None:
    """The review queue: highest risk first, then oldest."""
    from rich.table import Table

    from publisher.db.models import Post, SocialAccount
    from publisher.review import actions as review

    with context() as ctx, ctx.sessions() as session:
        states = (state,) if state else review.REVIEWABLE
        table = Table("post", "case", "account", "state", "risk", "caption")
        for post in review.queue(session, states):
            account = session.get(SocialAccount, post.account_id)
            assert isinstance(post, Post) and account is not None
            table.add_row(
                str(post.id),
                post.case.tracking_number,
                f"{account.platform}:{account.handle}",
                post.review_state,
                f"{post.risk_score:.2f}",
                post.caption.splitlines()[0][:60],
            )
        console.print(table)


@app.command("approve")
def review_approve(
    post_id: int,
    reviewer: Annotated[str, typer.Option(envvar="LAPOR_REVIEWER", help="reviewer username")],
    override_reason: str = "",
    manual_screening_note: str = "",
) -> None:
    """Approve a post: it goes to the outbox for its account."""
    from publisher.review import actions as review

    with context() as ctx, ctx.sessions() as session:
        try:
            with session.begin():
                review.approve(
                    session,
                    post_id,
                    _user(session, reviewer),
                    override_reason=override_reason,
                    manual_screening_note=manual_screening_note,
                    vault=ctx.vault,
                )
        except LaporError as exc:
            raise fail(str(exc)) from None
    console.print(f"post {post_id} approved")


@app.command("reject")
def review_reject(
    post_id: int,
    reason: Annotated[str, typer.Option(help="why (the PIC sees it)")],
    reviewer: Annotated[str, typer.Option(envvar="LAPOR_REVIEWER", help="reviewer username")],
) -> None:
    """Reject a post with a reason."""
    from publisher.review import actions as review

    with context() as ctx, ctx.sessions() as session:
        try:
            with session.begin():
                review.reject(
                    session, post_id, _user(session, reviewer), reason=reason, vault=ctx.vault
                )
        except LaporError as exc:
            raise fail(str(exc)) from None
    console.print(f"post {post_id} rejected")
