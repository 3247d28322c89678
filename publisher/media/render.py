"""Platform renditions, the branded banner and the before/after collage.

Platform limits live in one table, :data:`PLATFORM_MEDIA_RULES`. A rendition is made by

1. asking the JPEG decoder for a reduced-size decode (``Image.draft``) big enough for the
   target, *before* orientation (orienting first would decode at full size),
2. converting to sRGB and fitting the picture to the platform's aspect-ratio range without
   distortion: a centre crop when that loses at most :data:`MAX_CROP_LOSS` of the picture,
   padding otherwise (``fit="auto"``); then turning the small result upright,
4. drawing the optional banner (``#LaporBupatiTegal``, agency, date) in a band of its own,
5. encoding a fresh JPEG, lowering the quality (then the size) until it fits the byte cap.

Text uses Pillow's bundled scalable font (``ImageFont.load_default(size=...)``), never a font
from a system path, so renders are identical on every machine.

Errors: an unknown platform raises ``KeyError``-derived :class:`UnknownPlatform`; a photo that
cannot be decoded raises :class:`publisher.core.errors.MediaRejected`.
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
from publisher.media.formats import sniff
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


class UnknownPlatform(KeyError):
    pass


@dataclass(frozen=True)
class PlatformMediaRule:
    """Photo limits of one platform. ``None`` means the platform sets no such limit."""

    target_width: int | None  # preferred width when the source is at least that wide
    min_width: int | None
    max_width: int | None
    max_long_side: int | None
    min_aspect: float | None  # width / height
    max_aspect: float | None
    max_side_sum: int | None  # width + height
    max_bytes: int


MB = 1024 * 1024
# Sources: Instagram Graph API content publishing (JPEG, 4:5 to 1.91:1, 320-1440 px wide, 8 MB);
# Facebook Page photos (< 4 MB recommended for uploads by URL); X media upload (5 MB images);
# Telegram Bot API sendPhoto (10 MB, width + height <= 10000, ratio at most 20).
PLATFORM_MEDIA_RULES: dict[str, PlatformMediaRule] = {
    "instagram": PlatformMediaRule(1080, 320, 1440, None, 4 / 5, 1.91, None, 8 * MB),
    "facebook": PlatformMediaRule(None, None, None, 2048, None, None, None, 4 * MB - 1),
    "x": PlatformMediaRule(None, None, None, 2048, 1 / 3, 3.0, None, 5 * MB),
    "telegram": PlatformMediaRule(None, None, None, 2560, 1 / 20, 20.0, 10_000, 10 * MB),
    "folder": PlatformMediaRule(None, None, None, 4096, None, None, None, 40 * MB),
}

_MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


def tanggal(day: dt.date) -> str:
    """An Indonesian date, e.g. ``27 November 2026``."""
    return f"{day.day} {_MONTHS_ID[day.month - 1]} {day.year}"


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


def target_size(src: tuple[int, int], rule: PlatformMediaRule) -> tuple[int, int]:
    """Output size for a source of size ``src``: aspect clamped, then the size limits."""
    w, h = src
    aspect = w / h
    if rule.min_aspect is not None:
        aspect = max(aspect, rule.min_aspect)
    if rule.max_aspect is not None:
        aspect = min(aspect, rule.max_aspect)
    width = float(w)
    if rule.target_width is not None:
        width = min(width, rule.target_width)
    if rule.max_width is not None:
        width = min(width, rule.max_width)
    if rule.min_width is not None:
        width = max(width, rule.min_width)
    height = width / aspect
    if rule.max_long_side is not None and max(width, height) > rule.max_long_side:
        scale = rule.max_long_side / max(width, height)
        width, height = width * scale, height * scale
    if rule.max_side_sum is not None and width + height > rule.max_side_sum:
        scale = rule.max_side_sum / (width + height)
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


def rule_for(platform: str) -> PlatformMediaRule:
    try:
        return PLATFORM_MEDIA_RULES[platform]
    except KeyError:
        raise UnknownPlatform(f"unknown platform {platform!r}") from None


def render_for_platform(
    photo: bytes,
    platform: str,
    *,
    banner: BannerText | None = None,
    fit: Fit = "auto",
) -> bytes:
    """A metadata-free JPEG of ``photo`` that meets ``platform``'s rules."""
    rule = rule_for(platform)
    band = 0

    def plan(upright: tuple[int, int]) -> tuple[int, int]:
        nonlocal band
        size = target_size(upright, rule)
        band = _banner_height(*size) if banner is not None else 0
        return size[0], size[1] - band

    fitted, box = decode_fitted(photo, plan, fit)
    size = (box[0], box[1] + band)
    canvas = clean_copy(fitted) if band == 0 else Image.new("RGB", size, BANNER_BG)
    if banner is not None:
        canvas.paste(fitted, (0, 0))
        draw_banner(canvas, box[1], banner)
    return encode_within(canvas, rule.max_bytes)


COLLAGE_SIZE = (1080, 1350)
COLLAGE_GAP = 6
COLLAGE_LABELS = ("SEBELUM", "SESUDAH")


def before_after_collage(
    before: bytes,
    after: bytes,
    banner: BannerText,
    *,
    size: tuple[int, int] = COLLAGE_SIZE,
) -> bytes:
    """Two photos stacked (before above after), labelled, with the banner; Instagram-ready."""
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
    return encode_within(canvas, PLATFORM_MEDIA_RULES["instagram"].max_bytes)
