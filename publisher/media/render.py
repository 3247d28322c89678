"""Platform renditions, the branded banner and the before/after collage.

A rendition is fitted to a :class:`publisher.media.limits.MediaLimits` (each platform's spec holds
its own; the caller passes them in). It is made by

1. asking the JPEG decoder for a reduced-size decode (``Image.draft``) big enough for the
   target, *before* orientation (orienting first would decode at full size),
2. converting to sRGB and fitting the picture to the platform's aspect-ratio range without
   distortion: a centre crop when that loses at most :data:`MAX_CROP_LOSS` of the picture,
   padding otherwise (``fit="auto"``); then turning the small result upright,
4. drawing the optional banner (``#LaporBupatiTegal``, agency, date) in a band of its own,
5. encoding a fresh JPEG, lowering the quality (then the size) until it fits the byte cap.

Text uses Pillow's bundled scalable font (``ImageFont.load_default(size=...)``), never a font
from a system path, so renders are identical on every machine.

Errors: a photo that cannot be decoded raises :class:`publisher.core.errors.MediaRejected`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from publisher.core.errors import MediaRejected
from publisher.core.formats import day as format_day
from publisher.media.formats import sniff
from publisher.media.limits import MB, MediaLimits
from publisher.media.photo import (
    ORIENTATION_TRANSPOSES,
    clean_copy,
    encode_jpeg,
    exif_orientation,
    open_photo,
    request_draft,
    to_srgb,
    upright_size,
)

Fit = Literal["auto", "crop", "pad"]
HASHTAG = "#LaporBupatiTegal"
MAX_CROP_LOSS = 0.2
PAD_COLOUR = (24, 24, 24)
BANNER_BG = (12, 74, 110)
BANNER_FG = (255, 255, 255)
LABEL_BG = (0, 0, 0)
START_QUALITY = 88
MIN_QUALITY = 50


def tanggal(day: dt.date) -> str:
    """An Indonesian date, e.g. ``27 November 2026`` (Babel, as on every page)."""
    return format_day(day)


@dataclass(frozen=True)
class BannerText:
    """What the branded band says. Never put a person's name or address here."""

    agency: str
    date: dt.date | str
    hashtag: str = HASHTAG

    def lines(self) -> tuple[str, str]:
        when = tanggal(self.date) if isinstance(self.date, dt.date) else self.date
        return self.hashtag, f"{self.agency} · {when}"


@functools.lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def target_size(src: tuple[int, int], limits: MediaLimits) -> tuple[int, int]:
    """Output size for a source of size ``src``: aspect clamped, then the size limits."""
    w, h = src
    aspect = w / h
    if limits.min_aspect is not None:
        aspect = max(aspect, limits.min_aspect)
    if limits.max_aspect is not None:
        aspect = min(aspect, limits.max_aspect)
    width = float(w)
    if limits.target_width is not None:
        width = min(width, limits.target_width)
    if limits.max_width is not None:
        width = min(width, limits.max_width)
    if limits.min_width is not None:
        width = max(width, limits.min_width)
    height = width / aspect
    if limits.max_long_side is not None and max(width, height) > limits.max_long_side:
        scale = limits.max_long_side / max(width, height)
        width, height = width * scale, height * scale
    if limits.max_side_sum is not None and width + height > limits.max_side_sum:
        scale = limits.max_side_sum / (width + height)
        width, height = width * scale, height * scale
    return max(1, math.floor(width)), max(1, math.floor(height))


def _crop_loss(src: tuple[int, int], box: tuple[int, int]) -> float:
    src_aspect, box_aspect = src[0] / src[1], box[0] / box[1]
    return 1 - min(src_aspect, box_aspect) / max(src_aspect, box_aspect)


def _needed_size(src: tuple[int, int], box: tuple[int, int], crop: bool) -> tuple[int, int]:
    scale = (max if crop else min)(box[0] / src[0], box[1] / src[1])
    return max(1, math.ceil(src[0] * scale)), max(1, math.ceil(src[1] * scale))


