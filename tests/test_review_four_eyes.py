"""Four eyes (issue #18): no one approves a post for a case they submitted a follow-up to,
whatever their role is now; a PIC promoted to reviewer included."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from publisher.core.errors import ReviewError
from publisher.db.models import FollowUp, Post, User
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from tests.factories import feed_record
from tests.flow import add_account, add_user, feed_and_draft


def test_a_pic_promoted_to_reviewer_cannot_approve_the_post_of_their_own_follow_up(
    ctx: AppContext,
) -> None:
    add_account(ctx, "folder", "dpupr")
    (post,) = feed_and_draft(ctx, feed_record(7))
    assert post.review_state == "pending_review"
    pic, other = add_user(ctx, "pic7", role="pic"), add_user(ctx, "sari")
    with ctx.sessions() as session, session.begin():
        session.execute(
            update(FollowUp).where(FollowUp.case_id == post.case_id).values(pic_user_id=pic.id)
        )
        session.execute(update(User).where(User.id == pic.id).values(role="reviewer"))
    with ctx.sessions() as session:
        promoted = session.scalars(select(User).where(User.id == pic.id)).one()
        with pytest.raises(ReviewError) as refused:
            review.approve(session, post.id, promoted, manual_screening_note="Dicek manual, aman.")
    assert "reviewer lain" in refused.value.user_message
    with ctx.sessions() as session, session.begin():
        review.approve(session, post.id, other, manual_screening_note="Dicek manual, aman.")
    with ctx.sessions() as session:
        assert session.get(Post, post.id).review_state == "approved"  # type: ignore[union-attr]
