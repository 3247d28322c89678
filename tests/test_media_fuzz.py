"""Mutated media never crash the sanitiser and never yield output with metadata.

A short run (a few dozen examples) is part of the default suite; the long run (2,000
examples) is marked slow and runs in CI.
"""

from __future__ import annotations

import functools
import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin, TiffImagePlugin

from publisher.core.errors import MediaRejected
from publisher.media import mp4box, sanitize
from publisher.media.photo import jpeg_metadata_segments

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
MEDIA = SHARED / "fixtures" / "media"
# Small fixtures only, so thousands of examples stay affordable.
FIXTURE_SEEDS = [
    "exif_gps/nikon_d3100_gps_TypeError.jpg",
    "exif_gps/kodak_cx7530_oddgps.jpg",
    "exif_gps/Nikon_D70.jpg",
    "heic/rgb_10bit_29x100.heif",
    "heic/multi_image_zPug_3.heic",
    "malformed/pillow_exif_gps_typeerror.jpg",
    "malformed/wrongext_jpeg_named.png",
    "orientation/samsung_s20ultra_ori6_ss-motion-photo-shortened.jpg",
    "video/av1_tiny.mp4",
    "video/iphone14pro_hevc10_dolbyvision_rot90_gps.mov",
]


def _generated() -> list[bytes]:
    image = Image.fromarray(
        np.random.default_rng(3).integers(0, 255, (48, 64, 3), dtype=np.uint8), "RGB"
    )
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x013B] = "Siti Rahayu"
    exif.get_ifd(0x8825)[2] = (TiffImagePlugin.IFDRational(6987654, 1_000_000), 0, 0)
    seeds = []
    for fmt, extra in (
        ("JPEG", {"exif": exif, "comment": b"0812 3456 7890"}),
        ("PNG", {"pnginfo": _pnginfo()}),
        ("WEBP", {"exif": exif}),
    ):
        out = io.BytesIO()
        image.save(out, fmt, **extra)
        seeds.append(out.getvalue())
    seeds.append(_clip())
    return seeds


def _pnginfo() -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Siti Rahayu")
    info.add_itxt("Comment", "0812 3456 7890", zip=True)
    return info


def _clip() -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mov") as container:
        container.metadata["title"] = "Siti Rahayu"
        video = container.add_stream("libx264", rate=Fraction(10))
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        for index in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), index * 40, np.uint8), "rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    return buffer.getvalue()


@functools.cache
def _seeds() -> tuple[bytes, ...]:
    found = [(MEDIA / name).read_bytes() for name in FIXTURE_SEEDS if (MEDIA / name).is_file()]
    return tuple(found + _generated())


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    seed = bytearray(draw(st.sampled_from(_seeds())))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "overwrite", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(0, len(seed) - 1)))
        if op == "flip" and seed:
            seed[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=8))
            seed[at : at + len(chunk)] = chunk
        elif op == "insert":
            seed[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif op == "delete":
            del seed[at : at + draw(st.integers(1, 64))]
        elif op == "truncate":
            del seed[max(4, at) :]
    return bytes(seed)


def _check(data: bytes) -> None:
    try:
        result = sanitize(data)
    except MediaRejected as exc:
        assert exc.reason and exc.user_message
        return
    for output in (result.data, result.unblurred):
        if output is None:
            continue
        if result.kind == "photo":
            assert jpeg_metadata_segments(output) == []
        else:
            assert mp4box.metadata_boxes(output) == []
            assert mp4box.is_faststart(output)
        assert b"Siti Rahayu" not in output and b"0812 3456 7890" not in output


@pytest.mark.timeout(120)
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_mutated_media_are_rejected_or_cleaned_never_crash(data: bytes) -> None:
    _check(data)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@settings(max_examples=2000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_two_thousand_mutated_media_are_rejected_or_cleaned_never_crash(data: bytes) -> None:
    _check(data)
