"""The review queue and the review page of a case.

The queue is sorted by risk (highest first), then age (oldest first), then id, and paged by
keyset: the next page starts *after* the last row's (risk, created_at, id), which the composite
index ``ix_posts_review_queue`` (review_state, risk_score, created_at) serves without counting
the rows before it as OFFSET paging must (``bench/review_queue.py`` compares both).

A case's review page shows, per target account, exactly what will be published (the caption card
lives in ``templates/web/partials/preview_card.html`` so the per-platform previews can replace
it), the conflict score with its reasons, the personal-data findings highlighted in the screened
text, the photos, the delivery states, and the actions: approve (choosing accounts and time),
edit (back to review), reject with a reason, and block release with a written override.

Per post it also shows the personal-data findings still in the caption, highlighted, each with
a "not personal data" form (reason required); the reporter's own photos a reviewer may add with
a reason; and the photos whose faces were blurred, with a reasoned "show the faces" action.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, cast
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import Integer, Select, and_, bindparam, func, or_, select, union_all
from sqlalchemy.orm import Session

from publisher.core.clock import utcnow
from publisher.core.crypto import Vault
from publisher.core.errors import LaporError
from publisher.db import audit
from publisher.db.models import (
    REVIEW_STATES,
    Agency,
    Case,
    Delivery,
    FollowUp,
    Media,
    Post,
    Screening,
    SocialAccount,
    User,
)
from publisher.platforms.registry import UnknownPlatform, get_spec
from publisher.platforms.registry import names as platform_names
from publisher.posts.captions import HASHTAG
from publisher.posts.fitting import going_out
from publisher.posts.preview import build_card, render_card_html
from publisher.privacy.guard import case_identities, placeholders_in, unresolved_findings
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from publisher.screening.screen import screening_text
from publisher.web.auth import BadInput, NotFound, Viewer
from publisher.web.deps import Ctx, Pages, ReviewerOrAdmin, ReviewerOrAdminWrite
from publisher.web.forms import NO_FORM, WHOLE_FORM, FormState, is_refusal, refusal
from publisher.web.scope import get_scoped, scoped_cases, scoped_posts
from publisher.web.templating import PageRenderer

PAGE_SIZE = 50
QUEUE_STATES = {"open": review.REVIEWABLE, **{s: (s,) for s in REVIEW_STATES}}
# Messages shown after an action (the redirect carries the key, not the text).
NOTICES = {
    "approved": "Kiriman disetujui dan masuk antrean kirim.",
    "rejected": "Kiriman ditolak; PIC akan melihat alasannya.",
    "edited": "Keterangan diubah; kiriman kembali menunggu tinjauan.",
    "allowed": "Temuan ditandai bukan data pribadi.",
    "included": "Foto pelapor disertakan pada kiriman.",
    "unblurred": "Wajah pada foto ditampilkan tanpa samaran.",
    "media": "Media kiriman diubah; pemeriksaan pra-terbit dijalankan ulang.",
    "video_released": "Video dilepas ke kiriman dengan wajah disamarkan.",
}
HIGH_RISK = 0.5


@dataclass(frozen=True)
class QueueFilter:
    state: str = "open"
    agency: str = ""
    platform: str = ""

    def states(self) -> tuple[str, ...]:
        if self.state not in QUEUE_STATES:
            raise BadInput(f"unknown state filter {self.state!r}", "Filter status tidak dikenal.")
        return QUEUE_STATES[self.state]


@dataclass(frozen=True)
class Cursor:
    risk: float
    created_at: datetime
    post_id: int

    def encode(self) -> str:
        raw = f"{self.risk!r}|{self.created_at.isoformat()}|{self.post_id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            risk, created, post_id = raw.split("|")
            when = datetime.fromisoformat(created)
            if when.tzinfo is None:
                raise ValueError("naive time")
            return cls(float(risk), when, int(post_id))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise BadInput("malformed queue cursor", "Penanda halaman tidak valid.") from None


@dataclass(frozen=True)
class QueueRow:
    post_id: int
    case_id: int
    tracking_number: str
    agency_code: str
    platform: str
    handle: str
    state: str
    risk: float
    created_at: datetime
    caption_head: str
    agency_name: str = ""
    account_name: str = ""

    @property
    def account_label(self) -> str:
        return f"{platform_label(self.platform)} · {self.account_name or self.handle}"

    @property
    def flagged(self) -> bool:
        """Decided one by one, never in bulk: blocked by the screen or a high conflict score."""
        return self.state == "blocked" or self.risk >= HIGH_RISK


def platform_label(platform: str) -> str:
    try:
        return get_spec(platform).label
    except UnknownPlatform:
        return platform


def account_label(account: SocialAccount) -> str:
    """An account as people know it ("Facebook · Pemkab Tegal"), never "facebook 100003"."""
    return f"{platform_label(account.platform)} · {account.display_name or account.handle}"


def agency_label(agency: Agency | None) -> str:
    return agency.name if agency is not None else "-"


def _queue_query(viewer: Viewer, filt: QueueFilter, states: tuple[str, ...]) -> Select[Any]:
    columns = (
        Post.id,
        Post.case_id,
        Case.tracking_number,
        Agency.code,
        SocialAccount.platform,
        SocialAccount.handle,
        Post.review_state,
        Post.risk_score,
        Post.created_at,
        Post.caption,
        Agency.name,
        SocialAccount.display_name,
    )
    query = cast(
        "Select[Any]",
        scoped_posts(viewer)
        .join(SocialAccount, SocialAccount.id == Post.account_id)
        .join(Agency, Agency.id == SocialAccount.agency_id)
        .with_only_columns(*columns),
    )
    query = query.where(
        Post.review_state == states[0] if len(states) == 1 else Post.review_state.in_(states)
    )
    if filt.agency:
        query = query.where(Agency.code == filt.agency)
    if filt.platform:
        query = query.where(SocialAccount.platform == filt.platform)
    return query.order_by(Post.risk_score.desc(), Post.created_at, Post.id)


def _rows(
    session: Session, query: Select[Any], params: dict[str, Any] | None = None
) -> list[QueueRow]:
    return [
        QueueRow(
            post_id=r[0],
            case_id=r[1],
            tracking_number=r[2],
            agency_code=r[3],
            platform=r[4],
            handle=r[5],
            state=r[6],
            risk=r[7],
            created_at=r[8],
            caption_head=(r[9].splitlines() or [""])[0][:90],
            agency_name=r[10],
            account_name=r[11] or "",
        )
        # Core execution on the session's connection: plain rows, no ORM identity bookkeeping.
        for r in session.connection().execute(query, params or {})
    ]


def _after(query: Select[Any]) -> Select[Any]:
    """Rows after the cursor, with the cursor's values as bind parameters."""
    risk = bindparam("after_risk", type_=Post.risk_score.type)
    created = bindparam("after_created", type_=Post.created_at.type)
    post_id = bindparam("after_id", type_=Post.id.type)
    return query.where(
        # The plain bound on risk lets the index seek; the OR finishes the tie-breaks.
        Post.risk_score <= risk,
        or_(
            Post.risk_score < risk,
            and_(
                Post.risk_score == risk,
                or_(
                    Post.created_at > created,
                    and_(Post.created_at == created, Post.id > post_id),
                ),
            ),
        ),
    )


