"""Recognising a picture by what it shows, not by its bytes: perceptual hashes (``imagehash``'s
pHash) of a photo or of a video's keyframes.

A reporter's photo re-attached by a PIC as "before", re-encoded by sanitising or resized into a
platform's rendition has another SHA-256 but nearly the same pHash, so drafting and the public
pages compare these (issue 16). A flat image (a test swatch, a black frame) carries no likeness
and matches nothing: every flat picture has the same pHash.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import cv2
import imagehash
from PIL import Image, ImageStat, UnidentifiedImageError

# Bits of the 64 that may differ between renditions of one picture. Resizing and JPEG
# re-encoding move a pHash by a few bits; unrelated photos differ by about 32.
HAMMING_LIMIT = 10
# Below this grey-level spread a picture is flat and its pHash says nothing.
FLAT_STDDEV = 4.0
VIDEO_KEYFRAMES = 5


def _photo_hash(image: Image.Image) -> imagehash.ImageHash | None:
    grey = image.convert("L")
    if ImageStat.Stat(grey).stddev[0] < FLAT_STDDEV:
        return None
    return imagehash.phash(grey)


def _video_hashes(path: Path) -> tuple[imagehash.ImageHash, ...]:
    capture = cv2.VideoCapture(str(path))
    try:
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or 1
        found = []
        for index in sorted({frames * k // VIDEO_KEYFRAMES for k in range(VIDEO_KEYFRAMES)}):
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, frame = capture.read()
            if not ok:
                continue
            found.append(_photo_hash(Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))))
        return tuple(h for h in found if h is not None)
    finally:
        capture.release()


@lru_cache(maxsize=4096)
def fingerprints(path: Path) -> tuple[imagehash.ImageHash, ...]:
    """The pHashes of a stored photo or of a video's keyframes; empty when the file is absent,
    unreadable or flat. Cached by path: the stores are content-addressed, a path never changes
    content."""
    if not path.is_file():
        return ()
    if path.suffix.lower() in (".mp4", ".mov", ".webm"):
        return _video_hashes(path)
    try:
        with Image.open(path) as image:
            found = _photo_hash(image)
    except (OSError, UnidentifiedImageError, ValueError):
        return ()
    return (found,) if found is not None else ()


def looks_like(
    candidate: Iterable[imagehash.ImageHash], known: Iterable[imagehash.ImageHash]
) -> bool:
    """Whether any picture of ``candidate`` is one of ``known`` by content."""
    known = tuple(known)
    return any(c - k <= HAMMING_LIMIT for c in candidate for k in known)
