"""Value types shared by the media modules."""

from __future__ import annotations

from dataclasses import dataclass, field

from publisher.media.faces import FaceBox
from publisher.media.text import TextRegion


@dataclass(frozen=True)
class VideoFaceHit:
    """Faces found in one sampled video frame (upright coordinates of the output video)."""

    time_s: float
    boxes: tuple[FaceBox, ...]


@dataclass(frozen=True)
class SanitizedMedia:
    """A harmless, metadata-free rendition of an upload.

    ``data`` is what may be shown: for photos with ``blur_faces`` it has every detected face
    blurred and ``unblurred`` holds the same sanitised picture without the blur (to be stored
    where only a reviewer who records a reason can reach it). ``face_boxes`` are padded boxes
    in ``data``'s pixel coordinates. A video in which sampled keyframes show faces comes back
    with the faces blurred in every frame, ``held_for_review`` set (a reviewer releases it with
    a reason) and ``video_faces`` saying where.
    """

    kind: str
    mime: str
    suffix: str
    data: bytes
    width: int
    height: int
    duration_s: float | None = None
    face_boxes: tuple[FaceBox, ...] = ()
    unblurred: bytes | None = None
    held_for_review: bool = False
    video_faces: tuple[VideoFaceHit, ...] = ()
    source_format: str = ""
    actions: tuple[str, ...] = field(default=())
    # What was noticed about an accepted upload, in English (CLI ``reason``, logs): a name
    # that disagrees with the content, bytes dropped from after the image.
    notes: tuple[str, ...] = field(default=())
    # Personal data and number plates read in a photo and blurred (publisher.media.text); None
    # when the text was not read (``blur_text`` not asked for: drafting reads it).
    text_regions: tuple[TextRegion, ...] | None = None
