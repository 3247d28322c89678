"""Turn an untrusted upload into a harmless, metadata-free file.

Photos are identified by content (Pillow), capped in pixels, turned upright from their EXIF
orientation, and re-encoded from the pixels alone into a fresh image: re-saving is not enough,
since encoders carry comments, EXIF GPS and XMP over. Any decoder exception is a rejection.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from publisher.errors import MediaRejected

MAX_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 50_000_000
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
OUTPUT_QUALITY = 88


@dataclass(frozen=True)
class SanitizedMedia:
    kind: str
    mime: str
    suffix: str
    data: bytes
    width: int
    height: int
    duration_s: float | None = None


def sanitize(data: bytes) -> SanitizedMedia:
    if len(data) > MAX_BYTES:
        raise MediaRejected(
            f"file is {len(data)} bytes, over the {MAX_BYTES} byte cap",
            "Berkas terlalu besar.",
        )
    try:
        return _sanitize_image(data)
    except MediaRejected:
        raise
    except Exception as exc:  # any decoder failure on hostile input is a rejection, not a crash
        raise MediaRejected(
            f"not a readable photo ({type(exc).__name__})",
            "Berkas bukan foto yang dapat dibaca.",
        ) from None


def _sanitize_image(data: bytes) -> SanitizedMedia:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise MediaRejected(
                    f"format {probe.format} is not allowed", "Format berkas tidak didukung."
                )
            if probe.width * probe.height > MAX_PIXELS:
                raise MediaRejected(
                    f"{probe.width}x{probe.height} is over the {MAX_PIXELS} pixel cap",
                    "Resolusi foto terlalu besar.",
                )
            probe.load()
            upright = ImageOps.exif_transpose(probe)
            rgb = upright.convert("RGB")
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=OUTPUT_QUALITY, optimize=True)
    return SanitizedMedia(
        kind="photo",
        mime="image/jpeg",
        suffix=".jpg",
        data=out.getvalue(),
        width=clean.width,
        height=clean.height,
    )
