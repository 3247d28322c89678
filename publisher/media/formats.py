"""Identify an upload by its first bytes, never by its name or declared Content-Type.

Only the allow-listed containers are recognised: JPEG, PNG, WebP, HEIC/HEIF (ISO-BMFF with an
image brand) and MP4/MOV (ISO-BMFF with a movie brand). Anything else is ``None`` and is
rejected by the caller. Sniffing decides which single decoder may look at the bytes, so a
polyglot is only ever parsed as the format its header claims.
"""

from __future__ import annotations

import enum
import struct


class MediaFormat(enum.Enum):
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    HEIF = "heif"
    MP4 = "mp4"

    @property
    def is_video(self) -> bool:
        return self is MediaFormat.MP4


# ISO-BMFF brands (ISO/IEC 23008-12 for HEIF, 14496-12/14 and QuickTime for movies).
# AVIF ("avif", "avis") is deliberately absent: it is not on the allow-list.
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
MOVIE_BRANDS = frozenset(
    {
        b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1",
        b"M4V ", b"qt  ", b"MSNV", b"dash", b"3gp4", b"3gp5", b"3gp6", b"3g2a",
    }
)  # fmt: skip


def _ftyp_brands(data: bytes) -> list[bytes]:
    """The major brand followed by the compatible brands of a leading ``ftyp`` box."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return []
    size = struct.unpack(">I", data[:4])[0]
    if size < 16 or size > min(len(data), 4096):
        return []
    brands = [data[8:12]]
    brands.extend(data[i : i + 4] for i in range(16, size - 3, 4))
    return brands


def sniff(data: bytes) -> MediaFormat | None:
    """Return the allow-listed format the bytes start with, or ``None``."""
    if data[:3] == b"\xff\xd8\xff":
        return MediaFormat.JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return MediaFormat.PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return MediaFormat.WEBP
    brands = _ftyp_brands(data)
    if not brands:
        return None
    # The major brand decides when it is known; otherwise the first known compatible brand.
    for brand in brands:
        if brand in HEIF_BRANDS:
            return MediaFormat.HEIF
        if brand in MOVIE_BRANDS:
            return MediaFormat.MP4
    return None