def _fit(image: Image.Image, box: tuple[int, int], crop: bool) -> Image.Image:
    if crop:
        src_aspect, box_aspect = image.width / image.height, box[0] / box[1]
        if src_aspect > box_aspect:  # too wide: trim the sides
            keep = round(image.height * box_aspect)
            left = (image.width - keep) // 2
            area = (left, 0, left + keep, image.height)
        else:
            keep = round(image.width / box_aspect)
            top = (image.height - keep) // 2
            area = (0, top, image.width, top + keep)
        return image.resize(box, Image.Resampling.LANCZOS, box=area)
    scale = min(box[0] / image.width, box[1] / image.height)
    inner = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    canvas = Image.new("RGB", box, PAD_COLOUR)
    canvas.paste(
        image.resize(inner, Image.Resampling.LANCZOS),
        ((box[0] - inner[0]) // 2, (box[1] - inner[1]) // 2),
    )
    return canvas


def decode_fitted(
    photo: bytes, plan: Callable[[tuple[int, int]], tuple[int, int]], fit: Fit
) -> tuple[Image.Image, tuple[int, int]]:
    """Decode ``photo`` and fit it into the box ``plan(upright_size)`` returns; returns both.

    The crop or resize happens in the stored orientation and only the small result is turned
    upright: transposing a 3 MP intermediate costs more than the resize itself. Crops are
    centred and padding is centred, so doing them before the turn gives the same picture.
    """
    fmt = sniff(photo)
    if fmt is None or fmt.is_video:
        raise MediaRejected("not a photo", "Berkas bukan foto.")
    try:
        with open_photo(photo, fmt) as opened:
            orientation = exif_orientation(opened)
            stored = (opened.width, opened.height)
            upright = upright_size(*stored, orientation)
            box = plan(upright)
            crop = fit == "crop" or (fit == "auto" and _crop_loss(upright, box) <= MAX_CROP_LOSS)
            stored_box = upright_size(*box, orientation)
            request_draft(opened, _needed_size(stored, stored_box, crop))
            icc = opened.info.get("icc_profile")
            opened.load()
            rgb = to_srgb(opened, icc if isinstance(icc, bytes) else None)
        fitted = _fit(rgb, stored_box, crop)
        del rgb
        for transpose in ORIENTATION_TRANSPOSES[orientation]:
            fitted = fitted.transpose(transpose)
        return fitted, box
    except MediaRejected:
        raise
    except Exception as exc:
        raise MediaRejected(
            f"not a readable photo ({type(exc).__name__})", "Berkas foto tidak dapat dibaca."
        ) from None


def _banner_height(width: int, height: int) -> int:
    return max(48, round(min(width, height) * 0.11))


def draw_banner(canvas: Image.Image, top: int, banner: BannerText) -> None:
    """Fill the band from ``top`` to the bottom of ``canvas`` with the banner text."""
    draw = ImageDraw.Draw(canvas)
    band_h = canvas.height - top
    draw.rectangle((0, top, canvas.width, canvas.height), fill=BANNER_BG)
    first, second = banner.lines()
    margin = max(8, band_h // 6)
    big = _fit_font(draw, first, round(band_h * 0.42), canvas.width - 2 * margin)
    small = _fit_font(draw, second, round(band_h * 0.26), canvas.width - 2 * margin)
    draw.text((margin, top + margin // 2), first, font=big, fill=BANNER_FG)
    y2 = top + band_h - margin // 2 - small.getbbox(second)[3]
    draw.text((margin, y2), second, font=small, fill=BANNER_FG)


def _fit_font(
    draw: ImageDraw.ImageDraw, text: str, size: int, max_width: int
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    size = max(8, size)
    font = _font(size)
    while size > 8 and draw.textlength(text, font=font) > max_width:
        size = max(8, int(size * 0.9))
        font = _font(size)
    return font


def encode_within(image: Image.Image, max_bytes: int) -> bytes:
    """JPEG at the highest quality (then largest size) that fits ``max_bytes``."""
    current = image
    while True:
        for quality in range(START_QUALITY, MIN_QUALITY - 1, -8):
            data = encode_jpeg(current, quality=quality)
            if len(data) <= max_bytes:
                return data
        size = (max(1, int(current.width * 0.8)), max(1, int(current.height * 0.8)))
        current = current.resize(size, Image.Resampling.LANCZOS)


def render_for_platform(
    photo: bytes,
    limits: MediaLimits,
    *,
    banner: BannerText | None = None,
    fit: Fit = "auto",
) -> bytes:
    """A metadata-free JPEG of ``photo`` within a platform's ``limits``."""
    band = 0

    def plan(upright: tuple[int, int]) -> tuple[int, int]:
        nonlocal band
        size = target_size(upright, limits)
        band = _banner_height(*size) if banner is not None else 0
        return size[0], size[1] - band

    fitted, box = decode_fitted(photo, plan, fit)
    size = (box[0], box[1] + band)
    canvas = clean_copy(fitted) if band == 0 else Image.new("RGB", size, BANNER_BG)
    if banner is not None:
        canvas.paste(fitted, (0, 0))
        draw_banner(canvas, box[1], banner)
    return encode_within(canvas, limits.photo_max_bytes)


COLLAGE_SIZE = (1080, 1350)
COLLAGE_GAP = 6
COLLAGE_LABELS = ("SEBELUM", "SESUDAH")
COLLAGE_MAX_BYTES = 8 * MB


def before_after_collage(
    before: bytes,
    after: bytes,
    banner: BannerText,
    *,
    size: tuple[int, int] = COLLAGE_SIZE,
    max_bytes: int = COLLAGE_MAX_BYTES,
) -> bytes:
    """Two photos stacked (before above after), labelled, with the banner, in 4:5 (the
    narrowest frame Instagram takes) and within ``max_bytes`` (pass the platform's cap)."""
    band = _banner_height(*size)
    panel_h = (size[1] - band - COLLAGE_GAP) // 2
    panel = (size[0], panel_h)
    canvas = Image.new("RGB", size, BANNER_BG)
    draw = ImageDraw.Draw(canvas)
    label_font = _font(max(14, panel_h // 12))
    for index, (photo, label) in enumerate(zip((before, after), COLLAGE_LABELS, strict=True)):
        image, _ = decode_fitted(photo, lambda _upright: panel, "crop")
        top = index * (panel_h + COLLAGE_GAP)
        canvas.paste(image, (0, top))
        pad = max(6, panel_h // 40)
        left, _t, right, bottom = draw.textbbox((0, 0), label, font=label_font)
        draw.rectangle(
            (pad, top + pad, pad + right - left + 2 * pad, top + pad + bottom + 2 * pad),
            fill=LABEL_BG,
        )
        draw.text((2 * pad - left, top + 2 * pad), label, font=label_font, fill=BANNER_FG)
    draw_banner(canvas, size[1] - band, banner)
    return encode_within(canvas, max_bytes)
