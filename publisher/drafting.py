"""Draft one post per screened case and target account (the agency's connected accounts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher import audit
from publisher.crypto import Vault
from publisher.db.models import Case, Media, Post, Screening, SocialAccount
from publisher.posts.overrides import overrides_for_agency
from publisher.privacy.guard import case_identities, default_detector
from publisher.rendering import caption_context, default_renderer, media_kind


@dataclass
class DraftCounts:
    drafted: int = 0
    blocked: int = 0
    skipped_rahasia: int = 0
    waiting_for_media: int = 0
    no_accounts: int = 0


def _latest_screening(session: Session, case_id: int) -> Screening | None:
    return session.scalar(
        select(Screening).where(Screening.case_id == case_id).order_by(Screening.id.desc())
    )


def draft_posts(
    session: Session,
    vault: Vault,
    tz: ZoneInfo,
    *,
    limit: int = 500,
    instagram_hashtag_cap: int | None = None,
    tracking_url: Callable[[Case], str] | None = None,
) -> DraftCounts:
    counts = DraftCounts()
    renderer = default_renderer(instagram_hashtag_cap)
    cases = session.scalars(
        select(Case)
        .where(Case.id.in_(select(Screening.case_id)), Case.id.not_in(select(Post.case_id)))
        .order_by(Case.id)
        .limit(limit)
    ).all()
    for case in cases:
        if case.privacy_mode == "rahasia":
            counts.skipped_rahasia += 1
            continue
        follow_up = case.follow_ups[-1]
        if any(m.state == "pending" for m in follow_up.media):
            counts.waiting_for_media += 1
            continue
        accounts = session.scalars(
            select(SocialAccount).where(SocialAccount.agency_id == case.agency_id)
        ).all()
        if not accounts or case.agency is None:
            counts.no_accounts += 1
            continue
        screening = _latest_screening(session, case.id)
        assert screening is not None
        known = case_identities(case, vault)
        # What the PIC's note carried, as kinds and offsets, for the reviewer to see highlighted;
        # the caption itself gets the note already scrubbed.
        screening.pii_findings = [
            {"kind": f.kind, "start": f.start, "end": f.end}
            for f in default_detector().detect(follow_up.action_text, known)
        ]
        media = publishable_media(follow_up.media)
        kind = media_kind(media)
        context = caption_context(
            case,
            case.agency,
            follow_up,
            tz,
            known=known,
            kind=kind,
            tracking_url=tracking_url(case) if tracking_url else "",
        )
        overrides = overrides_for_agency(session, case.agency.id)
        state = "blocked" if screening.decision == "block" else "pending_review"
        for account in accounts:
            post = Post(
                case_id=case.id,
                account_id=account.id,
                screening_id=screening.id,
                caption=renderer.render(
                    account.platform, context, override=overrides.get((account.platform, kind))
                ),
                media=media,
                risk_score=screening.score if screening.score is not None else 1.0,
                review_state=state,
            )
            session.add(post)
            session.flush()
            audit.record(
                session,
                actor="system",
                action="post.drafted",
                object_type="post",
                object_id=post.id,
                state=state,
                screening=screening.decision,
            )
            counts.drafted += 1
            counts.blocked += state == "blocked"
    return counts


def publishable_media(media: list[Media]) -> list[dict[str, Any]]:
    """Only the PIC's own accepted photos and videos; the reporter's are never used by default."""
    return [
        {
            "sha256": m.sha256,
            "kind": m.kind,
            "mime": m.mime,
            "phase": m.phase,
            "suffix": ".mp4" if m.kind == "video" else ".jpg",
        }
        for m in media
        if m.state == "ok" and m.supplied_by == "pic" and not m.held_for_review
    ]
