"""What one destination accepts as media, as data: :class:`MediaLimits`.

The values belong to the platforms (each ``publisher/platforms/<name>/spec.py`` holds its own);
this module only defines their shape, so media fits a photo to a destination without knowing
which platform it is. Drafting and review pass a platform's limits in; media imports nothing of
the platforms. Nothing here raises.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024
JPEG_PNG = frozenset({"image/jpeg", "image/png"})
JPEG_PNG_WEBP = JPEG_PNG | {"image/webp"}
MP4 = frozenset({"video/mp4"})


@dataclass(frozen=True)
class MediaLimits:
    """Media one post may carry, and how a photo rendition is fitted. ``None``: no such limit."""

    max_items: int
    photo_max_bytes: int
    video_max_bytes: int
    video_max_seconds: float
    min_items: int = 0
    kinds: frozenset[str] = frozenset({"photo", "video"})
    mixed: bool = True  # photos and a video in one post
    max_videos: int | None = None  # videos in one post (None: as many as max_items)
    photo_mimes: frozenset[str] = JPEG_PNG_WEBP
    video_mimes: frozenset[str] = MP4
    # width / height, inclusive, for every item; renditions are cropped or padded into it.
    min_aspect: float | None = None
    max_aspect: float | None = None
    # (min, max) width / height for videos where the platform takes another range for them
    # (Instagram Reels take vertical 9:16 phone video); None: the range above applies.
    video_aspect: tuple[float, float] | None = None
    # Rendition sizes: preferred width when the source is at least that wide, then bounds.
    target_width: int | None = None
    min_width: int | None = None
    max_width: int | None = None
    max_long_side: int | None = None
    max_side_sum: int | None = None  # width + height
