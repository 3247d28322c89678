"""The PIC's pages, mobile first: resolved cases waiting for a follow-up (and for how long), the
follow-up form, and the PIC's submissions with what became of them.

The form is a plain multipart post that works without JavaScript. With JavaScript
(``static/site.js``) it uploads with a progress bar and retries on a dropped connection; the
form carries a ``submission_id`` made when the page was drawn, stored as the follow-up's
external id, so a retried upload that already arrived is recognised and never doubled.
Every file goes through :func:`publisher.media.sanitize` (content check, metadata stripped by
re-encoding) before it is stored; a rejected file rejects the submission with its reason.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import Text, func, select
from sqlalchemy import cast as sa_cast
from sqlalchemy.orm import Session

from publisher.core.errors import MediaRejected
from publisher.db import audit
from publisher.db.models import Case, Delivery, FollowUp, Media, Post, SocialAccount
from publisher.media import SanitizedMedia, sanitize
from publisher.media.sanitize import MAX_BYTES
from publisher.runtime.context import AppContext
from publisher.web.auth import Conflict, NotFound, Viewer
from publisher.web.deps import Ctx, Pages, PicUser, PicUserWrite, SignedIn
from publisher.web.scope import get_scoped, scoped_cases, scoped_follow_ups, scoped_posts
from publisher.web.templating import PageRenderer

MAX_FILES = 10
# The whole follow-up form (publisher.web.guards refuses a bigger body while it streams in,
# before the multipart parser spools it to disk): four files at the per-file cap.
MAX_UPLOAD_TOTAL = 4 * MAX_BYTES
MIN_ACTION_CHARS = 20
WAITING_STATUSES = ("resolved", "closed")
# Each file input of the form and the phase its files are marked with.
PHASE_INPUTS = {"before": "before", "after": "after"}


@dataclass
class Upload:
    phase: str
    filename: str
    data: bytes


@dataclass
class Accepted:
    phase: str
    media: SanitizedMedia


def waiting_cases(session: Session, viewer: Viewer, limit: int = 200) -> list[Case]:
    """Resolved cases of the viewer's agency that have no follow-up yet, longest waiting first."""
    query = (
        scoped_cases(viewer)
        .where(Case.status.in_(WAITING_STATUSES), Case.id.not_in(select(FollowUp.case_id)))
        .order_by(Case.resolved_at.asc().nulls_last(), Case.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def check_uploads(uploads: list[Upload]) -> tuple[list[Accepted], list[str]]:
    """Sanitise every file; returns the accepted ones and one Indonesian message per rejection."""
    accepted: list[Accepted] = []
    errors: list[str] = []
    if len(uploads) > MAX_FILES:
        return [], [f"Paling banyak {MAX_FILES} berkas per tindak lanjut."]
    for upload in uploads:
        name = upload.filename[:80] or "berkas"
        try:
            accepted.append(
                Accepted(upload.phase, sanitize(upload.data, name=upload.filename or None))
            )
        except MediaRejected as exc:
            errors.append(f"{name}: {exc.user_message}")
    return accepted, errors


def submit_follow_up(
    ctx: AppContext,
    viewer: Viewer,
    case_id: int,
    *,
    submission_id: str,
    action_text: str,
    accepted: list[Accepted],
) -> tuple[FollowUp, bool]:
    """Store the follow-up and its media; returns (follow-up, created). Idempotent per
    ``submission_id``: a retry of a submission that arrived returns the stored one."""
    digests = [(a, ctx.media.put(a.media.data, a.media.suffix)) for a in accepted]
    external_id = f"web-{submission_id}"
    with ctx.sessions() as session, session.begin():
        case = get_scoped(
            session, scoped_cases(viewer).where(Case.status.in_(WAITING_STATUSES)), Case, case_id
        )
        existing = session.scalar(
            select(FollowUp).where(FollowUp.case_id == case.id, FollowUp.external_id == external_id)
        )
        if existing is not None:
            return existing, False
        if session.scalar(select(func.count()).where(FollowUp.case_id == case.id)):
            raise Conflict(
                f"case {case.id} already has a follow-up",
                "Kasus ini sudah memiliki tindak lanjut.",
            )
        follow_up = FollowUp(
            case_id=case.id,
            external_id=external_id,
            pic_user_id=viewer.user_id,
            action_text=action_text.strip(),
            channel="web",
        )
        session.add(follow_up)
        session.flush()
        for position, (item, digest) in enumerate(digests):
            session.add(
                Media(
                    follow_up_id=follow_up.id,
                    position=position,
                    sha256=digest,
                    kind=item.media.kind,
                    mime=item.media.mime,
                    size_bytes=len(item.media.data),
                    width=item.media.width,
                    height=item.media.height,
                    duration_s=item.media.duration_s,
                    supplied_by="pic",
                    phase=item.phase,
                    state="ok",
                )
            )
        audit.record(
            session,
            actor=viewer.actor,
            action="follow_up.submitted",
            object_type="follow_up",
            object_id=follow_up.id,
            case_id=case.id,
            media=len(digests),
            channel="web",
        )
        session.flush()
        return follow_up, True


@dataclass
class SubmissionView:
    follow_up: FollowUp
    case: Case
    posts: list[tuple[Post, SocialAccount, Delivery | None]]


def submissions(session: Session, viewer: Viewer, limit: int = 100) -> list[SubmissionView]:
    rows = session.execute(
        scoped_follow_ups(viewer)
        .add_columns(Case)
        .order_by(FollowUp.submitted_at.desc(), FollowUp.id.desc())
        .limit(limit)
    ).all()
    pairs = [(cast(FollowUp, fu), cast(Case, case)) for fu, case in rows]
    case_ids = [case.id for _, case in pairs]
    posts: dict[int, list[tuple[Post, SocialAccount, Delivery | None]]] = {}
    for post, account, delivery in session.execute(
        select(Post, SocialAccount, Delivery)
        .join(SocialAccount, SocialAccount.id == Post.account_id)
        .outerjoin(Delivery, Delivery.post_id == Post.id)
        .where(Post.case_id.in_(case_ids))
        .order_by(Post.id)
    ).all():
        posts.setdefault(post.case_id, []).append((post, account, delivery))
    return [SubmissionView(fu, case, posts.get(case.id, [])) for fu, case in pairs]


SHA256 = re.compile(r"[0-9a-f]{64}")


def media_file(ctx: AppContext, session: Session, viewer: Viewer, sha256: str) -> Response:
    """A stored photo or video, only if one of its follow-ups is in the viewer's scope, or a
    platform rendition (fitted photo, before/after collage) of a post in the viewer's scope."""
    if not SHA256.fullmatch(sha256):
        raise NotFound("not a media address")
    media = session.scalar(
        select(Media)
        .where(Media.sha256 == sha256, Media.state == "ok")
        .where(Media.follow_up_id.in_(scoped_follow_ups(viewer).with_only_columns(FollowUp.id)))
        .limit(1)
    )
    if media is not None:
        suffix, mime = (".mp4" if media.kind == "video" else ".jpg"), media.mime
    else:
        # Renditions live only in Post.media; the address is 64 hex digits, safe in LIKE.
        post = session.scalar(
            scoped_posts(viewer).where(sa_cast(Post.media, Text).contains(sha256)).limit(1)
        )
        entry = next((m for m in post.media if m.get("sha256") == sha256), None) if post else None
        if entry is None:
            raise NotFound(f"media {sha256[:12]} not in scope")
        suffix, mime = str(entry.get("suffix") or ".jpg"), str(entry.get("mime") or "")
    path = ctx.media.path(sha256, suffix)
    if not path.exists():
        raise NotFound(f"media {sha256[:12]} missing from the store")
    return FileResponse(path, media_type=mime or "application/octet-stream")


router = APIRouter(include_in_schema=False)


@router.get("/pic")
def cases_page(ctx: Ctx, pages: Pages, request: Request, user: PicUser) -> Response:
    with ctx.readonly_sessions() as session:
        cases = waiting_cases(session, user)
    return pages.render(request, "pic/cases.html", cases=cases)


def form_page(
    pages: PageRenderer,
    request: Request,
    case: Case,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    action_text: str = "",
    submission_id: str | None = None,
    field_errors: dict[str, str] | None = None,
) -> Response:
    return pages.render(
        request,
        "pic/follow_up.html",
        status,
        case=case,
        errors=errors or [],
        field_errors=field_errors or {},
        action_text=action_text,
        submission_id=submission_id or uuid.uuid4().hex,
        max_mb=MAX_BYTES // (1024 * 1024),
        min_chars=MIN_ACTION_CHARS,
    )


def waiting_case(ctx: AppContext, user: Viewer, case_id: int) -> Case:
    """The PIC's case awaiting a follow-up; NotFound if it is not theirs or not waiting."""
    with ctx.readonly_sessions() as session:
        return get_scoped(
            session, scoped_cases(user).where(Case.status.in_(WAITING_STATUSES)), Case, case_id
        )


@router.get("/pic/cases/{case_id}/follow-up")
def follow_up_form(
    ctx: Ctx, pages: Pages, request: Request, case_id: int, user: PicUser
) -> Response:
    case = waiting_case(ctx, user, case_id)
    return form_page(pages, request, case)


@router.post("/pic/cases/{case_id}/follow-up")
def follow_up_submit(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    case_id: int,
    user: PicUserWrite,
    action_text: Annotated[str, Form(max_length=4000)] = "",
    submission_id: Annotated[str, Form(max_length=64)] = "",
    before: Annotated[list[UploadFile] | None, File()] = None,
    after: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    wants_json = "application/json" in request.headers.get("accept", "")
    case = waiting_case(ctx, user, case_id)
    uploads = [
        Upload(PHASE_INPUTS[field], f.filename or "", f.file.read(MAX_BYTES + 1))
        for field, files in (("before", before), ("after", after))
        for f in files or []
        if f.filename or f.size
    ]
    # Each message also goes next to its field (the page keeps the text; files must be chosen
    # again, which no browser lets a page do for the user).
    field_errors: dict[str, list[str]] = {"action_text": [], "after": []}
    if len(action_text.strip()) < MIN_ACTION_CHARS:
        field_errors["action_text"].append(
            f"Tuliskan tindakan yang dilakukan (minimal {MIN_ACTION_CHARS} karakter)."
        )
    if not uploads:
        field_errors["after"].append("Lampirkan minimal satu foto atau video hasil tindak lanjut.")
    accepted, file_errors = check_uploads(uploads)
    field_errors["after"] += file_errors
    errors = field_errors["action_text"] + field_errors["after"]
    clean_id = "".join(ch for ch in submission_id if ch.isalnum())[:40] or uuid.uuid4().hex
    if errors:
        if wants_json:
            return JSONResponse({"ok": False, "errors": errors}, status_code=422)
        return form_page(
            pages,
            request,
            case,
            status=422,
            errors=errors,
            action_text=action_text,
            submission_id=clean_id,
            field_errors={k: " ".join(v) for k, v in field_errors.items() if v},
        )
    submit_follow_up(
        ctx,
        user,
        case.id,
        submission_id=clean_id,
        action_text=action_text,
        accepted=accepted,
    )
    target = "/pic/submissions?terkirim=1"
    if wants_json:
        return JSONResponse({"ok": True, "redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/pic/submissions")
def submissions_page(ctx: Ctx, pages: Pages, request: Request, user: PicUser) -> Response:
    with ctx.readonly_sessions() as session:
        items = submissions(session, user)
    flash = "Tindak lanjut terkirim. Terima kasih!" if request.query_params.get("terkirim") else ""
    return pages.render(request, "pic/submissions.html", items=items, flash=flash)


@router.get("/media/{sha256}")
def media(ctx: Ctx, sha256: str, user: SignedIn) -> Response:
    with ctx.readonly_sessions() as session:
        return media_file(ctx, session, user, sha256)
