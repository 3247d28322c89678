"""Draft one post per screened case and target account (the agency's connected accounts)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from publisher.core.crypto import Vault
from publisher.db import audit
from publisher.db.models import Agency, Case, FollowUp, Media, Post, Screening, SocialAccount
from publisher.media import BannerText, MediaStore, before_after_collage, render_for_platform
from publisher.media.likeness import looks_like, stored_fingerprints
from publisher.media.text import blur_text_in_photo
from publisher.platforms.registry import get_spec
from publisher.posts.captions import (
    CaptionContext,
    CaptionRenderer,
    caption_context,
    default_renderer,
    media_kind,
    official_contact_allowances,
)
from publisher.posts.fitting import fit
from publisher.posts.overrides import overrides_for_agency
from publisher.privacy.guard import case_identities, default_detector


@dataclass
class DraftCounts:
    drafted: int = 0
    blocked: int = 0
    skipped_rahasia: int = 0
    waiting_for_media: int = 0
    no_accounts: int = 0
    redrafted: int = 0
    photos_text_read: int = 0


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
    private_store: MediaStore | None = None,
    tracking_url: Callable[[Case], str] | None = None,
    whatsapp: str = "",
    app_url: str = "",
) -> DraftCounts:
    """Draft the posts of screened cases, and re-draft in place the posts whose case got new
    material before publication (``Post.redraft_requested_at``, issue 20). With ``store``, each
    post carries renditions made for its platform, and photos whose text was never read are
    read first (:func:`read_text_in_photos`); without it, the sanitised originals (for tests of
    captions alone)."""
    counts = DraftCounts()
    drafter = _Drafter(
        session, vault, tz, default_renderer(instagram_hashtag_cap), store, private_store
    )
    # Where to complain (the agency hotline and the app), placed by the caption templates.
    drafter.whatsapp, drafter.app_url = whatsapp, app_url
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
        material = drafter.material(case, counts, tracking_url)
        if material is None:
            continue
        screening, kind, context, banner, media = material
        overrides = overrides_for_agency(session, material_agency(case).id)
        state = "blocked" if screening.decision == "block" else "pending_review"
        for account in session.scalars(
            select(SocialAccount).where(SocialAccount.agency_id == case.agency_id)
        ):
            caption = drafter.renderer.render(
                account.platform, context, override=overrides.get((account.platform, kind))
            )
            post = Post(
                case_id=case.id,
                account_id=account.id,
                screening_id=screening.id,
                caption=caption,
                pii_allowed=official_contact_allowances(caption, context),
                media=drafter.media_for(media, account.platform, banner),
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
    _redraft(session, drafter, counts, limit, tracking_url)
    return counts


def material_agency(case: Case) -> Agency:
    assert case.agency is not None  # material() returned None otherwise
    return case.agency


def _redraft(
    session: Session,
    drafter: _Drafter,
    counts: DraftCounts,
    limit: int,
    tracking_url: Callable[[Case], str] | None,
) -> None:
    """Posts whose case got new material before publication: caption and media made again
    from the case's active follow-ups, back to review with what changed kept for the reviewer.
    Each post is updated only if no newer request arrived meanwhile (a conditional update)."""
    posts = session.scalars(
        select(Post)
        .where(Post.redraft_requested_at.is_not(None))
        .order_by(Post.case_id, Post.id)
        .limit(limit)
    ).all()
    by_case: dict[int, list[Post]] = {}
    for post in posts:
        by_case.setdefault(post.case_id, []).append(post)
    for case_posts in by_case.values():
        case = case_posts[0].case
        if case.privacy_mode == "rahasia":
            counts.skipped_rahasia += 1
            continue
        material = drafter.material(case, counts, tracking_url)
        if material is None:
            continue
        screening, kind, context, banner, media = material
        overrides = overrides_for_agency(session, material_agency(case).id)
        state = "blocked" if screening.decision == "block" else "pending_review"
        for post in case_posts:
            platform = post.account.platform
            caption = drafter.renderer.render(
                platform, context, override=overrides.get((platform, kind))
            )
            updated = cast(
                CursorResult[Any],
                session.execute(
                    update(Post)
                    .where(
                        Post.id == post.id, Post.redraft_requested_at == post.redraft_requested_at
                    )
                    .values(
                        caption=caption,
                        pii_allowed=official_contact_allowances(caption, context),
                        media=drafter.media_for(media, platform, banner),
                        screening_id=screening.id,
                        review_state=state,
                        reviewer_id=None,
                        reviewed_at=None,
                        scheduled_for=None,
                        redraft_requested_at=None,
                    )
                    .execution_options(synchronize_session=False)
                ),
            ).rowcount
            if updated != 1:
                continue  # newer material arrived meanwhile: the next run drafts it
            session.expire(post)
            audit.record(
                session,
                actor="system",
                action="post.redrafted",
                object_type="post",
                object_id=post.id,
                state=state,
                media=len(media),
            )
            counts.redrafted += 1


class _Drafter:
    """What drafting and re-drafting share: the case's material, rendered per platform."""

    def __init__(
        self,
        session: Session,
        vault: Vault,
        tz: ZoneInfo,
        renderer: CaptionRenderer,
        store: MediaStore | None,
        private_store: MediaStore | None = None,
    ) -> None:
        self.session, self.vault, self.tz = session, vault, tz
        self.renderer, self.store, self.private_store = renderer, store, private_store
        self.whatsapp, self.app_url = "", ""

    def material(
        self, case: Case, counts: DraftCounts, tracking_url: Callable[[Case], str] | None
    ) -> tuple[Screening, str, CaptionContext, BannerText, list[dict[str, Any]]] | None:
        """The case's screening, media kind, caption context, banner and publishable media;
        None (counted) while a file is still downloading or no account would take it."""
        active = case.active_follow_ups
        follow_up = case.current_follow_up
        if follow_up is None:
            return None
        if any(m.state == "pending" for f in active for m in f.media):
            counts.waiting_for_media += 1
            return None
        has_accounts = self.session.scalar(
            select(SocialAccount.id).where(SocialAccount.agency_id == case.agency_id).limit(1)
        )
        if has_accounts is None or case.agency is None:
            counts.no_accounts += 1
            return None
        screening = _latest_screening(self.session, case.id)
        assert screening is not None
        if self.store is not None:
            counts.photos_text_read += read_text_in_photos(
                self.session, self.store, self.private_store, [m for f in active for m in f.media]
            )
        known = case_identities(case, self.vault)
        # What the PIC's note carried, as kinds and offsets, for the reviewer to see
        # highlighted; the caption itself gets the note already scrubbed.
        screening.pii_findings = [
            {"kind": f.kind, "start": f.start, "end": f.end}
            for f in default_detector().detect(follow_up.action_text, known)
        ]
        media = publishable_media(
            [m for f in active for m in f.media],
            store=self.store,
            reporter=reporter_media(case.follow_ups),
        )
        kind = media_kind(media)
        context = caption_context(
            case,
            case.agency,
            follow_up,
            self.tz,
            known=known,
            kind=kind,
            tracking_url=tracking_url(case) if tracking_url else "",
            whatsapp=self.whatsapp,
            app_url=self.app_url,
        )
        when = (case.resolved_at or follow_up.submitted_at).astimezone(self.tz).date()
        return screening, kind, context, BannerText(case.agency.name, when), media

    def media_for(
        self, media: list[dict[str, Any]], platform: str, banner: BannerText
    ) -> list[dict[str, Any]]:
        # Where the platform cannot take them all (photos and a video on Facebook or X), the
        # first item's kind goes out and the rest wait, marked, for the reviewer to reorder
        # (publisher/posts/fitting.py).
        made = media if self.store is None else renditions(self.store, media, platform, banner)
        return fit(made, get_spec(platform).media)


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
        [p for m in reporter for p in stored_fingerprints(store, m.sha256, _suffix(m))]
        if store is not None
        else []
    )

    def theirs(m: Media) -> bool:
        return (
            bool(known)
            and store is not None
            and looks_like(stored_fingerprints(store, m.sha256, _suffix(m)), known)
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


def read_text_in_photos(
    session: Session,
    store: MediaStore,
    private_store: MediaStore | None,
    media: Iterable[Media],
) -> int:
    """Blur the personal data and plates written in photos whose text was never read (uploads
    through the web form, which skip OCR to answer quickly; rows from before issue 22). The
    blurred copy replaces the stored one; an unblurred-faces copy in the private store gets the
    same text blurred, so showing faces never shows the text. Returns how many were read."""
    read = 0
    for m in media:
        if m.kind != "photo" or m.state != "ok" or m.text_regions is not None:
            continue
        if not m.sha256 or not store.exists(m.sha256, ".jpg"):
            continue
        blurred, regions = blur_text_in_photo(store.read(m.sha256, ".jpg"))
        values: dict[str, Any] = {"text_regions": [r.as_dict() for r in regions]}
        if regions:
            values.update(sha256=store.put(blurred, ".jpg"), size_bytes=len(blurred))
            if m.unblurred_sha256 and private_store is not None:
                shown, _ = blur_text_in_photo(private_store.read(m.unblurred_sha256, ".jpg"))
                values["unblurred_sha256"] = private_store.put(shown, ".jpg")
            elif m.unblurred_sha256:
                values["unblurred_sha256"] = ""  # cannot fix it here: never show it instead
        # Conditional: a concurrent pass that read it first wins, and its result stands.
        session.execute(
            update(Media).where(Media.id == m.id, Media.text_regions.is_(None)).values(**values)
        )
        session.refresh(m)
        read += 1
    return read
