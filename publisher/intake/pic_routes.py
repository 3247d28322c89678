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
from pathlib import Path
from typing import Annotated, cast

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import Text, func, select
from sqlalchemy import cast as sa_cast
from sqlalchemy.orm import Session

from publisher.core.crypto import Vault
from publisher.core.errors import MediaMissing, MediaRejected
from publisher.db import audit
from publisher.db.models import Case, FollowUp, Media, Post
from publisher.intake import uploads
from publisher.intake.followups import case_phase, record_material
from publisher.intake.media_rows import record_sanitized
from publisher.intake.pic_status import (
    CaseState,
    case_state,
    follow_up_state,
    posts_by_case,
    summary,
)
from publisher.intake.uploads import Stored
from publisher.media import SanitizedMedia, sanitize
from publisher.media.sanitize import MAX_BYTES
from publisher.runtime.context import AppContext
from publisher.web.auth import Conflict, NotFound, Viewer
from publisher.web.deps import Ctx, Pages, PicUser, PicUserWrite, SignedIn
from publisher.web.scope import get_scoped, scoped_cases, scoped_follow_ups, scoped_posts
from publisher.web.templating import PageRenderer

# Said when a follow-up is already in review (a 409): where to see it, not "try again".
ALREADY_RECEIVED = (
    "Tindak lanjut untuk kasus ini sudah kami terima dan sedang diproses. Lihat statusnya di "
    "menu Kiriman saya (/pic/submissions)."
)
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
    # A finished resumable upload (or a good file kept from a refused form), if it is one.
    stored: Stored | None = None


@dataclass
class Accepted:
    phase: str
    media: SanitizedMedia
    upload: Upload | None = None


def waiting_cases(session: Session, viewer: Viewer, limit: int = 200) -> list[Case]:
    """Resolved cases of the viewer's agency that have no follow-up yet, longest waiting first."""
    query = (
        scoped_cases(viewer)
        .where(Case.status.in_(WAITING_STATUSES), Case.id.not_in(select(FollowUp.case_id)))
        .order_by(Case.resolved_at.asc().nulls_last(), Case.id)
        .limit(limit)
    )
    return list(session.scalars(query))


@dataclass
class CaseRow:
    case: Case
    summary: str
    state: CaseState | None  # None: waiting for its first follow-up


