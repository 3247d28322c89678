"""One way to record a sanitised upload on its ``media`` row, whichever channel it came by.

WhatsApp and the case feeds (:mod:`publisher.intake.sources.download`) and the PIC's web form
(:mod:`publisher.intake.pic_routes`) both call :func:`publisher.media.sanitize`, which blurs the
faces it finds and marks a video with faces as held for review. What it answers must reach the
row the same way on every channel (issue 22: a web-form video with a face was stored blurred
but not held, and its face boxes and the private unblurred copy were lost), hence this one
function rather than a copy per channel.
"""

from __future__ import annotations

from publisher.db.models import Media
from publisher.media import MediaStore, SanitizedMedia


def record_sanitized(
    media: Media, result: SanitizedMedia, store: MediaStore, private_store: MediaStore
) -> None:
    """Store ``result`` (the public copy in ``store``, the copy without face blur, if any, in
    ``private_store``, which is never served) and fill ``media`` from it: the file, the face
    boxes, whether it is held for review, the text regions read (None: not read yet) and the
    size. The row's state is the caller's (``ok`` once this returns)."""
    media.sha256 = store.put(result.data, result.suffix)
    if result.unblurred is not None:
        media.unblurred_sha256 = private_store.put(result.unblurred, result.suffix)
    media.face_boxes = [box.as_dict() for box in result.face_boxes]
    media.held_for_review = result.held_for_review
    if result.text_regions is not None:
        media.text_regions = [r.as_dict() for r in result.text_regions]
    media.kind, media.mime = result.kind, result.mime
    media.size_bytes = len(result.data)
    media.width, media.height = result.width, result.height
    media.duration_s = result.duration_s
