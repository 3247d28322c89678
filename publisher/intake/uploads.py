"""Resumable uploads for PICs on slow mobile data (issue 20): the tus protocol
(https://tus.io/protocols/resumable-upload, served by ``tuspyserver``) under
:data:`PREFIX`, then the follow-up form names the finished uploads instead of carrying files.

* **Who**: every tus request (create, ``HEAD`` to resume, ``PATCH``, ``DELETE``) is checked
  before its body is read: a signed-in PIC, with the session's CSRF token in the
  ``X-CSRF-Token`` header for writes. Each PIC's uploads live in their own folder, so an upload
  id of somebody else is simply not found (404). The case named in the metadata must be one the
  PIC may answer (:func:`publisher.intake.pic_routes.waiting_case`'s scope).
* **How much**: each upload is declared with its length; a file over the per-file cap, a type
  that is not a photo or video, or a PIC's folder over ``LAPOR_UPLOAD_QUOTA_BYTES`` is refused
  at creation with an Indonesian message naming the file. ``PATCH`` bodies are bounded while
  they stream (:class:`publisher.web.guards.BodyLimit`, the app factory's prefix table).
* **What then**: a finished upload is only bytes on disk; it goes through the same
  :func:`publisher.media.sanitize` as a form file when the follow-up is sent, and is removed
  then. Uploads never sent are removed after ``LAPOR_UPLOAD_MAX_AGE_HOURS`` by the ``uploads``
  job (:func:`clean_stale`).

The plain form (no JavaScript) uses the same folder to keep the good files of a submission
that was refused for one bad file (:func:`keep`), so the PIC does not send them again.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from fastapi import APIRouter, HTTPException, Request
from fastapi.routing import APIRoute
from tuspyserver import create_tus_router

from publisher.db.models import Case
from publisher.media.sanitize import MAX_BYTES
from publisher.runtime.context import AppContext
from publisher.web.auth import Viewer, admit, app_ctx, check_csrf
from publisher.web.scope import scoped_cases

PREFIX = "/api/v1/pic/uploads"
# One PATCH at most (tus-js-client's chunkSize in static/pic-upload.js is 256 KiB): bounded
# while it streams, and a dropped connection loses at most that much.
MAX_PATCH_BYTES = 1024 * 1024
UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
PHASES = ("before", "after")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
WAITING_STATUSES = ("resolved", "closed")


def user_folder(ctx: AppContext, user_id: int) -> Path:
    return ctx.settings.upload_dir / f"u{user_id}"


async def _pic(request: Request) -> Viewer:
    """The signed-in PIC, with the CSRF header for anything that writes; raised before a body
    is read (every tus route depends on this through its ``file_dep``)."""
    user = admit(request, ("pic",))
    if request.method not in SAFE_METHODS:
        await check_csrf(request, user)
    return user


async def _files_of_user(request: Request) -> Callable[[dict[str, Any]], dict[str, str]]:
    user = await _pic(request)
    folder = str(user_folder(app_ctx(request), user.user_id))
    return lambda _metadata: {"files_dir": folder}


def _refuse(status: int, message: str) -> HTTPException:
    return HTTPException(status_code=status, detail=message)


async def _check_new_upload(request: Request) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    user = await _pic(request)
    ctx = app_ctx(request)

    def check(metadata: dict[str, Any], info: dict[str, Any]) -> None:
        name = str(metadata.get("filename") or "berkas")[:80]
        size = info.get("size")
        if not isinstance(size, int) or info.get("defer_length"):
            raise _refuse(400, f"{name}: ukuran berkas harus diketahui sebelum mengunggah.")
        if size > MAX_BYTES:
            raise _refuse(
                413, f"{name}: berkas terlalu besar (maks. {MAX_BYTES // (1024 * 1024)} MB)."
            )
        kind = str(metadata.get("filetype") or "")
        if not kind.startswith(("image/", "video/")):
            raise _refuse(415, f"{name}: kirim foto atau video saja.")
        if metadata.get("phase") not in PHASES:
            raise _refuse(400, f"{name}: pilih foto sebelum atau sesudah.")
        case_id = str(metadata.get("case_id") or "")
        if not case_id.isdigit() or not _may_answer(ctx, user, int(case_id)):
            raise _refuse(404, "Kasus tidak ditemukan atau bukan milik instansi Anda.")
        if used_bytes(ctx, user.user_id) + size > ctx.settings.upload_quota_bytes:
            raise _refuse(
                413,
                f"{name}: ruang unggahan Anda penuh. Kirim dulu tindak lanjut yang sudah "
                "diunggah, atau tunggu unggahan lama dibersihkan.",
            )

    return check


def _may_answer(ctx: AppContext, user: Viewer, case_id: int) -> bool:
    with ctx.readonly_sessions() as session:
        found = session.scalar(
            scoped_cases(user)
            .where(Case.id == case_id, Case.status.in_(WAITING_STATUSES))
            .with_only_columns(Case.id)
        )
    return found is not None


def used_bytes(ctx: AppContext, user_id: int) -> int:
    """What the PIC's folder holds (declared lengths of uploads, finished or not)."""
    return sum(u.size for u in uploads_of(ctx, user_id))


