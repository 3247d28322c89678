"""The JSON API under ``/api/v1/``: the review queue, posts, review actions and deliveries, with
the same rules, scoping and audit as the pages (it calls the same functions).

Personal data: ``GET /posts/{id}/findings`` lists what still blocks approval (kinds and offsets);
``POST /posts/{id}/findings/allow`` marks one a false positive; ``POST /posts/{id}/reporter-photos``
and ``POST /posts/{id}/unblur`` add a reporter's photo or show blurred faces. All need a reason.

Authentication is the web session cookie; every write needs the session's CSRF token in the
``X-CSRF-Token`` header (``GET /api/v1/me`` returns it). Errors are ``{"detail": "..."}`` with
an Indonesian message: 400 malformed input, 401 not signed in, 403 role or CSRF, 404 absent or
outside the user's agency, 409 not allowed in the current state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.core.context import AppContext
from publisher.db.models import Delivery, Post, Screening, SocialAccount
from publisher.outbox import routes as delivery_actions
from publisher.review import routes as review_views
from publisher.web.auth import BadInput, Viewer, csrf_writer, require
from publisher.web.scope import get_scoped, scoped_posts

MAX_ID = 2**31 - 1
# Dependencies live at module level: route annotations are resolved in this module's globals.
anyone = require("pic", "reviewer", "admin")
reviewers = require("reviewer", "admin")
writer = csrf_writer("reviewer", "admin")
PostId = Annotated[int, Path(ge=1, le=MAX_ID)]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID)]


class ErrorOut(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in (
        (400, "Malformed input"),
        (401, "Not signed in"),
        (403, "Role not allowed, or CSRF token missing"),
        (404, "Absent, or outside the user's agency"),
        (409, "Not allowed in the current state"),
    )
}


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


class DeliveryOut(BaseModel):
    id: int
    post_id: int
    account_id: int
    state: str
    attempts: int
    remote_url: str
    last_error: str
    last_error_class: str
    published_at: datetime | None


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


def _delivery_out(d: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        post_id=d.post_id,
        account_id=d.account_id,
        state=d.state,
        attempts=d.attempts,
        remote_url=d.remote_url,
        last_error=d.last_error,
        last_error_class=d.last_error_class,
        published_at=d.published_at,
    )


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
        deliveries=[_delivery_out(d) for d in deliveries],
    )


def router(ctx: AppContext) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS)

    @r.get("/me", response_model=MeOut, summary="The signed-in user and the CSRF token")
    def me(user: Annotated[Viewer, Depends(anyone)]) -> MeOut:
        return MeOut(
            username=user.username,
            role=user.role,
            agency_id=user.agency_id,
            csrf_token=user.csrf_token,
        )

    @r.get("/review-queue", response_model=QueueOut, summary="Posts awaiting review")
    def review_queue(
        user: Annotated[Viewer, Depends(reviewers)],
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

    @r.get("/posts", response_model=list[PostOut], summary="Posts in the user's scope")
    def posts(
        user: Annotated[Viewer, Depends(anyone)],
        case_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> list[PostOut]:
        query = scoped_posts(user).order_by(Post.id.desc()).limit(limit)
        if case_id is not None:
            query = query.where(Post.case_id == case_id)
        with ctx.readonly_sessions() as session:
            return [post_out(session, p) for p in session.scalars(query)]

    @r.get("/posts/{post_id}", response_model=PostOut, summary="One post")
    def post(post_id: PostId, user: Annotated[Viewer, Depends(anyone)]) -> PostOut:
        with ctx.readonly_sessions() as session:
            return post_out(session, get_scoped(session, scoped_posts(user), Post, post_id))

    @r.post("/posts/{post_id}/approve", response_model=PostOut, summary="Approve a post")
    def approve(
        post_id: PostId, body: ApproveIn, user: Annotated[Viewer, Depends(writer)]
    ) -> PostOut:
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

    @r.post("/posts/{post_id}/reject", response_model=PostOut, summary="Reject with a reason")
    def reject(
        post_id: PostId, body: RejectIn, user: Annotated[Viewer, Depends(writer)]
    ) -> PostOut:
        with ctx.sessions() as session, session.begin():
            review_views.reject_posts(
                session, user, [post_id], body.reason, as_conflict=body.as_conflict
            )
            return post_out(session, get_scoped(session, scoped_posts(user), Post, post_id))

    @r.post("/posts/{post_id}/edit", response_model=PostOut, summary="Edit the caption")
    def edit(post_id: PostId, body: EditIn, user: Annotated[Viewer, Depends(writer)]) -> PostOut:
        if "\x00" in body.caption:
            raise BadInput("NUL in caption", "Keterangan memuat karakter yang tidak sah.")
        with ctx.sessions() as session, session.begin():
            return post_out(session, review_views.edit_post(session, user, post_id, body.caption))

    @r.get(
        "/posts/{post_id}/findings",
        response_model=list[FindingOut],
        summary="Personal-data findings still in the caption (kinds and offsets)",
    )
    def findings(post_id: PostId, user: Annotated[Viewer, Depends(reviewers)]) -> list[FindingOut]:
        with ctx.readonly_sessions() as session:
            found = get_scoped(session, scoped_posts(user), Post, post_id)
            return [
                FindingOut(kind=f.kind, start=f.start, end=f.end)
                for f in review_views.caption_findings(found, found.case, ctx.vault)
            ]

    @r.post(
        "/posts/{post_id}/findings/allow",
        response_model=PostOut,
        summary="Mark a finding as not personal data, with a reason",
    )
    def allow_finding(
        post_id: PostId, body: AllowFindingIn, user: Annotated[Viewer, Depends(writer)]
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

    @r.post(
        "/posts/{post_id}/reporter-photos",
        response_model=PostOut,
        summary="Add the reporter's own photo to a post, with a reason",
    )
    def include_reporter_photo(
        post_id: PostId, body: PhotoActionIn, user: Annotated[Viewer, Depends(writer)]
    ) -> PostOut:
        with ctx.sessions() as session, session.begin():
            post = review_views.include_reporter_photo(
                ctx, session, user, post_id, body.media_id, body.reason
            )
            return post_out(session, post)

    @r.post(
        "/posts/{post_id}/unblur",
        response_model=PostOut,
        summary="Publish a photo without its face blurring, with a reason",
    )
    def unblur(
        post_id: PostId, body: PhotoActionIn, user: Annotated[Viewer, Depends(writer)]
    ) -> PostOut:
        with ctx.sessions() as session, session.begin():
            post = review_views.publish_unblurred(
                ctx, session, user, post_id, body.media_id, body.reason
            )
            return post_out(session, post)

    @r.get("/deliveries", response_model=list[DeliveryOut], summary="Deliveries in scope")
    def deliveries(
        user: Annotated[Viewer, Depends(reviewers)],
        state: Annotated[str, Query(max_length=20)] = "",
    ) -> list[DeliveryOut]:
        with ctx.readonly_sessions() as session:
            return [
                _delivery_out(d) for d, _a, _c in delivery_actions.listing(session, user, state)
            ]

    @r.post(
        "/deliveries/{delivery_id}/retry", response_model=DeliveryOut, summary="Retry a failed one"
    )
    def retry(delivery_id: DeliveryId, user: Annotated[Viewer, Depends(writer)]) -> DeliveryOut:
        with ctx.sessions() as session, session.begin():
            return _delivery_out(delivery_actions.retry(session, user, delivery_id))

    return r