@lru_cache(maxsize=256)
def _queue_statement(
    role: str, agency_id: int | None, filt: QueueFilter, keyset: bool
) -> Select[Any]:
    """The page query for one filter shape, built once (building a statement costs more than
    SQLite takes to run it). Each state is read on its own, straight off
    ``ix_posts_queue_order`` (review_state, risk DESC, created_at, id), inside one UNION ALL: an
    ``IN`` over two states would make the database sort every open post before the first row."""
    viewer = Viewer(0, "", "", role, agency_id, "", "")
    limit = bindparam("page_rows", type_=Integer)
    parts = []
    for state in filt.states():
        query = _queue_query(viewer, filt, (state,))
        if keyset:
            query = _after(query)
        parts.append(query.limit(limit).subquery())
    if len(parts) == 1:
        return select(parts[0])
    merged = union_all(*[select(part) for part in parts]).subquery()
    return (
        select(merged)
        .order_by(merged.c.risk_score.desc(), merged.c.created_at, merged.c.id)
        .limit(limit)
    )


def queue_page(
    session: Session,
    viewer: Viewer,
    filt: QueueFilter,
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[QueueRow], Cursor | None]:
    """One page of the queue by keyset; returns the rows and the cursor of the next page."""
    statement = _queue_statement(viewer.role, viewer.agency_id, filt, after is not None)
    params: dict[str, Any] = {"page_rows": limit + 1}
    if after is not None:
        params.update(after_risk=after.risk, after_created=after.created_at, after_id=after.post_id)
    rows = _rows(session, statement, params)
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    cursor = Cursor(last.risk, last.created_at, last.post_id) if more and last else None
    return rows, cursor


def queue_page_by_offset(
    session: Session, viewer: Viewer, filt: QueueFilter, offset: int, limit: int = PAGE_SIZE
) -> list[QueueRow]:
    """The naive way (one query over all states, OFFSET), kept for the benchmark."""
    query = _queue_query(viewer, filt, filt.states())
    return _rows(session, query.offset(offset).limit(limit))