def my_cases(session: Session, viewer: Viewer, vault: Vault, limit: int = 200) -> list[CaseRow]:
    """ "Kasus saya": the cases waiting for a follow-up (longest waiting first), then those that
    have one, newest follow-up first, each with its state; a rejected case stays in the list."""
    rows = [CaseRow(c, summary(c, vault), None) for c in waiting_cases(session, viewer, limit)]
    answered = list(
        session.scalars(
            scoped_cases(viewer)
            .where(Case.status.in_(WAITING_STATUSES), Case.id.in_(select(FollowUp.case_id)))
            .order_by(
                select(func.max(FollowUp.id))
                .where(FollowUp.case_id == Case.id)
                .scalar_subquery()
                .desc()
            )
            .limit(limit)
        )
    )
    posts = posts_by_case(session, [c.id for c in answered])
    rows += [CaseRow(c, summary(c, vault), case_state(c, posts.get(c.id, []))) for c in answered]
    return rows


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
                Accepted(upload.phase, sanitize(upload.data, name=upload.filename or None), upload)
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
    # Files are stored before the transaction (content-addressed: a retry stores nothing new).
    # The recording is the intake job's own: a video with a face stays held for a reviewer,
    # and the face boxes and the private unblurred copy are kept (issue 22).
    rows = []
    for position, item in enumerate(accepted):
        row = Media(position=position, supplied_by="pic", phase=item.phase, state="ok")
        record_sanitized(row, item.media, ctx.media, ctx.private_media)
        rows.append(row)
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
        phase = case_phase(session, case.id)
        if case.follow_ups and phase != "resubmission":
            raise Conflict(
                f"case {case.id} already has a follow-up in review",
                ALREADY_RECEIVED,
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
        for row in rows:
            row.follow_up_id = follow_up.id
            session.add(row)
        audit.record(
            session,
            actor=viewer.actor,
            action="follow_up.submitted",
            object_type="follow_up",
            object_id=follow_up.id,
            case_id=case.id,
            media=len(accepted),
            channel="web",
        )
        record_material(
            session,
            case.id,
            follow_up,
            phase,
            actor=viewer.actor,
            channel="web",
            media=len(accepted),
            note=True,
        )
        session.flush()
        return follow_up, True


@dataclass
class SubmissionView:
    follow_up: FollowUp
    case: Case
    state: CaseState


def submissions(session: Session, viewer: Viewer, limit: int = 100) -> list[SubmissionView]:
    """ "Kiriman saya": each follow-up with its truthful state (:mod:`.pic_status`)."""
    rows = session.execute(
        scoped_follow_ups(viewer)
        .add_columns(Case)
        .order_by(FollowUp.submitted_at.desc(), FollowUp.id.desc())
        .limit(limit)
    ).all()
    pairs = [(cast(FollowUp, fu), cast(Case, case)) for fu, case in rows]
    posts = posts_by_case(session, list({case.id for _, case in pairs}))
    states = {case.id: case_state(case, posts.get(case.id, [])) for _, case in pairs}
    return [SubmissionView(fu, case, follow_up_state(fu, states[case.id])) for fu, case in pairs]


def read_capped(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(MAX_BYTES + 1)


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
    try:
        path = ctx.media.local_path(sha256, suffix)
    except MediaMissing:
        raise NotFound(f"media {sha256[:12]} missing from the store") from None
    return FileResponse(path, media_type=mime or "application/octet-stream")


router = APIRouter(include_in_schema=False)


@router.get("/pic")
def cases_page(ctx: Ctx, pages: Pages, request: Request, user: PicUser) -> Response:
    with ctx.readonly_sessions() as session:
        rows = my_cases(session, user, ctx.vault)
    return pages.render(request, "pic/cases.html", rows=rows)


def form_page(
    pages: PageRenderer,
    request: Request,
    case: Case,
    *,
    rejection: str = "",
    status: int = 200,
    errors: list[str] | None = None,
    action_text: str = "",
    submission_id: str | None = None,
    kept: list[Stored] | None = None,
    field_errors: dict[str, str] | None = None,
) -> Response:
    return pages.render(
        request,
        "pic/follow_up.html",
        status,
        case=case,
        rejection=rejection,
        errors=errors or [],
        field_errors=field_errors or {},
        action_text=action_text,
        submission_id=submission_id or uuid.uuid4().hex,
        max_mb=MAX_BYTES // (1024 * 1024),
        min_chars=MIN_ACTION_CHARS,
        kept=kept or [],
        upload_prefix=uploads.PREFIX,
    )


def waiting_case(ctx: AppContext, user: Viewer, case_id: int) -> tuple[Case, CaseState | None]:
    """The PIC's case awaiting a follow-up and its state (None: no follow-up yet); NotFound if
    it is not theirs or not waiting, Conflict (with where to look) if one is in review."""
    with ctx.readonly_sessions() as session:
        case = get_scoped(
            session, scoped_cases(user).where(Case.status.in_(WAITING_STATUSES)), Case, case_id
        )
        if not case.follow_ups:
            return case, None
        state = case_state(case, posts_by_case(session, [case.id]).get(case.id, []))
        if not state.can_resubmit:
            raise Conflict(f"case {case.id} already has a follow-up in review", ALREADY_RECEIVED)
        return case, state


def waiting_case_or_retry(
    ctx: AppContext, user: Viewer, case_id: int, submission_id: str
) -> tuple[Case, CaseState | None]:
    """As :func:`waiting_case`, but a retried upload of a submission that arrived is let
    through, so :func:`submit_follow_up` answers it as stored instead of a conflict."""
    clean = "".join(ch for ch in submission_id if ch.isalnum())[:40]
    with ctx.readonly_sessions() as session:
        case = get_scoped(
            session, scoped_cases(user).where(Case.status.in_(WAITING_STATUSES)), Case, case_id
        )
        if clean and any(f.external_id == f"web-{clean}" for f in case.follow_ups):
            return case, None
    return waiting_case(ctx, user, case_id)


@router.get("/pic/cases/{case_id}/follow-up")
def follow_up_form(
    ctx: Ctx, pages: Pages, request: Request, case_id: int, user: PicUser
) -> Response:
    case, state = waiting_case(ctx, user, case_id)
    # Finished uploads for this case survive a reload or a new sign-in: offered again here.
    kept = [s for s in uploads.uploads_of(ctx, user.user_id) if s.case_id == case.id and s.finished]
    return form_page(pages, request, case, rejection=state.reason if state else "", kept=kept)


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
    upload_ids: Annotated[list[str] | None, Form(max_length=64)] = None,
) -> Response:
    wants_json = "application/json" in request.headers.get("accept", "")
    case, state = waiting_case_or_retry(ctx, user, case_id, submission_id)
    files = [
        Upload(PHASE_INPUTS[field], f.filename or "", f.file.read(MAX_BYTES + 1))
        for field, chosen in (("before", before), ("after", after))
        for f in chosen or []
        if f.filename or f.size
    ]
    stored, upload_errors = uploads.finished_for_case(
        ctx, user.user_id, case.id, (upload_ids or [])[:MAX_FILES]
    )
    files += [Upload(s.phase, s.filename, read_capped(s.path), s) for s in stored]
    # Each message also goes next to its field (the page keeps the text and the files that
    # passed; a refused file must be chosen again).
    field_errors: dict[str, list[str]] = {"action_text": [], "after": list(upload_errors)}
    if len(action_text.strip()) < MIN_ACTION_CHARS:
        field_errors["action_text"].append(
            f"Tuliskan tindakan yang dilakukan (minimal {MIN_ACTION_CHARS} karakter)."
        )
    if not files:
        field_errors["after"].append("Lampirkan minimal satu foto atau video hasil tindak lanjut.")
    accepted, file_errors = check_uploads(files)
    field_errors["after"] += file_errors
    errors = field_errors["action_text"] + field_errors["after"]
    clean_id = "".join(ch for ch in submission_id if ch.isalnum())[:40] or uuid.uuid4().hex
    if errors:
        if wants_json:
            return JSONResponse({"ok": False, "errors": errors}, status_code=422)
        # Nothing good is lost: the files that passed are kept and offered again.
        kept = [
            a.upload.stored
            or uploads.keep(
                ctx,
                user.user_id,
                case.id,
                a.phase,
                a.upload.filename,
                a.upload.data,
                a.media.mime,
            )
            for a in accepted
            if a.upload is not None
        ]
        return form_page(
            pages,
            request,
            case,
            status=422,
            rejection=state.reason if state else "",
            errors=errors,
            action_text=action_text,
            submission_id=clean_id,
            kept=kept,
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
    for item in stored:
        uploads.remove(item)  # sanitised into the media store; the raw bytes go
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
