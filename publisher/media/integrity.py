"""Structural checks on an upload that decodes: is it whole, and is it what it says it is?

A file can decode and still be damaged or odd. Two kinds of finding come out of here:

* **Damage** rejects the upload (:class:`~publisher.core.errors.MediaRejected`): an EXIF block
  that does not parse (the orientation cannot be trusted, so the photo might be published
  sideways, and a tampered block is how parser exploits arrive) and a HEIF whose item
  locations point past the end of the file (an interrupted upload: part of it never came).
* **Notes** keep the upload and say what was noticed, for the CLI's ``reason`` and the logs:
  a name whose extension disagrees with the content (the content decides, never the name) and
  bytes appended after a JPEG's image data (a phone's motion-photo video, an Ultra HDR gain
  map, or a second file glued on), which the pixel-only re-encode drops.
"""

from __future__ import annotations

import struct
from pathlib import PurePath

from PIL import Image

from publisher.core.errors import MediaRejected
from publisher.media.formats import MediaFormat, sniff
from publisher.media.mp4box import iter_boxes

# EXIF tags whose value must be an offset to another IFD (TIFF/EP, CIPA DC-008): Exif, GPS,
# Interoperability.
IFD_POINTER_TAGS = {0x8769: "Exif IFD", 0x8825: "GPS IFD", 0xA005: "Interoperability IFD"}

# Extensions that name each allow-listed format (the name is only compared, never trusted).
EXTENSIONS: dict[MediaFormat, frozenset[str]] = {
    MediaFormat.JPEG: frozenset({".jpg", ".jpeg", ".jpe", ".jfif"}),
    MediaFormat.PNG: frozenset({".png"}),
    MediaFormat.WEBP: frozenset({".webp"}),
    MediaFormat.HEIF: frozenset({".heic", ".heif", ".hif"}),
    MediaFormat.MP4: frozenset({".mp4", ".mov", ".m4v", ".qt", ".3gp"}),
}

DAMAGED_EXIF_MESSAGE = (
    "Data EXIF foto rusak sehingga arah foto tidak dapat dipastikan. "
    "Kirim ulang foto asli dari galeri ponsel."
)
TRUNCATED_MESSAGE = "Berkas foto terpotong (unggahan tidak lengkap). Kirim ulang fotonya."


def check_exif(image: Image.Image) -> None:
    """Reject a photo whose EXIF block is present but damaged."""
    raw = image.info.get("exif")
    if not raw:
        return
    try:
        exif = image.getexif()
    except Exception as exc:  # any parser failure on a hostile block is damage
        raise MediaRejected(
            f"EXIF block is damaged ({type(exc).__name__})", DAMAGED_EXIF_MESSAGE
        ) from None
    if len(exif) == 0:
        raise MediaRejected(
            f"EXIF block is damaged ({len(raw)} bytes, no tag parses)", DAMAGED_EXIF_MESSAGE
        )
    for tag, name in IFD_POINTER_TAGS.items():
        value = exif.get(tag)
        if value is not None and not isinstance(value, int):
            raise MediaRejected(
                f"EXIF block is damaged (the {name} pointer is not an offset)",
                DAMAGED_EXIF_MESSAGE,
            )


def _uint(data: bytes, pos: int, size: int) -> tuple[int, int]:
    """Read a big-endian unsigned integer of 0, 4 or 8 bytes; returns (value, next position)."""
    if size == 0:
        return 0, pos
    if pos + size > len(data) or size not in (4, 8):
        raise ValueError("iloc field out of bounds")
    return int.from_bytes(data[pos : pos + size], "big"), pos + size


