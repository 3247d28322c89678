"""What each platform accepts, as data: caption length and how it is counted, hashtag and
mention caps, media counts, kinds, formats, sizes and aspect ratios.

Figures are the platforms' published limits (see docs/posts.md for sources and dates). The
Instagram hashtag cap comes from settings (``LAPOR_INSTAGRAM_HASHTAG_CAP``) because Instagram
announced a cut from 30 to 5 in late 2025 and may move it again.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from publisher.platforms.x.twitter_text import weighted_length

LengthKind = Literal["chars", "utf16", "x_weighted", "telegram"]
MediaKind = Literal["photo", "video"]


@dataclass(frozen=True)
class PlatformRules:
    platform: str
    label: str
    caption_limit: int
    length_kind: LengthKind
    hashtag_cap: int | None
    mention_cap: int | None
    media_min: int
    media_max: int
    media_kinds: frozenset[str]
    mixed_media: bool  # photos and a video in one post
    photo_mimes: frozenset[str]
    video_mimes: frozenset[str]
    photo_max_bytes: int
    video_max_bytes: int
    video_max_seconds: float
    # width / height, inclusive; None when the platform crops or letterboxes anything.
    aspect_min: float | None
    aspect_max: float | None


_JPEG_PNG = frozenset({"image/jpeg", "image/png"})
_MP4 = frozenset({"video/mp4"})
_MB = 1024 * 1024

RULES: dict[str, PlatformRules] = {
    "facebook": PlatformRules(
        "facebook", "Facebook", 63_206, "chars", None, None, 0, 10,
        frozenset({"photo", "video"}), False, _JPEG_PNG | {"image/webp"}, _MP4,
        4 * _MB, 1024 * _MB, 240 * 60.0, None, None,
    ),
    "instagram": PlatformRules(
        "instagram", "Instagram", 2_200, "chars", 5, 20, 1, 10,
        frozenset({"photo", "video"}), True, frozenset({"image/jpeg"}), _MP4 | {"video/quicktime"},
        8 * _MB, 300 * _MB, 15 * 60.0, 4 / 5, 1.91,
    ),
    "x": PlatformRules(
        "x", "X", 280, "x_weighted", None, None, 0, 4,
        frozenset({"photo", "video"}), False, _JPEG_PNG | {"image/webp"}, _MP4,
        5 * _MB, 512 * _MB, 140.0, None, None,
    ),
    "telegram": PlatformRules(
        "telegram", "Telegram", 1_024, "telegram", None, None, 0, 10,
        frozenset({"photo", "video"}), True, _JPEG_PNG | {"image/webp"}, _MP4,
        10 * _MB, 50 * _MB, 24 * 3600.0, 1 / 20, 20.0,
    ),
    # The dry-run platform writes files: no limit worth enforcing beyond Facebook's.
    "folder": PlatformRules(
        "folder", "Folder (uji coba)", 63_206, "chars", None, None, 0, 10,
        frozenset({"photo", "video"}), True, _JPEG_PNG | {"image/webp"}, _MP4,
        50 * _MB, 1024 * _MB, 24 * 3600.0, None, None,
    ),
}  # fmt: skip

PLATFORMS = tuple(RULES)
KINDS = ("photo", "video", "before_after")


def rules_for(platform: str, *, instagram_hashtag_cap: int | None = None) -> PlatformRules:
    """The rules of ``platform``; the Instagram hashtag cap comes from settings when given."""
    try:
        rules = RULES[platform]
    except KeyError:
        raise KeyError(f"unknown platform {platform!r}; known: {', '.join(RULES)}") from None
    if platform == "instagram" and instagram_hashtag_cap is not None:
        rules = replace(rules, hashtag_cap=instagram_hashtag_cap)
    return rules


_TAG = re.compile(r"<[^>]*>")


def telegram_length(text: str, parse_mode: str | None = None) -> int:
    """Telegram's caption length: UTF-16 code units after entity parsing.

    With ``parse_mode="HTML"`` the markup is stripped and entities decoded first, as Telegram
    does; we send plain text (no parse mode), where nothing is stripped.
    """
    if parse_mode and parse_mode.upper() == "HTML":
        text = html.unescape(_TAG.sub("", text))
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _chars(text: str) -> int:
    # Instagram and Facebook count characters as people see them; NFC keeps "é" at one.
    return len(unicodedata.normalize("NFC", text))


def _utf16(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


MEASURES: dict[LengthKind, Callable[[str], int]] = {
    "chars": _chars,
    "utf16": _utf16,
    "x_weighted": weighted_length,
    "telegram": telegram_length,
}


def caption_length(text: str, rules: PlatformRules) -> int:
    return MEASURES[rules.length_kind](text)


# A hashtag: '#' not preceded by a word character or '&' (an HTML entity), then word
# characters with at least one letter (Instagram and X do not link "#123"). Matched with a
# literal first character and filtered in Python: a leading look-behind makes `re` try every
# position and costs 40 times more on a long caption.
_HASH_RUN = re.compile(r"#(\w+)")
_MENTION_RUN = re.compile(r"@(\w{1,30})")


def _standalone(text: str, start: int, also: str) -> bool:
    if start == 0:
        return True
    before = text[start - 1]
    return not (before.isalnum() or before == "_" or before in also)


def hashtags(text: str) -> list[str]:
    return [
        match.group(0)
        for match in _HASH_RUN.finditer(text)
        if _standalone(text, match.start(), "&")
        and any(not c.isdigit() and c != "_" for c in match.group(1))
    ]


def mentions(text: str) -> list[str]:
    if "@" not in text:
        return []
    return [m.group(0) for m in _MENTION_RUN.finditer(text) if _standalone(text, m.start(), "@")]
