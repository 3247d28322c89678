"""Text in photos: personal data and number plates found by OCR and blurred.

A follow-up photo of a letter, a KTP, a receipt or a banner shows what it shows: a name, a phone
number, a NIK. The text is read with RapidOCR (``rapidocr``: PP-OCR detection and recognition
models run on onnxruntime; the models ship inside the wheel, so nothing is downloaded), each line
is run through the personal-data detector (:mod:`publisher.privacy.detector`), and the part of
the line that holds a finding is mosaic-blurred like a face. Number plates ("G 1234 AB") are a
kind the detector already knows, so a plate read on a vehicle is blurred the same way.

Where in the line a finding sits is estimated from its character offsets (the recogniser gives
one box per line), widened by a character on each side so proportional fonts cannot leave an
edge of it showing; a line with a finding in more than half of it is blurred whole.

OCR is the slow part of sanitising (about 1-2 s CPU per photo on this machine; figures in
``docs/performance.md``), so :func:`publisher.media.sanitize` reads text only when asked
(``blur_text=True``: the intake job); a photo uploaded through the web form is read
by drafting (:func:`publisher.posts.drafting.read_text_in_photos`) before any post is made.
Nothing loads at import time; the engine loads on first use, one per thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from publisher.media.faces import FaceBox, blur_boxes

# Lines the recogniser is less sure of than this are ignored (the library's own default).
MIN_TEXT_SCORE = 0.5
# A character of margin on each side of a finding, as a fraction of the line's width per char.
MARGIN_CHARS = 1.0
WHOLE_LINE_SHARE = 0.5

_local = threading.local()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextRegion:
    """A blurred stretch of text: where (upright pixels of the output) and what kind of data."""

    box: FaceBox
    kind: str

    def as_dict(self) -> dict[str, Any]:
        return {**self.box.as_dict(), "kind": self.kind}


@dataclass(frozen=True)
class TextLine:
    box: FaceBox  # axis-aligned bounds of the recognised line
    text: str


def _engine() -> Any:
    cached: Any = getattr(_local, "ocr", None)
    if cached is None:
        from rapidocr import RapidOCR

        cached = RapidOCR(
            params={
                # Upright phone photos: the angle classifier costs time and finds nothing.
                "Global.use_cls": False,
                "Global.log_level": "error",
                # One thread per photo: the service parallelises across uploads.
                "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )
        _local.ocr = cached
    return cached


def read_lines(image: Image.Image) -> list[TextLine]:
    """Every line of text the OCR engine reads in ``image`` (RGB), with its bounds."""
    result = _engine()(np.asarray(image.convert("RGB")))
    boxes = getattr(result, "boxes", None)
    texts = getattr(result, "txts", None) or ()
    scores = getattr(result, "scores", None) or ()
    if boxes is None:
        return []
    lines: list[TextLine] = []
    for quad, text, score in zip(boxes, texts, scores, strict=False):
        if float(score) < MIN_TEXT_SCORE or not str(text).strip():
            continue
        xs, ys = [float(p[0]) for p in quad], [float(p[1]) for p in quad]
        x0, y0 = max(0, int(min(xs))), max(0, int(min(ys)))
        x1, y1 = min(image.width, int(max(xs)) + 1), min(image.height, int(max(ys)) + 1)
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            lines.append(TextLine(FaceBox(x0, y0, x1 - x0, y1 - y0), str(text)))
    return lines


def sensitive_regions(lines: list[TextLine]) -> list[TextRegion]:
    """The stretches of ``lines`` that hold personal data or a number plate."""
    from publisher.privacy.detector import PersonalDataDetector

    detector = PersonalDataDetector()
    regions: list[TextRegion] = []
    for line in lines:
        for finding in detector.detect(line.text):
            regions.append(TextRegion(_span_box(line, finding.start, finding.end), finding.kind))
    return regions


def _span_box(line: TextLine, start: int, end: int) -> FaceBox:
    n = max(1, len(line.text))
    if (end - start) / n > WHOLE_LINE_SHARE:
        return line.box
    per_char = line.box.width / n
    x0 = line.box.x + max(0.0, (start - MARGIN_CHARS) * per_char)
    x1 = line.box.x + min(float(line.box.width), (end + MARGIN_CHARS) * per_char)
    # A little above and below too: recognised boxes hug the glyphs.
    pad = round(line.box.height * 0.15)
    return FaceBox(
        round(x0), max(0, line.box.y - pad), max(2, round(x1 - x0)), line.box.height + 2 * pad
    )


def blur_text_in_photo(jpeg: bytes) -> tuple[bytes, tuple[TextRegion, ...]]:
    """The same for an already sanitised photo (our own JPEG): a fresh metadata-free JPEG with
    the text blurred (the input as is when nothing was found), and the regions."""
    import io

    from publisher.media.photo import clean_copy, encode_jpeg

    with Image.open(io.BytesIO(jpeg), formats=["JPEG"]) as opened:
        image = clean_copy(opened.convert("RGB"))
    blurred, regions = blur_text(image)
    return (encode_jpeg(blurred) if regions else jpeg), regions


def blur_text(image: Image.Image) -> tuple[Image.Image, tuple[TextRegion, ...]]:
    """Blur the personal data and plates written in ``image``; returns the copy and regions."""
    regions = tuple(sensitive_regions(read_lines(image)))
    if not regions:
        return image, ()
    return blur_boxes(image, [r.box for r in regions]), regions
