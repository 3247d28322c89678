"""A small, bounds-checked ISO-BMFF (MP4/MOV) box walker.

Used on files we wrote ourselves (to check faststart, edit lists and metadata boxes, and to set
the video track's display matrix, which PyAV cannot set) and read-only on uploads (to read the
display matrix). Every size is checked against the buffer, so a hostile file can only make it
stop early, never read out of bounds or loop.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

# Boxes whose payload is a sequence of child boxes (``meta`` is a full box: 4 bytes first).
CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"udta", b"dinf"})
FULL_CONTAINERS = frozenset({b"meta"})
# Boxes that carry descriptive metadata (titles, comments, location, maker tags) rather than
# anything needed to play the file.
METADATA_BOXES = frozenset({b"udta", b"meta", b"ilst", b"\xa9xyz", b"loci", b"uuid", b"XMP_"})
MAX_DEPTH = 8


@dataclass(frozen=True)
class Box:
    kind: bytes
    start: int  # offset of the box header
    payload: int  # offset of the payload
    end: int
    path: tuple[bytes, ...]

    @property
    def name(self) -> str:
        return "/".join(p.decode("latin-1") for p in (*self.path, self.kind))


def iter_boxes(
    data: bytes, start: int = 0, end: int | None = None, path: tuple[bytes, ...] = ()
) -> Iterator[Box]:
    """Yield every box, depth first, descending into known containers."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            if pos + 16 > end:
                return
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return
        box = Box(kind, pos, pos + header, pos + size, path)
        yield box
        if len(path) < MAX_DEPTH:
            if kind in CONTAINERS:
                yield from iter_boxes(data, box.payload, box.end, (*path, kind))
            elif kind in FULL_CONTAINERS:
                yield from iter_boxes(data, box.payload + 4, box.end, (*path, kind))
        pos += size


def top_level_order(data: bytes) -> list[bytes]:
    return [b.kind for b in iter_boxes(data) if not b.path]


def is_faststart(data: bytes) -> bool:
    order = top_level_order(data)
    return b"moov" in order and b"mdat" in order and order.index(b"moov") < order.index(b"mdat")


def has_edit_list(data: bytes) -> bool:
    return any(b.kind == b"elst" for b in iter_boxes(data))


# FFmpeg's mov muxer always writes an empty iTunes list (moov/udta/meta{hdlr, ilst}); it holds
# nothing, so it is the only metadata structure tolerated.
_EMPTY_ILST_NAMES = frozenset({"moov/udta", "moov/udta/meta", "moov/udta/meta/hdlr"})


def metadata_boxes(data: bytes) -> list[str]:
    """Names of boxes that carry (or may carry) descriptive metadata."""
    found: list[str] = []
    for box in iter_boxes(data):
        inside = bool(set(box.path) & {b"udta", b"meta", b"ilst"})
        if box.name in _EMPTY_ILST_NAMES:
            continue
        if box.name == "moov/udta/meta/ilst" and box.end - box.payload == 0:
            continue
        if inside or box.kind in METADATA_BOXES:
            found.append(box.name)
    return found


def _video_track_tkhd(data: bytes) -> Box | None:
    """The ``tkhd`` of the first track whose handler is ``vide``."""
    boxes = list(iter_boxes(data))
    for trak in (b for b in boxes if b.kind == b"trak" and b.path == (b"moov",)):
        inner = [b for b in boxes if trak.start < b.start < trak.end]
        handler = next((b for b in inner if b.kind == b"hdlr"), None)
        tkhd = next((b for b in inner if b.kind == b"tkhd"), None)
        if handler is None or tkhd is None:
            continue
        if data[handler.payload + 8 : handler.payload + 12] == b"vide":
            return tkhd
    return None


def _matrix_offset(data: bytes, tkhd: Box) -> int | None:
    version = data[tkhd.payload]
    offset = tkhd.payload + 4 + (32 if version == 1 else 20) + 16
    return offset if offset + 36 <= tkhd.end else None


def read_video_matrix(data: bytes) -> tuple[int, ...] | None:
    """The video track's 3x3 display matrix (nine big-endian 32-bit values), if any."""
    tkhd = _video_track_tkhd(data)
    if tkhd is None:
        return None
    offset = _matrix_offset(data, tkhd)
    if offset is None:
        return None
    return struct.unpack(">9i", data[offset : offset + 36])


def write_video_matrix(data: bytes, matrix: tuple[int, ...]) -> bytes:
    """A copy of ``data`` with the video track's display matrix replaced (same length)."""
    tkhd = _video_track_tkhd(data)
    offset = _matrix_offset(data, tkhd) if tkhd is not None else None
    if offset is None:
        raise ValueError("no video track header to write the display matrix into")
    out = bytearray(data)
    out[offset : offset + 36] = struct.pack(">9i", *matrix)
    return bytes(out)


IDENTITY_MATRIX = (0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
