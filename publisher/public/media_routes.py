"""Signed, expiring media URLs: ``GET /public-media/{sha256}{suffix}?expires=...&sig=...``.

Instagram (and anyone holding a link we handed out) fetches renditions here. The signature is
checked against every configured secret key (rotation-safe) before the content-addressed store
is touched; an expired or forged link gets 403, an unknown file 404.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from publisher.media.public_urls import NAME, ROUTE, verify_media_signature
from publisher.web.deps import Ctx

MIME = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".mp4": "video/mp4"}


router = APIRouter(include_in_schema=False)  # a file route, not part of the JSON API


@router.get(ROUTE + "/{name}")
def media(ctx: Ctx, name: str, expires: int = 0, sig: str = "") -> FileResponse:
    if not verify_media_signature(ctx.settings.secret_keys, name, expires, sig):
        raise HTTPException(403, "Tautan media tidak sah atau sudah kedaluwarsa.")
    match = NAME.match(name)
    assert match is not None  # verified above
    sha, suffix = match.group("sha"), match.group("suffix")
    if not ctx.media.exists(sha, suffix):
        raise HTTPException(404, "Media tidak ditemukan.")
    return FileResponse(
        ctx.media.path(sha, suffix),
        media_type=MIME.get(suffix, "application/octet-stream"),
        headers={"Cache-Control": "private, max-age=300"},
    )
