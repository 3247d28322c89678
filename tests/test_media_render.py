"""Platform renditions follow each platform's media limits, never distort, brand, and stay small."""

from __future__ import annotations

import datetime as dt
import io
import time

import numpy as np
import pytest
from PIL import Image, ImageDraw

from publisher.core.errors import MediaRejected
from publisher.media import BannerText, before_after_collage, render_for_platform
from publisher.media.photo import jpeg_metadata_segments
from publisher.media.render import PAD_COLOUR, tanggal, target_size
from publisher.platforms.registry import specs

LIMITS = {spec.name: spec.media for spec in specs()}

BANNER = BannerText("Dinas Lingkungan Hidup", dt.date(2026, 8, 17))


def _jpeg(size: tuple[int, int], *, orientation: int = 1, quality: int = 90) -> bytes:
    """A picture with a circle (to see distortion) and a red top-left corner (to see rotation)."""
    image = Image.new("RGB", size, (40, 160, 90))
    draw = ImageDraw.Draw(image)
    r = min(size) // 3
    cx, cy = size[0] // 2, size[1] // 2
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(250, 250, 250))
    draw.rectangle((0, 0, size[0] // 8, size[1] // 8), fill=(255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("platform", sorted(LIMITS))
@pytest.mark.parametrize(
    "size", [(4032, 3024), (3024, 4032), (4000, 1000), (900, 3600), (200, 150)]
)
def test_every_rendition_meets_its_platform_rules(platform: str, size: tuple[int, int]) -> None:
    rule = LIMITS[platform]
    data = render_for_platform(_jpeg(size), LIMITS[platform])
    image = _open(data)
    w, h = image.size
    assert image.format == "JPEG" and jpeg_metadata_segments(data) == []
    assert len(data) <= rule.photo_max_bytes
    if rule.min_aspect is not None:
        assert w / h >= rule.min_aspect - 0.01
    if rule.max_aspect is not None:
        assert w / h <= rule.max_aspect + 0.01
    if rule.min_width is not None:
        assert w >= rule.min_width
    if rule.max_width is not None:
        assert w <= rule.max_width
    if rule.max_long_side is not None:
        assert max(w, h) <= rule.max_long_side
    if rule.max_side_sum is not None:
        assert w + h <= rule.max_side_sum


def test_a_twelve_megapixel_portrait_becomes_instagram_1080_by_1350() -> None:
    image = _open(render_for_platform(_jpeg((3024, 4032)), LIMITS["instagram"]))
    assert image.size == (1080, 1350)


def test_a_very_wide_photo_is_padded_not_stretched() -> None:
    data = render_for_platform(_jpeg((4000, 1000)), LIMITS["instagram"], fit="auto")
    pixels = np.asarray(_open(data).convert("RGB"), dtype=np.int16)
    assert np.abs(pixels[2, pixels.shape[1] // 2] - PAD_COLOUR).max() < 12  # band above
    # The circle stays round: its width and height (in white pixels) match.
    white = (pixels > 200).all(axis=2)
    rows, cols = np.where(white)
    height, width = rows.max() - rows.min(), cols.max() - cols.min()
    assert abs(height - width) <= 0.05 * width


def test_a_cropped_photo_keeps_its_circle_round() -> None:
    data = render_for_platform(_jpeg((3024, 4032)), LIMITS["instagram"], fit="crop")
    white = (np.asarray(_open(data).convert("RGB")) > 200).all(axis=2)
    rows, cols = np.where(white)
    assert abs((rows.max() - rows.min()) - (cols.max() - cols.min())) <= 12


def test_the_exif_orientation_is_applied_before_rendering() -> None:
    # Stored sideways with orientation 6 (turn 90 degrees clockwise to view): the red corner
    # stored at top-left must be shown at top-right.
    data = render_for_platform(_jpeg((1600, 1200), orientation=6), LIMITS["folder"])
    pixels = np.asarray(_open(data).convert("RGB"))
    assert pixels.shape[:2] == (1600, 1200)
    assert pixels[10, -10, 0] > 200 and pixels[10, -10, 1] < 60
    assert pixels[10, 10, 0] < 100


def test_the_banner_band_is_drawn_at_the_bottom_in_the_brand_colour() -> None:
    plain = _open(render_for_platform(_jpeg((3024, 4032)), LIMITS["instagram"]))
    branded = _open(render_for_platform(_jpeg((3024, 4032)), LIMITS["instagram"], banner=BANNER))
    assert branded.size == plain.size
    bottom = np.asarray(branded.convert("RGB"))[-5, 5].astype(int)
    assert np.abs(bottom - (12, 74, 110)).max() < 16


def test_the_collage_is_instagram_sized_branded_and_quick() -> None:
    before, after = _jpeg((4032, 3024)), _jpeg((3024, 4032), orientation=8)
    before_after_collage(before, after, BANNER)  # warm the font cache
    started = time.perf_counter()
    data = before_after_collage(before, after, BANNER)
    elapsed = time.perf_counter() - started
    image = _open(data)
    assert image.size == (1080, 1350)
    assert jpeg_metadata_segments(data) == []
    assert elapsed < 1.0  # the budget is 200 ms (see bench/media.py); shared CI cores are slower


def test_the_date_is_written_in_indonesian() -> None:
    assert tanggal(dt.date(2026, 8, 17)) == "17 Agustus 2026"
    assert BANNER.lines() == ("#LaporBupatiTegal", "Dinas Lingkungan Hidup · 17 Agustus 2026")


def test_target_size_keeps_the_aspect_when_it_is_allowed() -> None:
    assert target_size((4032, 3024), LIMITS["instagram"]) == (1080, 810)
    assert target_size((3000, 12000), LIMITS["telegram"])[1] <= 2560


def test_a_video_or_garbage_is_not_rendered_as_a_photo() -> None:
    with pytest.raises(MediaRejected):
        render_for_platform(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, LIMITS["instagram"])
    with pytest.raises(MediaRejected):
        render_for_platform(b"\xff\xd8\xff\xe0garbage", LIMITS["instagram"])
