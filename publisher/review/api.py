"""The review part of the JSON API under ``/api/v1/``: the signed-in user, the review queue,
posts and review actions, with the same rules, scoping and audit as the pages (it calls the same
functions). The deliveries routes are :mod:`publisher.outbox.api`.

Personal data: ``GET /posts/{id}/findings`` lists what still blocks approval (kinds and offsets);
``POST /posts/{id}/findings/allow`` marks one a false positive; ``POST /posts/{id}/reporter-photos``
and ``POST /posts/{id}/unblur`` add a reporter's photo or show blurred faces;
``POST /posts/{id}/held-videos`` releases a video held for faces (it goes out blurred). All need
a reason.

Authentication is the web session cookie; every write needs the session's CSRF token in the
``X-CSRF-Token`` header (``GET /api/v1/me`` returns it). Errors are ``{"detail": "..."}`` with
an Indonesian message: 400 malformed input, 401 not signed in, 403 role or CSRF, 404 absent or
outside the user's agency, 409 not allowed in the current state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.db.models import Delivery, Post, Screening, SocialAccount
from publisher.outbox.api import DeliveryOut, delivery_out
from publisher.review import routes as review_views
from publisher.web.api import MAX_ID, json_api_router
from publisher.web.api import Id as PostId
from publisher.web.auth import BadInput
from publisher.web.deps import Ctx, ReviewerOrAdmin, ReviewerOrAdminWrite, SignedIn
from publisher.web.scope import get_scoped, scoped_posts

router = json_api_router()


class MeOut(BaseModel):
    username: str
    role: str
    agency_id: int | None
    csrf_token: str


class QueueItemOut(BaseModel):
    post_id: int
    case_id: int
    tracking_number: str
    agency: str
    platform: str
    handle: str
    state: str
    risk: float
    created_at: datetime
    caption_head: str


class QueueOut(BaseModel):
    items: list[QueueItemOut]
    next_cursor: str | None = Field(description="pass as `after` for the next page")


class ScreeningOut(BaseModel):
    decision: str
    score: float | None
    model_version: str
    reasons: list[Any]
    pii_findings: list[Any]


class PostOut(BaseModel):
    id: int
    case_id: int
    account_id: int
    platform: str
    handle: str
    caption: str
    media: list[Any]
    risk_score: float
    review_state: str
    review_note: str
    scheduled_for: datetime | None
    screening: ScreeningOut | None
    deliveries: list[DeliveryOut]


class ApproveIn(BaseModel):
    override_reason: str = Field(default="", max_length=2000)
    manual_screening_note: str = Field(default="", max_length=2000)
    scheduled_for: datetime | None = Field(
        default=None, description="when to publish; a time without zone is Asia/Jakarta"
    )


class RejectIn(BaseModel):
    reason: str = Field(max_length=2000)
    # True when the case is conflict-prone: it becomes a training example for the classifier.
    as_conflict: bool = False


class EditIn(BaseModel):
    caption: str = Field(max_length=70000)


class FindingOut(BaseModel):
    kind: str
    start: int
    end: int


class AllowFindingIn(BaseModel):
    """Mark ``caption[start:end]`` (a finding of ``kind``) as not personal data."""

    start: int = Field(ge=0, le=MAX_ID)
    end: int = Field(ge=0, le=MAX_ID)
    kind: str = Field(max_length=20)
    reason: str = Field(max_length=2000)


class PhotoActionIn(BaseModel):
    media_id: int = Field(ge=0, le=MAX_ID)
    reason: str = Field(max_length=2000)


def post_out(session: Session, post: Post) -> PostOut:
    account = session.get(SocialAccount, post.account_id)
    assert account is not None
    screening = session.get(Screening, post.screening_id) if post.screening_id else None
    deliveries = session.scalars(
        select(Delivery).where(Delivery.post_id == post.id).order_by(Delivery.id)
    )
    return PostOut(
        id=post.id,
        case_id=post.case_id,
        account_id=post.account_id,
        platform=account.platform,
        handle=account.handle,
        caption=post.caption,
        media=list(post.media),
        risk_score=post.risk_score,
        review_state=post.review_state,
        review_note=post.review_note,
        scheduled_for=post.scheduled_for,
        screening=ScreeningOut(
            decision=screening.decision,
            score=screening.score,
            model_version=screening.model_version,
            reasons=list(screening.reasons),
            pii_findings=list(screening.pii_findings),
        )
        if screening
        else None,
        deliveries=[delivery_out(d) for d in deliveries],
    )


@router.get("/me", response_model=MeOut, summary="The signed-in user and the CSRF token")
def me(user: SignedIn) -> MeOut:
    return MeOut(
        username=user.username,
        role=user.role,
        agency_id=user.agency_id,
        csrf_token=user.csrf_token,
    )


@router.get("/review-queue", response_model=QueueOut, summary="Posts awaiting review")
def review_queue(
    ctx: Ctx,
    user: ReviewerOrAdmin,
    state: Annotated[str, Query(max_length=20)] = "open",
    agency: Annotated[str, Query(max_length=40)] = "",
    platform: Annotated[str, Query(max_length=20)] = "",
    after: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = review_views.PAGE_SIZE,
) -> QueueOut:
    filt = review_views.QueueFilter(state=state, agency=agency, platform=platform)
    cursor = review_views.Cursor.decode(after) if after else None
    with ctx.readonly_sessions() as session:
        rows, next_cursor = review_views.queue_page(session, user, filt, cursor, limit)
    return QueueOut(
        items=[
            QueueItemOut(
                post_id=row.post_id,
                case_id=row.case_id,
                tracking_number=row.tracking_number,
                agency=row.agency_code,
                platform=row.platform,
                handle=row.handle,
                state=row.state,
                risk=row.risk,
                created_at=row.created_at,
                caption_head=row.caption_head,
            )
            for row in rows
        ],
        next_cursor=next_cursor.encode() if next_cursor else None,
    )


@router.get("/posts", response_model=list[PostOut], summary="Posts in the user's scope")
def posts(
    ctx: Ctx,
    user: SignedIn,
    case_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[PostOut]:
    query = scoped_posts(user).order_by(Post.id.desc()).limit(limit)
    if case_id is not None:
        query = query.where(Post.case_id == case_id)
    with ctx.readonly_sessions() as session:
        return [post_out(session, p) for p in session.scalars(query)]


@router.get("/posts/{post_id}", response_model=PostOut, summary="One post")
def post(ctx: Ctx, post_id: PostId, user: SignedIn) -> PostOut:
    with ctx.readonly_sessions() as session:
        return post_out(session, get_scoped(session, scoped_posts(user), Post, post_id))


@router.post("/posts/{post_id}/approve", response_model=PostOut, summary="Approve a post")
def approve(ctx: Ctx, post_id: PostId, body: ApproveIn, user: ReviewerOrAdminWrite) -> PostOut:
    when = body.scheduled_for
    if when is not None:
        when = review_views.parse_local_time(when.isoformat(), ctx.settings.tz)
    with ctx.sessions() as session, session.begin():
        (approved,) = review_views.approve_posts(
            session,
            user,
            [post_id],
            override_reason=body.override_reason,
            manual_screening_note=body.manual_screening_note,
            scheduled_for=when,
            vault=ctx.vault,
        )
        return post_out(session, approved)


@router.post("/posts/{post_id}/reject", response_model=PostOut, summary="Reject with a reason")
def reject(ctx: Ctx, post_id: PostId, body: RejectIn, user: ReviewerOrAdminWrite) -> PostOut:
    with ctx.sessions() as session, session.begin():
        review_views.reject_posts(
            session, user, [post_id], body.reason, as_conflict=body.as_conflict, vault=ctx.vault
        )
        return post_out(session, get_scoped(session, scoped_posts(user), Post, post_id))


@router.post("/posts/{post_id}/edit", response_model=PostOut, summary="Edit the caption")
def edit(ctx: Ctx, post_id: PostId, body: EditIn, user: ReviewerOrAdminWrite) -> PostOut:
    if "\x00" in body.caption:
        raise BadInput("NUL in caption", "Keterangan memuat karakter yang tidak sah.")
    with ctx.sessions() as session, session.begin():
        return post_out(session, review_views.edit_post(session, user, post_id, body.caption))


@router.get(
    "/posts/{post_id}/findings",
    response_model=list[FindingOut],
    summary="Personal-data findings still in the caption (kinds and offsets)",
)
def findings(ctx: Ctx, post_id: PostId, user: ReviewerOrAdmin) -> list[FindingOut]:
    with ctx.readonly_sessions() as session:
        found = get_scoped(session, scoped_posts(user), Post, post_id)
        return [
            FindingOut(kind=f.kind, start=f.start, end=f.end)
            for f in review_views.caption_findings(found, found.case, ctx.vault)
        ]


@router.post(
    "/posts/{post_id}/findings/allow",
    response_model=PostOut,
    summary="Mark a finding as not personal data, with a reason",
)
def allow_finding(
    ctx: Ctx, post_id: PostId, body: AllowFindingIn, user: ReviewerOrAdminWrite
) -> PostOut:
    with ctx.sessions() as session, session.begin():
        post = review_views.allow_finding(
            session,
            user,
            post_id,
            start=body.start,
            end=body.end,
            kind=body.kind,
            reason=body.reason,
        )
        return post_out(session, post)


@router.post(
    "/posts/{post_id}/reporter-photos",
    response_model=PostOut,
    summary="Add the reporter's own photo to a post, with a reason",
)
def include_reporter_photo(
    ctx: Ctx, post_id: PostId, body: PhotoActionIn, user: ReviewerOrAdminWrite
) -> PostOut:
    with ctx.sessions() as session, session.begin():
        post = review_views.include_reporter_photo(
            ctx, session, user, post_id, body.media_id, body.reason
        )
        return post_out(session, post)


@router.post(
    "/posts/{post_id}/held-videos",
    response_model=PostOut,
    summary="Release a video held for faces into a post (it goes out blurred), with a reason",
)
def release_held_video(
    ctx: Ctx, post_id: PostId, body: PhotoActionIn, user: ReviewerOrAdminWrite
) -> PostOut:
    with ctx.sessions() as session, session.begin():
        post = review_views.release_held_video(
            ctx, session, user, post_id, body.media_id, body.reason
        )
        return post_out(session, post)


@router.post(
    "/posts/{post_id}/unblur",
    response_model=PostOut,
    summary="Publish a photo without its face blurring, with a reason",
)
def unblur(ctx: Ctx, post_id: PostId, body: PhotoActionIn, user: ReviewerOrAdminWrite) -> PostOut:
    with ctx.sessions() as session, session.begin():
        post = review_views.publish_unblurred(
            ctx, session, user, post_id, body.media_id, body.reason
        )
        return post_out(session, post)