def note_findings(text: str, follow_up: FollowUp | None, findings: list[Any]) -> list[Any]:
    """The drafting step stores findings with offsets in the PIC's note alone; the screened
    text is complaint + note, so they move by where the note starts in it. Nothing is drawn
    when the note is no longer the text's tail (edited since): a highlight on the wrong words
    is worse than none."""
    if follow_up is None or not text.endswith(follow_up.action_text):
        return []
    shift = len(text) - len(follow_up.action_text)
    return [
        {**f, "start": f["start"] + shift, "end": f["end"] + shift}
        for f in findings
        if isinstance(f, dict) and isinstance(f.get("start"), int) and isinstance(f.get("end"), int)
    ]


def highlight(text: str, findings: list[Any]) -> list[tuple[str, str]]:
    """Split ``text`` into (segment, kind) pieces; kind is "" outside a finding. Findings that
    overlap, fall outside the text or are malformed are skipped rather than trusted."""
    spans = sorted(
        (int(f["start"]), int(f["end"]), str(f.get("kind", "data")))
        for f in findings
        if isinstance(f, dict)
        and isinstance(f.get("start"), int)
        and isinstance(f.get("end"), int)
        and 0 <= f["start"] < f["end"] <= len(text)
    )
    pieces: list[tuple[str, str]] = []
    pos = 0
    for start, end, kind in spans:
        if start < pos:
            continue
        if start > pos:
            pieces.append((text[pos:start], ""))
        pieces.append((text[start:end], kind))
        pos = end
    if pos < len(text):
        pieces.append((text[pos:], ""))
    return pieces


# Pre-flight checks shown on each card: (problem found?, what the reviewer reads). Data, so a
# new platform rule is one row.
PREFLIGHT: tuple[tuple[Callable[[Post, SocialAccount, Case, Screening | None], bool], str], ...] = (
    (lambda p, a, c, s: a.status != "active", "Akun tujuan sedang dijeda atau perlu disambung."),
    (
        lambda p, a, c, s: len(p.caption) > review.caption_limit(a.platform),
        "Keterangan melebihi batas karakter platform.",
    ),
    (lambda p, a, c, s: HASHTAG not in p.caption, f"Keterangan tidak memuat {HASHTAG}."),
    (
        lambda p, a, c, s: len(going_out(p.media)) < get_spec(a.platform).media.min_items,
        "Platform tujuan wajib memuat foto atau video.",
    ),
    (lambda p, a, c, s: c.privacy_mode == "rahasia", "Laporan rahasia tidak boleh terbit."),
    (
        lambda p, a, c, s: bool(s and s.pii_findings),
        "Masih ada temuan data pribadi; periksa sebelum menyetujui.",
    ),
    (lambda p, a, c, s: bool(placeholders_in(p.caption)), review.PLACEHOLDER_MESSAGE),
    (lambda p, a, c, s: not going_out(p.media), "Tanpa foto: kiriman hanya berupa teks."),
)


def preflight(
    post: Post, account: SocialAccount, case: Case, screening: Screening | None
) -> list[str]:
    return [message for check, message in PREFLIGHT if check(post, account, case, screening)]


@dataclass(frozen=True)
class FindingView:
    """A finding in a caption: kind and offsets (the text is the caption's own slice)."""

    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class PhotoChoice:
    media: Media
    faces: int  # faces blurred in it (0: none)
    in_post: bool  # a rendition of it is among the post's media
    unblurred: bool  # the post already carries it unblurred


@dataclass
class PostView:
    post: Post
    account: SocialAccount
    deliveries: list[Delivery]
    limit: int
    problems: list[str]
    findings: list[FindingView] = field(default_factory=list)
    caption_pieces: list[tuple[str, str]] = field(default_factory=list)
    reporter_photos: list[PhotoChoice] = field(default_factory=list)
    blurred_photos: list[PhotoChoice] = field(default_factory=list)
    # (photo id, kinds of data) for the PIC photos whose written personal data or plates were
    # blurred by OCR (publisher.media.text): the reviewer sees what was blurred and why.
    text_blurred: list[tuple[int, list[str]]] = field(default_factory=list)
    # PIC videos held because faces were seen in them (stored blurred); a reviewer may
    # release one into this post with a reason (review.release_held_video, issue 22).
    held_videos: list[Media] = field(default_factory=list)


@dataclass
class CaseReview:
    case: Case
    agency: Agency | None
    follow_up: FollowUp | None
    screening: Screening | None
    posts: list[PostView]
    screened_text: list[tuple[str, str]]
    submitter: User | None