def router(upload_dir: Path) -> APIRouter:
    """The tus routes; ``files_dir`` is only the fallback (every route names the PIC's own
    folder through ``file_dep``)."""
    # tuspyserver logs each HEAD with the upload's metadata at INFO: a file name may name a
    # person ("KTP_<nama>.jpg"), so nothing below a warning of it reaches our logs.
    logging.getLogger("tuspyserver").setLevel(logging.WARNING)
    # tuspyserver's hints say the dependencies return plain callables; FastAPI resolves async
    # ones the same way (its README's own examples are async).
    built = create_tus_router(
        prefix=PREFIX,
        files_dir=str(upload_dir / "_none"),
        max_size=MAX_BYTES,
        auth=cast(Any, _pic),  # OPTIONS too: nothing here is for anyone but a signed-in PIC
        days_to_keep=7,  # our own job removes them sooner (LAPOR_UPLOAD_MAX_AGE_HOURS)
        pre_create_dep=cast(Any, _check_new_upload),
        file_dep=cast(Any, _files_of_user),
        tags=["PIC uploads"],
    )
    assert isinstance(built, APIRouter)
    for route in built.routes:
        # The tus protocol, not the JSON API: kept out of the OpenAPI document.
        if isinstance(route, APIRoute):
            route.include_in_schema = False
    return built


# --- reading the PIC's folder -----------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """One upload in a PIC's folder (tuspyserver's ``<id>`` and ``<id>.info`` JSON)."""

    id: str
    path: Path
    filename: str
    phase: str
    case_id: int
    size: int
    offset: int

    @property
    def finished(self) -> bool:
        return self.offset >= self.size


def _read(path: Path) -> Stored | None:
    try:
        info = json.loads(path.with_name(path.name + ".info").read_text("utf-8"))
        metadata = info.get("metadata") or {}
        return Stored(
            id=path.name,
            path=path,
            filename=str(metadata.get("filename") or "berkas")[:120],
            phase=str(metadata.get("phase") or "after"),
            case_id=int(metadata.get("case_id") or 0),
            size=int(info.get("size") or 0),
            offset=int(info.get("offset") or 0),
        )
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def uploads_of(ctx: AppContext, user_id: int) -> list[Stored]:
    folder = user_folder(ctx, user_id)
    if not folder.is_dir():
        return []
    found = [_read(p) for p in sorted(folder.iterdir()) if UPLOAD_ID.fullmatch(p.name)]
    return [s for s in found if s is not None]


def finished_for_case(
    ctx: AppContext, user_id: int, case_id: int, ids: list[str]
) -> tuple[list[Stored], list[str]]:
    """The named uploads of this PIC for this case; messages for those that are missing or
    unfinished (an id of another PIC or case is reported missing, never read)."""
    mine = {s.id: s for s in uploads_of(ctx, user_id) if s.case_id == case_id}
    found: list[Stored] = []
    errors: list[str] = []
    for upload_id in dict.fromkeys(ids):
        stored = mine.get(upload_id) if UPLOAD_ID.fullmatch(upload_id) else None
        if stored is None:
            errors.append(
                "Satu unggahan tidak ditemukan lagi (mungkin sudah dibersihkan); "
                "pilih berkasnya lagi."
            )
        elif not stored.finished:
            errors.append(f"{stored.filename}: unggahan belum selesai; tunggu atau pilih lagi.")
        else:
            found.append(stored)
    return found, errors


def remove(stored: Stored) -> None:
    stored.path.unlink(missing_ok=True)
    stored.path.with_name(stored.path.name + ".info").unlink(missing_ok=True)


def keep(
    ctx: AppContext,
    user_id: int,
    case_id: int,
    phase: str,
    filename: str,
    data: bytes,
    filetype: str = "application/octet-stream",
) -> Stored:
    """Keep a good file of a refused plain-form submission as a finished upload, so the form
    can offer it again without the PIC sending it twice."""
    folder = user_folder(ctx, user_id)
    folder.mkdir(parents=True, exist_ok=True)
    upload_id = uuid.uuid4().hex
    path = folder / upload_id
    path.write_bytes(data)
    info = {
        "metadata": {
            "filename": filename,
            "filetype": filetype,
            "phase": phase,
            "case_id": str(case_id),
        },
        "size": len(data),
        "offset": len(data),
        "created_at": datetime.now(UTC).isoformat(),
        "expires": None,
    }
    path.with_name(upload_id + ".info").write_text(json.dumps(info), "utf-8")
    stored = _read(path)
    assert stored is not None
    return stored


def clean_stale(ctx: AppContext) -> dict[str, Any]:
    """The ``uploads`` job: remove uploads (finished or not) older than
    ``LAPOR_UPLOAD_MAX_AGE_HOURS`` that no follow-up took."""
    root = ctx.settings.upload_dir
    removed = 0
    freed = 0
    if root.is_dir():
        limit = time.time() - ctx.settings.upload_max_age_hours * 3600
        for folder in root.iterdir():
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if not UPLOAD_ID.fullmatch(path.name):
                    continue
                info = path.with_name(path.name + ".info")
                newest = max(path.stat().st_mtime, info.stat().st_mtime if info.exists() else 0.0)
                if newest < limit:
                    freed += path.stat().st_size
                    path.unlink(missing_ok=True)
                    info.unlink(missing_ok=True)
                    removed += 1
    return {"uploads_removed": removed, "bytes_freed": freed}
