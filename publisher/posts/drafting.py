"""Draft one post per screened case and target account (the agency's connected accounts)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.core.crypto import Vault
from publisher.db import audit
from publisher.db.models import Case, FollowUp, Media, Post, Screening, SocialAccount
from publisher.media import BannerText, MediaStore, before_after_collage, render_for_platform
from publisher.media.likeness import fingerprints, looks_like
from publisher.platforms.registry import get_spec
from publisher.posts.captions import (
    caption_context,
    default_renderer,
    media_kind,
    official_contact_allowances,
)
from publisher.posts.overrides import overrides_for_agency
from publisher.privacy.guard import case_identities, default_detector


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
    store: MediaStore | None = None,
    tracking_url: Callable[[Case], str] | None = None,
    whatsapp: str = "",
    app_url: str = "",
) -> DraftCounts:
    """Draft the posts of screened cases. With ``store``, each post carries renditions made for
    its platform; without it, the sanitised originals (for tests of captions alone)."""
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
        media = publishable_media(
            follow_up.media, store=store, reporter=reporter_media(case.follow_ups)
        )
        kind = media_kind(media)
        context = caption_context(
            case,
            case.agency,
            follow_up,
            tz,
            known=known,
            kind=kind,
            tracking_url=tracking_url(case) if tracking_url else "",
            whatsapp=whatsapp,
            app_url=app_url,
        )
        when = (case.resolved_at or follow_up.submitted_at).astimezone(tz).date()
        overrides = overrides_for_agency(session, case.agency.id)
        state = "blocked" if screening.decision == "block" else "pending_review"
        for account in accounts:
            caption = renderer.render(
                account.platform, context, override=overrides.get((account.platform, kind))
            )
            post = Post(
                case_id=case.id,
                account_id=account.id,
                screening_id=screening.id,
                caption=caption,
                pii_allowed=official_contact_allowances(caption, context),
                media=(
                    renditions(store, media, account.platform, BannerText(case.agency.name, when))
                    if store is not None
                    else media
                ),
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


def renditions(
    store: MediaStore, media: list[dict[str, Any]], platform: str, banner: BannerText
) -> list[dict[str, Any]]:
    """What this platform gets: each photo fitted to its rules (crop or pad, never distorted),
    and, when the PIC marked photos before and after, a branded collage of the pair first.
    Videos were made to fit at intake; they pass as they are."""
    limits = get_spec(platform).media
    out: list[dict[str, Any]] = []
    photos = [m for m in media if m["kind"] == "photo"]
    before = next((m for m in photos if m.get("phase") == "before"), None)
    after = next((m for m in photos if m.get("phase") == "after"), None)
    if before is not None and after is not None:
        collage = before_after_collage(
            store.read(before["sha256"], ".jpg"),
            store.read(after["sha256"], ".jpg"),
            banner,
            max_bytes=limits.photo_max_bytes,
        )
        out.append(_photo_entry(store, collage, "before_after"))
    for m in media:
        if m["kind"] != "photo":
            out.append(m)
            continue
        fitted = render_for_platform(store.read(m["sha256"], ".jpg"), limits)
        out.append(_photo_entry(store, fitted, str(m.get("phase") or "")))
    return out


def _photo_entry(store: MediaStore, data: bytes, phase: str) -> dict[str, Any]:
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    return {
        "sha256": store.put(data, ".jpg"),
        "kind": "photo",
        "mime": "image/jpeg",
        "phase": phase,
        "suffix": ".jpg",
        "size_bytes": len(data),
        "width": width,
        "height": height,
    }


def _suffix(media: Media) -> str:
    return ".mp4" if media.kind == "video" else ".jpg"


def reporter_media(follow_ups: Iterable[FollowUp]) -> list[Media]:
    """Every upload of the case that the reporter supplied, in any follow-up and any state."""
    return [m for f in follow_ups for m in f.media if m.supplied_by != "pic" and m.sha256]


def publishable_media(
    media: list[Media], *, store: MediaStore | None = None, reporter: Iterable[Media] = ()
) -> list[dict[str, Any]]:
    """Only the PIC's own accepted photos and videos; the reporter's are never used by default.
    With ``store``, a PIC upload that shows one of ``reporter``'s pictures (the same photo
    re-attached as "before", re-encoded, resized) is left out too: a reviewer may still include
    the reporter's own upload, with a reason."""
    known = (
        [p for m in reporter for p in fingerprints(store.path(m.sha256, _suffix(m)))]
        if store is not None
        else []
    )

    def theirs(m: Media) -> bool:
        return (
            bool(known)
            and store is not None
            and looks_like(fingerprints(store.path(m.sha256, _suffix(m))), known)
        )

    return [
        {
            "sha256": m.sha256,
            "kind": m.kind,
            "mime": m.mime,
            "phase": m.phase,
            "suffix": _suffix(m),
            "size_bytes": m.size_bytes,
            "width": m.width,
            "height": m.height,
            "duration_s": m.duration_s,
        }
        for m in media
        if m.state == "ok" and m.supplied_by == "pic" and not m.held_for_review and not theirs(m)
    ]