def caption_findings(post: Post, case: Case, vault: Vault | None) -> list[FindingView]:
    """What the approval check would refuse: findings no reviewer marked a false positive.
    Without ``vault`` the case's names are unknown and only shapes are found."""
    known = case_identities(case, vault) if vault is not None else None
    return [
        FindingView(f.kind, f.start, f.end, post.caption[f.start : f.end])
        for f in unresolved_findings(post.caption, known, post.pii_allowed)
    ]


def photo_choices(post: Post, photos: list[Media]) -> tuple[list[PhotoChoice], list[PhotoChoice]]:
    """The reporter's photos (offered for inclusion) and the blurred photos in the post."""
    by_source = {e.get("source_media_id"): e for e in post.media if isinstance(e, dict)}
    shas = {e.get("sha256") for e in post.media if isinstance(e, dict)}
    reporter, blurred = [], []
    for m in photos:
        entry = by_source.get(m.id)
        # Drafted renditions carry no source: a PIC photo with a rendition is in the post.
        in_post = (
            entry is not None
            or m.sha256 in shas
            or (m.supplied_by == "pic" and not m.held_for_review and bool(shas))
        )
        choice = PhotoChoice(m, len(m.face_boxes), in_post, bool(entry and entry.get("unblurred")))
        if m.supplied_by == "reporter" and entry is None:
            reporter.append(choice)
        if m.face_boxes and m.unblurred_sha256 and in_post:
            blurred.append(choice)
    return reporter, blurred


def case_review(
    session: Session, viewer: Viewer, case_id: int, vault: Vault | None = None
) -> CaseReview:
    case = get_scoped(session, scoped_cases(viewer), Case, case_id)
    rows = list(
        session.execute(
            scoped_posts(viewer)
            .add_columns(SocialAccount)
            .join(SocialAccount, SocialAccount.id == Post.account_id)
            .where(Post.case_id == case.id)
            .order_by(Post.id)
        ).all()
    )
    posts = [(cast(Post, p), cast(SocialAccount, a)) for p, a in rows]
    if not posts:
        raise NotFound(f"case {case_id} has no posts to review")
    deliveries: dict[int, list[Delivery]] = {}
    for delivery in session.scalars(
        select(Delivery).where(Delivery.post_id.in_([p.id for p, _ in posts])).order_by(Delivery.id)
    ):
        deliveries.setdefault(delivery.post_id, []).append(delivery)
    screening = session.scalar(
        select(Screening).where(Screening.case_id == case.id).order_by(Screening.id.desc())
    )
    follow_up = case.current_follow_up
    photos = [
        m
        for f in case.active_follow_ups
        for m in f.media
        if m.kind == "photo" and m.state == "ok" and m.sha256
    ]
    held = [
        m
        for f in case.active_follow_ups
        for m in f.media
        if m.kind == "video"
        and m.state == "ok"
        and m.sha256
        and m.supplied_by == "pic"
        and m.held_for_review
    ]
    text = screening_text(case, follow_up)
    submitter_id = review.submitter_id(session, posts[0][0])
    return CaseReview(
        case=case,
        agency=case.agency,
        follow_up=follow_up,
        screening=screening,
        posts=[
            post_view(p, a, case, screening, deliveries.get(p.id, []), photos, vault, held)
            for p, a in posts
        ],
        screened_text=highlight(
            text, note_findings(text, follow_up, screening.pii_findings if screening else [])
        ),
        submitter=session.get(User, submitter_id) if submitter_id else None,
    )


def post_view(
    post: Post,
    account: SocialAccount,
    case: Case,
    screening: Screening | None,
    deliveries: list[Delivery],
    photos: list[Media],
    vault: Vault | None,
    held_videos: list[Media] | None = None,
) -> PostView:
    findings = caption_findings(post, case, vault)
    reporter, blurred = photo_choices(post, photos)
    problems = preflight(post, account, case, screening)
    return PostView(
        post,
        account,
        deliveries,
        review.caption_limit(account.platform),
        problems,
        findings,
        highlight(
            post.caption, [{"kind": f.kind, "start": f.start, "end": f.end} for f in findings]
        ),
        reporter,
        blurred,
        text_blurred(photos),
        list(held_videos or []),
    )


def text_blurred(photos: list[Media]) -> list[tuple[int, list[str]]]:
    return [
        (m.id, sorted({str(r.get("kind", "")) for r in m.text_regions if isinstance(r, dict)}))
        for m in photos
        if m.supplied_by == "pic" and m.text_regions
    ]


def allow_finding(
    session: Session, viewer: Viewer, post_id: int, *, start: int, end: int, kind: str, reason: str
) -> Post:
    get_scoped(session, scoped_posts(viewer), Post, post_id)
    return review.allow_finding(
        session,
        post_id,
        load_user(session, viewer),
        start=start,
        end=end,
        kind=kind,
        reason=reason.strip(),
    )


