"""Signed, expiring media URLs: ``GET /public-media/{sha256}{suffix}?expires=...&sig=...``.

Instagram (and anyone holding a link we handed out) fetches renditions here. The signature is
checked against every configured secret key (rotation-safe) before the content-addressed store
is touched; an expired or forged link gets 403, an unknown file 404.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from publisher.core.errors import MediaMissing, MediaStoreUnavailable
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
    try:
        # A file on this machine: the store's own, or a cached copy of a bucket's object.
        path = ctx.media.local_path(sha, suffix)
    except MediaMissing:
        raise HTTPException(404, "Media tidak ditemukan.") from None
    except MediaStoreUnavailable:
        raise HTTPException(
            503, "Media sedang tidak dapat diambil.", headers={"Retry-After": "30"}
        ) from None
    return FileResponse(
        path,
        media_type=MIME.get(suffix, "application/octet-stream"),
        headers={"Cache-Control": "private, max-age=300"},
    )
