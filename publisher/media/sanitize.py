"""Turn an untrusted upload into a harmless, metadata-free file.

The format is decided by content (:mod:`publisher.media.formats`), never by name; only
JPEG, PNG, WebP, HEIC/HEIF, MP4 and MOV pass. Photos are capped in bytes and pixels before any
pixel is decoded, turned upright from their EXIF orientation by our own table, converted to
sRGB and re-encoded from the pixels alone into a fresh JPEG (re-saving is not enough: encoders
carry comments, EXIF GPS and XMP over). A photo that decodes but is damaged (an EXIF block that
does not parse, a HEIF cut off before all its items) is rejected too
(:mod:`publisher.media.integrity`). Faces are blurred by default. Personal data and number plates
written in the photo are blurred with ``blur_text=True`` (:mod:`publisher.media.text`, OCR: a
second or more a photo, so it is asked for by the intake job and the CLI, not by a request;
without it ``text_regions`` is None and drafting reads the text before a post is made). Videos go to
:mod:`publisher.media.video`.

Errors: everything unacceptable raises :class:`publisher.core.errors.MediaRejected` with an English
``reason`` (logs, CLI) and a Bahasa Indonesia ``user_message`` (shown to the PIC). Any other
exception from a decoder on hostile input is turned into a rejection, never a crash.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PIL import Image

from publisher.core.errors import MediaRejected
from publisher.media.faces import FaceBox, blur_detected
from publisher.media.formats import MediaFormat, sniff
from publisher.media.integrity import check_exif, check_heif_whole, notes_for
from publisher.media.model import SanitizedMedia
from publisher.media.photo import (
    MAX_PIXELS,
    clean_copy,
    decode_upright,
    encode_jpeg,
    exif_orientation,
    fit_within,
    open_photo,
    upright_size,
)
from publisher.media.text import TextRegion
from publisher.media.text import blur_text as blur_text_in

if TYPE_CHECKING:
    from publisher.media.video import VideoLimits

MAX_BYTES = 40 * 1024 * 1024
MAX_VIDEO_BYTES = 400 * 1024 * 1024
# Sanitised masters are kept at most this large; 12 MP phone photos (4032 px) pass untouched.
SANITIZED_MAX_SIDE = 4096

__all__ = ["MAX_BYTES", "MAX_PIXELS", "MAX_VIDEO_BYTES", "SanitizedMedia", "sanitize"]


def sanitize(
    data: bytes,
    *,
    blur_faces: bool = True,
    blur_text: bool = False,
    max_side: int = SANITIZED_MAX_SIDE,
    video_limits: VideoLimits | None = None,
    name: str | None = None,
) -> SanitizedMedia:
    """Validate and clean one upload; raises :class:`MediaRejected` for anything unacceptable.

    ``name`` (the uploaded file's name, when there is one) never decides anything: it is only
    compared with the content, and a disagreement is noted on the result."""
    fmt = sniff(data)
    if fmt is None:
        raise MediaRejected(
            "content is not JPEG, PNG, WebP, HEIC/HEIF, MP4 or MOV",
            "Format berkas tidak didukung. Kirim foto (JPEG/PNG/WebP/HEIC) atau video (MP4/MOV).",
        )
    cap = MAX_VIDEO_BYTES if fmt.is_video else MAX_BYTES
    if len(data) > cap:
        raise MediaRejected(
            f"file is {len(data)} bytes, over the {cap} byte cap", "Berkas terlalu besar."
        )
    try:
        if fmt.is_video:
            from publisher.media.video import DEFAULT_VIDEO_LIMITS, sanitize_video

            video = sanitize_video(
                data, blur_faces=blur_faces, limits=video_limits or DEFAULT_VIDEO_LIMITS
            )
            return replace(video, notes=notes_for(data, fmt, name))
        photo = _sanitize_photo(
            data, fmt, blur_faces=blur_faces, blur_text=blur_text, max_side=max_side
        )
        return replace(photo, notes=notes_for(data, fmt, name))
    except MediaRejected:
        raise
    except MemoryError:
        raise MediaRejected("ran out of memory decoding", "Berkas terlalu besar.") from None
    except Exception as exc:  # any decoder failure on hostile input is a rejection, not a crash
        noun = "video" if fmt.is_video else "photo"
        raise MediaRejected(
            f"not a readable {noun} ({type(exc).__name__})",
            "Berkas video tidak dapat dibaca."
            if fmt.is_video
            else "Berkas foto tidak dapat dibaca.",
        ) from None


def _sanitize_photo(
    data: bytes, fmt: MediaFormat, *, blur_faces: bool, blur_text: bool, max_side: int
) -> SanitizedMedia:
    actions: list[str] = []
    if fmt is MediaFormat.HEIF:
        check_heif_whole(data)
    with open_photo(data, fmt) as opened:
        check_exif(opened)
        orientation = exif_orientation(opened)
        if orientation != 1:
            actions.append(f"oriented:{orientation}")
        upright = upright_size(opened.width, opened.height, orientation)
        target = fit_within(upright, max_side)
        wants_draft = target != upright
        image = decode_upright(opened, min_size=target if wants_draft else None)
    if image.size != target:
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        actions.append(f"downscaled:{target[0]}x{target[1]}")
    clean = clean_copy(image)
    del image
    unblurred: bytes | None = None
    boxes: tuple[FaceBox, ...] = ()
    regions: tuple[TextRegion, ...] | None = None
    if blur_text:
        # Text first: the "unblurred" copy a reviewer may publish shows faces, never the text.
        clean, regions = blur_text_in(clean)
        if regions:
            actions.append(f"text_blurred:{len(regions)}")
    if blur_faces:
        blurred, boxes = blur_detected(clean)
        if boxes:
            unblurred = encode_jpeg(clean)
            clean = blurred
            actions.append(f"faces_blurred:{len(boxes)}")
    return SanitizedMedia(
        kind="photo",
        mime="image/jpeg",
        suffix=".jpg",
        data=encode_jpeg(clean),
        width=clean.width,
        height=clean.height,
        face_boxes=boxes,
        unblurred=unblurred,
        source_format=fmt.value,
        actions=tuple(actions),
        text_regions=regions,
    )