def include_reporter_photo(
    ctx: AppContext, session: Session, viewer: Viewer, post_id: int, media_id: int, reason: str
) -> Post:
    get_scoped(session, scoped_posts(viewer), Post, post_id)
    return review.include_reporter_photo(
        session, ctx.media, post_id, media_id, load_user(session, viewer), reason
    )


def publish_unblurred(
    ctx: AppContext, session: Session, viewer: Viewer, post_id: int, media_id: int, reason: str
) -> Post:
    get_scoped(session, scoped_posts(viewer), Post, post_id)
    return review.publish_unblurred(
        session, ctx.private_media, ctx.media, post_id, media_id, load_user(session, viewer), reason
    )


def release_held_video(
    ctx: AppContext, session: Session, viewer: Viewer, post_id: int, media_id: int, reason: str
) -> Post:
    get_scoped(session, scoped_posts(viewer), Post, post_id)
    return review.release_held_video(
        session, ctx.media, post_id, media_id, load_user(session, viewer), reason
    )


def parse_local_time(value: str, tz: ZoneInfo) -> datetime | None:
    """A ``datetime-local`` form value, read as Asia/Jakarta time; empty means "now"."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(
            "bad schedule time", "Waktu jadwal tidak valid.", field="scheduled_for"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    if moment < utcnow():
        raise BadInput(
            "schedule time in the past", "Waktu jadwal sudah lewat.", field="scheduled_for"
        )
    return moment


def load_user(session: Session, viewer: Viewer) -> User:
    user = session.get(User, viewer.user_id)
    if user is None:
        raise NotFound("user vanished")
    return user


def approve_posts(
    session: Session,
    viewer: Viewer,
    post_ids: list[int],
    *,
    override_reason: str = "",
    manual_screening_note: str = "",
    scheduled_for: datetime | None = None,
    vault: Vault | None = None,
) -> list[Post]:
    """Approve several posts (one per chosen account) in the caller's transaction."""
    if not post_ids:
        raise BadInput("no post chosen", "Pilih minimal satu akun tujuan.", field="post_ids")
    user = load_user(session, viewer)
    approved = []
    for post_id in post_ids:
        get_scoped(session, scoped_posts(viewer), Post, post_id)
        approved.append(
            review.approve(
                session,
                post_id,
                user,
                override_reason=override_reason.strip(),
                manual_screening_note=manual_screening_note.strip(),
                scheduled_for=scheduled_for,
                vault=vault,
            )
        )
    return approved


def reject_posts(
    session: Session,
    viewer: Viewer,
    post_ids: list[int],
    reason: str,
    *,
    as_conflict: bool = False,
    vault: Vault | None = None,
) -> None:
    if not post_ids:
        raise BadInput("no post chosen", "Pilih minimal satu akun tujuan.")
    user = load_user(session, viewer)
    for post_id in post_ids:
        get_scoped(session, scoped_posts(viewer), Post, post_id)
        review.reject(
            session,
            post_id,
            user,
            reason=reason.strip(),
            as_conflict=as_conflict,
            vault=vault,
        )


def edit_post(session: Session, viewer: Viewer, post_id: int, caption: str) -> Post:
    get_scoped(session, scoped_posts(viewer), Post, post_id)
    return review.edit(session, post_id, load_user(session, viewer), caption=caption)


def platform_card(post: Post, account: SocialAccount) -> Markup:
    """The post as its platform will show it (``partials/preview_card.html``), photos served by
    the app's own authenticated media route."""
    card = build_card(
        post.caption,
        post.media,
        account.platform,
        post_id=post.id,
        account_name=account.display_name or account.handle,
        handle=account.handle,
        media_url=lambda m: f"/media/{m['sha256']}",
    )
    return Markup(render_card_html(card))


router = APIRouter(include_in_schema=False)


@router.get("/review")
def queue_view(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    user: ReviewerOrAdmin,
    state: str = "open",
    agency: str = "",
    platform: str = "",
    after: str = "",
    partial: bool = False,
) -> Response:
    filt = QueueFilter(state=state, agency=agency, platform=platform)
    try:
        filt.states()
    except BadInput as exc:
        # An unknown filter (an old link, a typo) shows the open queue with the message at
        # the status field, not a dead end.
        refused = refusal(exc, "filter", {"state": state}, default_field="state")
        return queue_page_response(ctx, pages, request, user, QueueFilter(), form=refused)
    cursor = Cursor.decode(after) if after else None
    return queue_page_response(ctx, pages, request, user, filt, cursor, partial=partial)


