"""Recognising a picture by what it shows, not by its bytes: perceptual hashes (``imagehash``'s
pHash) and ORB features (OpenCV) of a photo or of a video's keyframes.

A reporter's photo re-attached by a PIC as "before", re-encoded by sanitising or resized into a
platform's rendition has another SHA-256 but nearly the same pHash, so drafting and the public
pages compare these (issue 16). A flat image (a test swatch, a black frame) carries no likeness
and matches nothing: every flat picture has the same pHash.

A crop (the PIC keeps 60 % of the reporter's photo, then the phone resizes and re-encodes it)
moves the pHash as far as an unrelated photo, so each picture also carries ORB keypoints: two
pictures are one when enough matched keypoints agree on one similarity transform (RANSAC: a
shift, a rotation and one scale, which is what cropping and resizing do). Measured on textured
generated scenes (tests/test_privacy_media_likeness.py): a 60 % crop keeps 150+ agreeing
keypoints, unrelated scenes at most 5; pictures made of a few flat shapes keep fewer keypoints
and a crop of them may be missed (docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import imagehash
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageStat, UnidentifiedImageError

from publisher.core.errors import MediaMissing
from publisher.media.store import MediaStore

# Bits of the 64 that may differ between renditions of one picture. Resizing and JPEG
# re-encoding move a pHash by a few bits; unrelated photos differ by about 32.
HAMMING_LIMIT = 10
# Below this grey-level spread a picture is flat and its pHash says nothing.
FLAT_STDDEV = 4.0
VIDEO_KEYFRAMES = 5
# ORB on a copy no larger than this (pixels per side): enough detail, bounded cost.
ORB_SIDE = 640
ORB_FEATURES = 1000
# Lowe's ratio test, then RANSAC: matches agreeing on one transform within this many pixels.
ORB_RATIO = 0.75
ORB_REPROJECTION_PX = 4.0
# Agreeing keypoints that make two pictures one (crops of one scene: 150+; unrelated: <= 13,
# on flat synthetic shapes the worst case).
ORB_MIN_INLIERS = 25


@dataclass(frozen=True, eq=False)
class Likeness:
    """What a picture shows: its pHash and its ORB keypoints (positions and descriptors)."""

    phash: imagehash.ImageHash
    points: npt.NDArray[np.float32]
    descriptors: npt.NDArray[np.uint8] | None


def _photo_hash(image: Image.Image) -> Likeness | None:
    grey = image.convert("L")
    if ImageStat.Stat(grey).stddev[0] < FLAT_STDDEV:
        return None
    small = grey.copy()
    small.thumbnail((ORB_SIDE, ORB_SIDE))
    # A detector per call: OpenCV objects are not shared between the web app's threads.
    keypoints, descriptors = cv2.ORB.create(nfeatures=ORB_FEATURES).detectAndCompute(
        np.asarray(small), None
    )
    points = np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2)
    found = None if descriptors is None else np.asarray(descriptors, dtype=np.uint8)
    return Likeness(imagehash.phash(grey), points, found)


def _same_scene(a: Likeness, b: Likeness) -> bool:
    if a.descriptors is None or b.descriptors is None:
        return False
    if len(a.descriptors) < ORB_MIN_INLIERS or len(b.descriptors) < ORB_MIN_INLIERS:
        return False
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(a.descriptors, b.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < ORB_RATIO * p[1].distance]
    if len(good) < ORB_MIN_INLIERS:
        return False
    transform, inliers = cv2.estimateAffinePartial2D(
        a.points[[m.queryIdx for m in good]],
        b.points[[m.trainIdx for m in good]],
        method=cv2.RANSAC,
        ransacReprojThreshold=ORB_REPROJECTION_PX,
    )
    return transform is not None and int(inliers.sum()) >= ORB_MIN_INLIERS


def _video_hashes(path: Path) -> tuple[Likeness, ...]:
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


def stored_fingerprints(store: MediaStore, sha256: str, suffix: str) -> tuple[Likeness, ...]:
    """The likeness of a file in ``store``; empty when the store does not hold it. A store
    that cannot be reached raises (MediaStoreUnavailable): a privacy check must not pass
    because the reporter's pictures could not be read."""
    try:
        path = store.local_path(sha256, suffix)
    except MediaMissing:
        return ()
    return fingerprints(path)


@lru_cache(maxsize=4096)
def fingerprints(path: Path) -> tuple[Likeness, ...]:
    """The likeness of a stored photo or of a video's keyframes; empty when the file is absent,
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
    candidate: Iterable[Likeness], known: Iterable[Likeness], *, crops: bool = True
) -> bool:
    """Whether any picture of ``candidate`` is one of ``known`` by content: the same picture
    (pHash, a few microseconds a pair, first) or, with ``crops``, a crop of it (ORB keypoints,
    about 10 ms a pair: compare with one case's pictures, not with every case's)."""
    known = tuple(known)
    candidate = tuple(candidate)
    if any(c.phash - k.phash <= HAMMING_LIMIT for c in candidate for k in known):
        return True
    return crops and any(_same_scene(c, k) for c in candidate for k in known)
