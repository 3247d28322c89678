"""Uploads that decode but are damaged are rejected; odd but whole ones are kept with a note."""

from __future__ import annotations

import contextlib
import io
import json
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from publisher.core.errors import MediaRejected
from publisher.media import sanitize
from publisher.media.cli import sanitize_files
from publisher.media.integrity import heif_extents_outside, jpeg_image_end


def _jpeg(*, progressive: bool = False, exif: bytes | None = None) -> bytes:
    image = Image.new("RGB", (64, 48), (30, 120, 200))
    for x in range(0, 64, 4):
        image.putpixel((x, x % 48), (255, 255, 255))  # some detail, so 0xFF bytes occur
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 90, "progressive": progressive}
    if exif is not None:
        options["exif"] = exif
    image.save(out, format="JPEG", **options)
    return out.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _heif_with_iloc(version: int, extents: list[tuple[int, int, int]], padding: int) -> bytes:
    """A minimal ISO-BMFF: ftyp, meta{iloc}, then ``padding`` bytes of item data.

    ``extents`` are (item id, file offset, length), 4-byte offsets and lengths, no base offset.
    """
    body = bytes([version, 0, 0, 0, 0x44, 0x00])
    body += struct.pack(">H" if version < 2 else ">I", len(extents))
    for item_id, offset, length in extents:
        body += struct.pack(">H" if version < 2 else ">I", item_id)
        if version in (1, 2):
            body += b"\x00\x00"  # construction method 0: a file offset
        body += struct.pack(">HH", 0, 1)  # data reference 0 (this file), one extent
        body += struct.pack(">II", offset, length)
    meta = _box(b"meta", b"\x00\x00\x00\x00" + _box(b"iloc", body))
    ftyp = _box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic")
    return ftyp + meta + b"\x00" * padding


@pytest.mark.parametrize("version", [0, 1, 2])
def test_it_finds_the_heif_items_whose_data_lies_past_the_end_of_the_file(version: int) -> None:
    data = _heif_with_iloc(version, [(1, 60, 10), (2, 100, 5000)], padding=200)
    assert heif_extents_outside(data) == [2]


def test_a_heif_with_every_item_inside_the_file_is_whole() -> None:
    data = _heif_with_iloc(1, [(1, 60, 10), (2, 70, 20)], padding=200)
    assert heif_extents_outside(data) == []


def test_a_cut_off_heif_is_rejected_as_an_interrupted_upload() -> None:
    data = _heif_with_iloc(1, [(1, 60, 10), (2, 100, 5000)], padding=200)
    with pytest.raises(MediaRejected) as caught:
        sanitize(data)
    assert "file is cut off" in caught.value.reason
    assert "Kirim ulang" in caught.value.user_message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_the_iloc_reader_fails_only_with_value_errors_on_garbage(body: bytes) -> None:
    data = _box(b"ftyp", b"heic\x00\x00\x00\x00") + _box(
        b"meta", b"\x00\x00\x00\x00" + _box(b"iloc", body)
    )
    with contextlib.suppress(ValueError, struct.error):
        heif_extents_outside(data)


def test_a_jpeg_whose_exif_block_does_not_parse_is_rejected() -> None:
    data = _jpeg(exif=b"Exif\x00\x00" + b"\x13\x37" * 40)
    with pytest.raises(MediaRejected) as caught:
        sanitize(data, blur_faces=False)
    assert caught.value.reason.startswith("EXIF block is damaged")
    assert "arah foto" in caught.value.user_message


def test_a_jpeg_with_a_sound_exif_block_is_accepted() -> None:
    exif = Image.Exif()
    exif[0x0112] = 1
    exif[0x010F] = "Generated"
    result = sanitize(_jpeg(exif=exif.tobytes()), blur_faces=False)
    assert result.notes == ()


@pytest.mark.parametrize("progressive", [False, True])
def test_it_finds_where_the_image_data_of_a_jpeg_ends(progressive: bool) -> None:
    data = _jpeg(progressive=progressive)
    assert jpeg_image_end(data) == len(data)
    assert jpeg_image_end(data + b"\x00\x00\x00\x18ftypmp42tail") == len(data)


def test_a_truncated_jpeg_has_no_end() -> None:
    data = _jpeg()
    assert jpeg_image_end(data[: len(data) // 2]) is None


def test_it_decides_by_content_and_notes_a_name_that_disagrees() -> None:
    data = _jpeg()
    assert sanitize(data, blur_faces=False, name="bukti.jpeg").notes == ()
    assert sanitize(data, blur_faces=False, name="bukti.png").notes == (
        "the name says .png but the content is JPEG; handled by content",
    )
    assert sanitize(data, blur_faces=False, name="bukti").notes == (
        "the name has no extension; handled by content as JPEG",
    )
    assert sanitize(data, blur_faces=False).notes == ()


def test_it_notes_a_video_appended_to_a_photo_and_drops_it() -> None:
    video = _box(b"ftyp", b"mp42\x00\x00\x00\x00isom") + _box(b"mdat", b"\x01" * 500)
    result = sanitize(_jpeg() + video, blur_faces=False)
    assert result.notes == (
        f"dropped {len(video):,} bytes appended after the image: "
        "an MP4 video (a phone's motion photo)",
    )
    assert b"ftyp" not in result.data


def test_the_cli_gives_an_accepted_file_a_reason_when_something_was_noticed(
    tmp_path: Path,
) -> None:
    plain = tmp_path / "plain.jpg"
    plain.write_bytes(_jpeg())
    renamed = tmp_path / "renamed.png"
    renamed.write_bytes(_jpeg())
    records = list(sanitize_files([plain, renamed], tmp_path / "out", blur_faces=False))
    assert [r["status"] for r in records] == ["ok", "ok"]
    assert records[0]["reason"] is None
    assert records[1]["reason"] == "the name says .png but the content is JPEG; handled by content"
    json.dumps(records)  # each is one JSON line