def queue_page_response(
    ctx: AppContext,
    pages: PageRenderer,
    request: Request,
    user: Viewer,
    filt: QueueFilter,
    cursor: Cursor | None = None,
    *,
    partial: bool = False,
    form: FormState = NO_FORM,
    outcome: BulkOutcome | None = None,
) -> Response:
    with ctx.readonly_sessions() as session:
        rows, next_cursor = queue_page(session, user, filt, cursor)
        agencies = (
            []
            if partial
            else [
                tuple(a)
                for a in session.execute(select(Agency.code, Agency.name).order_by(Agency.name))
            ]
        )
    return pages.render(
        request,
        "review/rows.html" if partial else "review/queue.html",
        form.status,
        rows=rows,
        next_cursor=next_cursor.encode() if next_cursor else "",
        filt=filt,
        agencies=agencies,
        platforms=[(p, platform_label(p)) for p in platform_names()],
        states=list(QUEUE_STATES),
        high_risk=HIGH_RISK,
        form=form,
        outcome=outcome,
    )


@router.get("/review/cases/{case_id}")
def case_view(
    ctx: Ctx, pages: Pages, request: Request, case_id: int, user: ReviewerOrAdmin
) -> Response:
    return case_page(ctx, pages, request, user, case_id)


def case_page(
    ctx: AppContext,
    pages: PageRenderer,
    request: Request,
    user: Viewer,
    case_id: int,
    form: FormState = NO_FORM,
) -> Response:
    """The case's review page; with ``form``, a refused submission shown where it was typed."""
    # Rendered inside the session: the page walks the follow-up's media relationship.
    with ctx.readonly_sessions() as session:
        view = case_review(session, user, case_id, ctx.vault)
        return pages.render(
            request,
            "review/case.html",
            form.status,
            view=view,
            form=form,
            reviewable=review.REVIEWABLE,
            editable=review.EDITABLE,
            flash=NOTICES.get(request.query_params.get("pesan", ""), ""),
            high_risk=HIGH_RISK,
            personal_data_message=review.PERSONAL_DATA_MESSAGE,
            platform_card=platform_card,
            account_label=account_label,
            agency_label=agency_label,
        )


def back(case_id: int, notice: str) -> Response:
    return RedirectResponse(f"/review/cases/{case_id}?pesan={notice}", status_code=303)


def _case_of_post(ctx: AppContext, user: Viewer, post_id: int) -> int:
    with ctx.readonly_sessions() as session:
        return get_scoped(session, scoped_posts(user), Post, post_id).case_id


def _refused_on_case(
    ctx: AppContext,
    pages: PageRenderer,
    request: Request,
    user: Viewer,
    case_id: int,
    state: FormState,
) -> Response:
    return case_page(ctx, pages, request, user, case_id, state)


