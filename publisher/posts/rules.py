"""Counting and reading captions the way each platform does.

What each platform accepts (caption length and how it is counted, hashtag and mention caps,
media counts, kinds, formats, sizes and aspect ratios) lives in its spec
(``publisher/platforms/<name>/spec.py``); :func:`rules_for` returns it. The Instagram hashtag
cap comes from settings (``LAPOR_INSTAGRAM_HASHTAG_CAP``) because Instagram announced a cut
from 30 to 5 in late 2025 and may move it again.

Errors: :func:`rules_for` raises :class:`publisher.platforms.registry.UnknownPlatform`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace

from publisher.platforms.registry import get_spec
from publisher.platforms.spec import Counting, PlatformSpec
from publisher.platforms.x.twitter_text import weighted_length

KINDS = ("photo", "video", "before_after")


def rules_for(platform: str, *, instagram_hashtag_cap: int | None = None) -> PlatformSpec:
    """The spec of ``platform``; the Instagram hashtag cap comes from settings when given."""
    spec = get_spec(platform)
    if spec.caption.hashtag_cap_from_settings and instagram_hashtag_cap is not None:
        spec = replace(spec, caption=replace(spec.caption, hashtag_cap=instagram_hashtag_cap))
    return spec


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


MEASURES: dict[Counting, Callable[[str], int]] = {
    "chars": _chars,
    "utf16": _utf16,
    "x_weighted": weighted_length,
    "telegram": telegram_length,
}


def caption_length(text: str, rules: PlatformSpec) -> int:
    return MEASURES[rules.caption.counting](text)


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