def heif_extents_outside(data: bytes) -> list[int]:
    """IDs of HEIF items whose data (``iloc``, file-offset construction) lies past the end.

    ISO/IEC 14496-12, 8.11.3. A malformed ``iloc`` raises :class:`ValueError`.
    """
    iloc = next((b for b in iter_boxes(data) if b.kind == b"iloc" and b.path == (b"meta",)), None)
    if iloc is None:
        return []
    body = data[iloc.payload : iloc.end]
    if len(body) < 8:
        raise ValueError("iloc too short")
    version = body[0]
    if version > 2:
        raise ValueError(f"iloc version {version}")
    offset_size, length_size = body[4] >> 4, body[4] & 0x0F
    base_offset_size, index_size = body[5] >> 4, body[5] & 0x0F
    if version == 0:
        index_size = 0
    pos = 6
    if version < 2:
        (item_count,) = struct.unpack(">H", body[pos : pos + 2])
        pos += 2
    else:
        (item_count,) = struct.unpack(">I", body[pos : pos + 4])
        pos += 4
    outside: list[int] = []
    for _ in range(item_count):
        id_size = 2 if version < 2 else 4
        if pos + id_size > len(body):
            raise ValueError("iloc item out of bounds")
        item_id = int.from_bytes(body[pos : pos + id_size], "big")
        pos += id_size
        method = 0
        if version in (1, 2):
            if pos + 2 > len(body):
                raise ValueError("iloc item out of bounds")
            method = body[pos + 1] & 0x0F
            pos += 2
        if pos + 2 > len(body):
            raise ValueError("iloc item out of bounds")
        data_reference = struct.unpack(">H", body[pos : pos + 2])[0]
        pos += 2
        base, pos = _uint(body, pos, base_offset_size)
        if pos + 2 > len(body):
            raise ValueError("iloc item out of bounds")
        (extent_count,) = struct.unpack(">H", body[pos : pos + 2])
        pos += 2
        for _ in range(extent_count):
            if index_size:
                _index, pos = _uint(body, pos, index_size)
            offset, pos = _uint(body, pos, offset_size)
            length, pos = _uint(body, pos, length_size)
            # Only data in this file at a file offset can be checked; length 0 means "to the
            # end of the file", which is whole by definition.
            if method == 0 and data_reference == 0 and base + offset + length > len(data):
                outside.append(item_id)
    return sorted(set(outside))


def check_heif_whole(data: bytes) -> None:
    """Reject a HEIF whose declared item data is not all in the file."""
    try:
        outside = heif_extents_outside(data)
    except (ValueError, struct.error):
        raise MediaRejected(
            "HEIF item locations (iloc) do not parse", "Berkas foto tidak dapat dibaca."
        ) from None
    if outside:
        items = ", ".join(str(i) for i in outside)
        raise MediaRejected(
            f"file is cut off: the data of HEIF item(s) {items} lies past the end of the file",
            TRUNCATED_MESSAGE,
        )


def jpeg_image_end(data: bytes) -> int | None:
    """Offset just past the first image's EOI marker, or ``None`` when it has none.

    Walks the marker segments (bounds-checked) and the entropy-coded data after each SOS;
    progressive JPEGs have several scans.
    """
    pos = 2
    size = len(data)
    while pos + 2 <= size:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        if pos + 4 > size:
            return None
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        pos += 2 + length
        if marker == 0xDA:
            # Entropy-coded data: 0xFF is followed by 0x00 (stuffing) or a restart marker.
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= size:
                    return None
                following = data[pos + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    pos += 2
                    continue
                break
    return None


def _appended_kind(tail: bytes) -> str:
    kind = sniff(tail)
    if kind is MediaFormat.MP4:
        return "an MP4 video (a phone's motion photo)"
    if kind is MediaFormat.JPEG:
        return "a second JPEG (an Ultra HDR gain map or a preview)"
    if b"ftyp" in tail:
        return "vendor data holding an MP4 video (a phone's motion photo)"
    return "data that is not part of the image"


def notes_for(data: bytes, fmt: MediaFormat, name: str | None) -> tuple[str, ...]:
    """What was noticed about an accepted upload (English, for the CLI and the logs)."""
    notes: list[str] = []
    if name is not None:
        suffix = PurePath(name).suffix.lower()
        if not suffix:
            notes.append(f"the name has no extension; handled by content as {fmt.value.upper()}")
        elif suffix not in EXTENSIONS[fmt]:
            notes.append(
                f"the name says {suffix} but the content is {fmt.value.upper()}; handled by content"
            )
    if fmt is MediaFormat.JPEG:
        end = jpeg_image_end(data)
        tail = data[end:] if end is not None else b""
        extra = len(tail.rstrip(b"\x00"))
        if extra:
            kind = _appended_kind(tail)
            notes.append(f"dropped {extra:,} bytes appended after the image: {kind}")
    return tuple(notes)