@router.post("/review/cases/{case_id}/approve")
def approve_view(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    case_id: int,
    user: ReviewerOrAdminWrite,
    post_ids: Annotated[list[int] | None, Form()] = None,
    scheduled_for: Annotated[str, Form(max_length=40)] = "",
    override_reason: Annotated[str, Form(max_length=2000)] = "",
    manual_screening_note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    typed = {
        "post_ids": [str(i) for i in post_ids or []],
        "scheduled_for": scheduled_for,
        "override_reason": override_reason,
        "manual_screening_note": manual_screening_note,
    }
    try:
        when = parse_local_time(scheduled_for, ctx.settings.tz)
        with ctx.sessions() as session, session.begin():
            get_scoped(session, scoped_cases(user), Case, case_id)
            chosen = _of_case(session, case_id, post_ids or [])
            approve_posts(
                session,
                user,
                chosen,
                override_reason=override_reason,
                manual_screening_note=manual_screening_note,
                scheduled_for=when,
                vault=ctx.vault,
            )
    except LaporError as exc:
        if not is_refusal(exc):
            raise
        state = refusal(exc, "approve", typed)
        return _refused_on_case(ctx, pages, request, user, case_id, state)
    return back(case_id, "approved")


@router.post("/review/cases/{case_id}/reject")
def reject_view(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    case_id: int,
    user: ReviewerOrAdminWrite,
    reason: Annotated[str, Form(max_length=2000)] = "",
    post_ids: Annotated[list[int] | None, Form()] = None,
    as_conflict: Annotated[bool, Form()] = False,
) -> Response:
    try:
        with ctx.sessions() as session, session.begin():
            get_scoped(session, scoped_cases(user), Case, case_id)
            chosen = _of_case(session, case_id, post_ids or [])
            reject_posts(session, user, chosen, reason, as_conflict=as_conflict, vault=ctx.vault)
    except LaporError as exc:
        if not is_refusal(exc):
            raise
        typed = {"reason": reason, "as_conflict": as_conflict}
        state = refusal(exc, "reject", typed, default_field="reason")
        return _refused_on_case(ctx, pages, request, user, case_id, state)
    return back(case_id, "rejected")


@router.post("/review/posts/{post_id}/edit")
def edit_view(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    post_id: int,
    user: ReviewerOrAdminWrite,
    caption: Annotated[str, Form(max_length=70000)] = "",
) -> Response:
    return _on_post(
        ctx,
        pages,
        request,
        user,
        post_id,
        lambda session: edit_post(session, user, post_id, caption),
        refused=(f"edit-{post_id}", {"caption": caption}, "caption"),
        done="edited",
    )


@router.post("/review/posts/{post_id}/media")
def arrange_media_view(
    ctx: Ctx,
    post_id: int,
    user: ReviewerOrAdminWrite,
    change: Annotated[str, Form(max_length=10)] = "",
    index: Annotated[int, Form(ge=0, le=100)] = 0,
    version: Annotated[int, Form(ge=0)] = 0,
) -> Response:
    """Move a media item up or down, or remove it (``templates/web/review/_media.html``)."""
    with ctx.sessions() as session, session.begin():
        get_scoped(session, scoped_posts(user), Post, post_id)
        post, _problems = review.arrange_media(
            session, post_id, load_user(session, user), change=change, index=index, version=version
        )
        case_id = post.case_id
    return back(case_id, "media")


@router.post("/review/posts/{post_id}/findings/allow")
def allow_finding_view(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    post_id: int,
    user: ReviewerOrAdminWrite,
    start: Annotated[int, Form(ge=0)] = 0,
    end: Annotated[int, Form(ge=0)] = 0,
    kind: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _on_post(
        ctx,
        pages,
        request,
        user,
        post_id,
        lambda session: allow_finding(
            session, user, post_id, start=start, end=end, kind=kind, reason=reason
        ),
        refused=(f"allow-{post_id}-{start}", {"reason": reason}, WHOLE_FORM),
        done="allowed",
    )


@router.post("/review/posts/{post_id}/reporter-photos")
def include_view(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    post_id: int,
    user: ReviewerOrAdminWrite,
    media_id: Annotated[int, Form(ge=0)] = 0,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _on_post(
        ctx,
        pages,
        request,
        user,
        post_id,
        lambda session: include_reporter_photo(ctx, session, user, post_id, media_id, reason),
        refused=(f"include-{post_id}-{media_id}", {"reason": reason}, WHOLE_FORM),
        done="included",
    )


@router.post("/review/posts/{post_id}/held-videos")
def release_video_view(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    post_id: int,
    user: ReviewerOrAdminWrite,
    media_id: Annotated[int, Form(ge=0)] = 0,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The review page's release button: the API's service function, the API's audit."""
    return _on_post(
        ctx,
        pages,
        request,
        user,
        post_id,
        lambda session: release_held_video(ctx, session, user, post_id, media_id, reason),
        refused=(f"release-{post_id}-{media_id}", {"reason": reason}, WHOLE_FORM),
        done="video_released",
    )


@router.post("/review/posts/{post_id}/unblur")
def unblur_view(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    post_id: int,
    user: ReviewerOrAdminWrite,
    media_id: Annotated[int, Form(ge=0)] = 0,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _on_post(
        ctx,
        pages,
        request,
        user,
        post_id,
        lambda session: publish_unblurred(ctx, session, user, post_id, media_id, reason),
        refused=(f"unblur-{post_id}-{media_id}", {"reason": reason}, WHOLE_FORM),
        done="unblurred",
    )


def _on_post(
    ctx: AppContext,
    pages: PageRenderer,
    request: Request,
    user: Viewer,
    post_id: int,
    act: Callable[[Session], Post],
    *,
    refused: tuple[str, dict[str, object], str],
    done: str,
) -> Response:
    """One reviewer action on one post, in its own transaction, then back to its case page
    (``done`` names what happened). A refusal shows the case page again with the form
    ``refused`` names (its key, what was typed, the field for an error that names none)."""
    try:
        with ctx.sessions() as session, session.begin():
            case_id = act(session).case_id
    except LaporError as exc:
        if not is_refusal(exc):
            raise
        key, typed, default_field = refused
        state = refusal(exc, key, typed, default_field=default_field)
        case_id = _case_of_post(ctx, user, post_id)
        return _refused_on_case(ctx, pages, request, user, case_id, state)
    return back(case_id, done)


def _of_case(session: Session, case_id: int, post_ids: list[int]) -> list[int]:
    """Only ids that belong to the case in the URL (a form cannot act on another case)."""
    own = set(session.scalars(select(Post.id).where(Post.case_id == case_id)))
    return [pid for pid in post_ids if pid in own]


# --- bulk approval ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkOutcome:
    approved: list[QueueRow]
    refused: list[tuple[QueueRow | None, str]]  # the row (None: not found) and why


def bulk_approve(ctx: AppContext, viewer: Viewer, post_ids: list[int]) -> BulkOutcome:
    """Approve the chosen unflagged posts, each in its own transaction with the checks of a
    single approval (a conditional update, audited): one refusal never undoes the others.
    Blocked and high-risk posts are refused here: they are decided one by one on their page."""
    approved: list[QueueRow] = []
    refused: list[tuple[QueueRow | None, str]] = []
    for post_id in dict.fromkeys(post_ids):  # once each, in the order chosen
        with ctx.readonly_sessions() as session:
            row = _queue_row(session, viewer, post_id)
        if row is None:
            refused.append((None, "Kiriman tidak ditemukan."))
            continue
        if row.flagged:
            refused.append((row, "Diblokir atau berisiko tinggi: putuskan satu per satu."))
            continue
        try:
            with ctx.sessions() as session, session.begin():
                approve_posts(session, viewer, [post_id], vault=ctx.vault)
        except LaporError as exc:
            if not is_refusal(exc):
                raise
            refused.append((row, exc.user_message))
            continue
        approved.append(row)
    if approved or refused:
        with ctx.sessions() as session, session.begin():
            audit.record(
                session,
                actor=viewer.actor,
                action="review.bulk_approved",
                object_type="post",
                object_id=",".join(str(r.post_id) for r in approved) or "-",
                approved=len(approved),
                refused=len(refused),
            )
    return BulkOutcome(approved, refused)


def _queue_row(session: Session, viewer: Viewer, post_id: int) -> QueueRow | None:
    query = _queue_query(viewer, QueueFilter(), REVIEW_STATES).where(Post.id == post_id)
    rows = _rows(session, query)
    return rows[0] if rows else None


@router.post("/review/bulk-approve")
def bulk_approve_view(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    user: ReviewerOrAdminWrite,
    post_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    if not post_ids:
        state = refusal(
            BadInput(
                "bulk approval without posts", "Pilih minimal satu kiriman.", field="post_ids"
            ),
            "bulk",
            {},
        )
        return queue_page_response(ctx, pages, request, user, QueueFilter(), form=state)
    if len(post_ids) > PAGE_SIZE:
        raise BadInput("too many posts in one bulk approval", "Terlalu banyak kiriman sekaligus.")
    outcome = bulk_approve(ctx, user, post_ids)
    return queue_page_response(ctx, pages, request, user, QueueFilter(), outcome=outcome)


# --- calendar ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarEntry:
    when: datetime
    state: str  # the delivery's
    case_id: int
    tracking_number: str
    caption_head: str


@dataclass
class AccountCalendar:
    label: str
    agency: str
    days: dict[date, list[CalendarEntry]] = field(default_factory=dict)


CALENDAR_PAST = timedelta(days=7)
CALENDAR_AHEAD = timedelta(days=14)


def calendar(
    session: Session, viewer: Viewer, tz: ZoneInfo, now: datetime | None = None
) -> list[AccountCalendar]:
    """Per account, per local day: what is scheduled (from now to two weeks ahead) and what was
    published (the past week). Scoped like the queue: a reviewer of one agency sees its own."""
    now = now or utcnow()
    when = func.coalesce(Delivery.published_at, Delivery.next_attempt_at)
    rows = session.execute(
        scoped_posts(viewer)
        .join(Delivery, Delivery.post_id == Post.id)
        .join(SocialAccount, SocialAccount.id == Delivery.account_id)
        .join(Agency, Agency.id == SocialAccount.agency_id)
        .with_only_columns(
            SocialAccount, Agency.name, Delivery.state, when, Case.id, Case.tracking_number,
            Post.caption,
        )
        .where(
            Delivery.state.in_(("pending", "sending", "published", "unknown")),
            when >= now - CALENDAR_PAST,
            when <= now + CALENDAR_AHEAD,
        )
        .order_by(SocialAccount.id, when)
    ).all()  # fmt: skip
    accounts: dict[int, AccountCalendar] = {}
    for account, agency_name, state, moment, case_id, tracking, caption in rows:
        entry = accounts.setdefault(
            account.id, AccountCalendar(account_label(account), agency_name)
        )
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        day = moment.astimezone(tz).date()
        head = (caption.splitlines() or [""])[0][:90]
        entry.days.setdefault(day, []).append(CalendarEntry(moment, state, case_id, tracking, head))
    return sorted(accounts.values(), key=lambda a: (a.agency, a.label))


@router.get("/review/calendar")
def calendar_view(ctx: Ctx, pages: Pages, request: Request, user: ReviewerOrAdmin) -> Response:
    with ctx.readonly_sessions() as session:
        accounts = calendar(session, user, ctx.settings.tz)
    return pages.render(request, "review/calendar.html", accounts=accounts)
