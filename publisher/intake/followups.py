"""What new material from a PIC does to a case that already has posts (issue 20).

A follow-up (web or WhatsApp) or a late photo or note arrives for a case in one of four phases:

* ``new``: no post drafted yet; the draft will take every active follow-up.
* ``resubmission``: every live post of the case was rejected; the new follow-up replaces the
  earlier ones in review (they are kept, ``replaced_by_id`` points at it) and the posts are
  re-drafted from it.
* ``before_publication``: posts exist and none went out; they are re-drafted in place by the
  ``render`` job, back to review, with what changed kept for the reviewer (``Post.changes``).
  An approved post's unsent delivery is cancelled by a conditional update first.
* ``after_publication``: something went (or may have gone) out; the material is kept aside
  (``FollowUp.after_publication``) and offered to reviewers as a follow-up post, never dropped
  silently and never changing what was published.

Every step is audited; the PIC is told which of these happened (web page, WhatsApp answer).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from publisher.core.clock import utcnow
from publisher.db import audit
from publisher.db.models import Delivery, FollowUp, Post
from publisher.outbox import sending
from publisher.outbox.deliveries import COUNTED_STATES
from publisher.outbox.deliveries import QUEUE as DELIVERIES

Phase = Literal["new", "resubmission", "before_publication", "after_publication"]
# Post states a re-draft may replace; ``withdrawn`` (made rahasia, reopened) stays as it is.
REDRAFTABLE = ("pending_review", "blocked", "approved", "rejected")
MAX_CHANGES_CHARS = 2000


def case_phase(session: Session, case_id: int) -> Phase:
    """Where the case stands for new material (see the module docstring)."""
    posts = list(session.scalars(select(Post).where(Post.case_id == case_id)))
    if not posts:
        return "new"
    went_out = session.scalar(
        select(Delivery.id)
        .join(Post, Post.id == Delivery.post_id)
        .where(Post.case_id == case_id, Delivery.state.in_(COUNTED_STATES))
        .limit(1)
    )
    if went_out is not None:
        return "after_publication"
    live = [p for p in posts if p.review_state != "withdrawn"]
    if live and all(p.review_state == "rejected" for p in live):
        return "resubmission"
    return "before_publication"


def record_material(
    session: Session,
    case_id: int,
    follow_up: FollowUp,
    phase: Phase,
    *,
    actor: str,
    channel: str,
    media: int,
    note: bool,
) -> Phase:
    """Act on material just stored in ``follow_up`` for a case in ``phase``; returns the phase
    that applied (``after_publication`` when a delivery started meanwhile). The caller commits."""
    if phase == "new":
        return phase
    what = _describe(media, note, channel)
    if phase == "resubmission" and _request_redraft(
        session, case_id, f"Tindak lanjut baru menggantikan yang ditolak: {what}"
    ):
        # Only once the posts went back to drafting: a case that went out meanwhile keeps its
        # follow-ups, and this one is kept aside below.
        replaced = sending.rowcount(
            session.execute(
                update(FollowUp)
                .where(
                    FollowUp.case_id == case_id,
                    FollowUp.id != follow_up.id,
                    FollowUp.replaced_by_id.is_(None),
                )
                .values(replaced_by_id=follow_up.id)
                .execution_options(synchronize_session=False)
            )
        )
        audit.record(
            session,
            actor=actor,
            action="follow_up.resubmitted",
            object_type="follow_up",
            object_id=follow_up.id,
            case_id=case_id,
            replaced=replaced,
            media=media,
            channel=channel,
        )
        return phase
    elif phase == "before_publication" and _request_redraft(
        session, case_id, f"Material baru dari PIC: {what}"
    ):
        audit.record(
            session,
            actor=actor,
            action="follow_up.late_material",
            object_type="follow_up",
            object_id=follow_up.id,
            case_id=case_id,
            media=media,
            note=note,
            channel=channel,
        )
        return phase
    drafted_since = session.scalar(select(func.min(Post.created_at)).where(Post.case_id == case_id))
    # A follow-up the published posts were drafted from stays theirs (an album photo joining it
    # just as a delivery started is kept with it, and audited below); a new one is kept aside.
    if drafted_since is None or follow_up.submitted_at >= drafted_since:
        follow_up.after_publication = True
    audit.record(
        session,
        actor=actor,
        action="follow_up.after_publication",
        object_type="follow_up",
        object_id=follow_up.id,
        case_id=case_id,
        media=media,
        note=note,
        channel=channel,
    )
    return "after_publication"


def _describe(media: int, note: bool, channel: str) -> str:
    parts = [f"{media} foto/video"] if media else []
    if note:
        parts.append("keterangan baru")
    return (" dan ".join(parts) or "tanpa berkas") + f" (lewat {channel})."


def _request_redraft(session: Session, case_id: int, change: str) -> bool:
    """Send the case's unpublished posts back to drafting; False if one of them went out
    meanwhile (its delivery was claimed), in which case nothing is changed."""
    with session.begin_nested() as savepoint:
        posts = list(
            session.scalars(
                select(Post).where(Post.case_id == case_id, Post.review_state.in_(REDRAFTABLE))
            )
        )
        post_ids = [p.id for p in posts]
        deliveries = list(session.scalars(select(Delivery).where(Delivery.post_id.in_(post_ids))))
        unsent = [d.id for d in deliveries if d.state == "pending"]
        # One conditional update: a worker that claimed a row since we read it leaves it
        # untouched, the count falls short, and the material is kept for a follow-up post.
        cancelled = sending.move(session, DELIVERIES, unsent, ("pending",), state="cancelled")
        if cancelled != len(unsent) or any(
            d.state not in ("pending", "cancelled") for d in deliveries
        ):
            savepoint.rollback()
            return False
        now = utcnow()
        for post in posts:
            changes = f"{post.changes}\n{change}".strip()[-MAX_CHANGES_CHARS:]
            session.execute(
                update(Post)
                .where(Post.id == post.id, Post.review_state == post.review_state)
                .values(
                    redraft_requested_at=now,
                    changes=changes,
                    # Stays blocked if blocked; anything else waits for review again.
                    review_state="blocked" if post.review_state == "blocked" else "pending_review",
                    reviewer_id=None,
                    reviewed_at=None,
                    scheduled_for=None,
                )
                .execution_options(synchronize_session=False)
            )
            session.expire(post)
    return bool(posts)
