"""Pre-flight: every rule a post breaks on a platform, before anyone can approve it.

:func:`validate` returns a list of :class:`Problem` (empty when the post can go out), each with a
stable ``code`` for programs and a Bahasa Indonesia ``message`` for the reviewer.
:func:`assert_publishable` raises :class:`publisher.core.errors.ReviewError` listing them; review
calls it before approving.

The checks are a table (:data:`CHECKS`) of small functions; add a rule by adding a row.
Media dicts carry ``kind`` and ``mime`` always, and ``size_bytes``, ``width``, ``height`` and
``duration_s`` when the media pipeline provides them; a check whose input is absent is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from publisher.core import formats
from publisher.core.errors import ReviewError
from publisher.platforms.spec import PlatformSpec
from publisher.platforms.x.twitter_text import has_invalid_characters
from publisher.posts.fitting import going_out
from publisher.posts.rules import caption_length, hashtags, mentions, rules_for

REQUIRED_HASHTAG = "#LaporBupatiTegal"


class PostLike(Protocol):
    """What validation needs of a post (a :class:`publisher.db.models.Post` qualifies)."""

    @property
    def caption(self) -> str: ...

    @property
    def media(self) -> list[Any]: ...


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


def _n(value: float) -> str:
    """Indonesian digit grouping: 2.200, 1.024."""
    return f"{value:,.0f}".replace(",", ".")


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


_UNITS = {"x_weighted": "karakter berbobot", "telegram": "karakter", "chars": "karakter"}


def _caption(caption: str, media: Sequence[dict[str, Any]], r: PlatformSpec) -> Iterator[Problem]:
    if not caption.strip():
        yield Problem("caption_empty", "Keterangan kosong.")
        return
    length = caption_length(caption, r)
    if length > r.caption.max_length:
        unit = _UNITS.get(r.caption.counting, "karakter")
        yield Problem(
            "caption_too_long",
            f"Keterangan terlalu panjang untuk {r.label}: {_n(length)} dari maks. "
            f"{_n(r.caption.max_length)} {unit} (kelebihan {_n(length - r.caption.max_length)}).",
        )
    if r.caption.counting == "x_weighted" and has_invalid_characters(caption):
        yield Problem("caption_invalid_characters", "Keterangan memuat karakter yang ditolak X.")
    if REQUIRED_HASHTAG.casefold() not in (t.casefold() for t in hashtags(caption)):
        yield Problem("hashtag_missing", f"Tagar {REQUIRED_HASHTAG} wajib ada di keterangan.")


def _tags(caption: str, media: Sequence[dict[str, Any]], r: PlatformSpec) -> Iterator[Problem]:
    if (
        r.caption.hashtag_cap is not None
        and (count := len(hashtags(caption))) > r.caption.hashtag_cap
    ):
        yield Problem(
            "too_many_hashtags",
            f"Terlalu banyak tagar untuk {r.label}: {count} dari maks. {r.caption.hashtag_cap}.",
        )
    if (
        r.caption.mention_cap is not None
        and (count := len(mentions(caption))) > r.caption.mention_cap
    ):
        yield Problem(
            "too_many_mentions",
            f"Terlalu banyak sebutan akun (@) untuk {r.label}: {count} dari maks. "
            f"{r.caption.mention_cap}.",
        )


def _counts(caption: str, media: Sequence[dict[str, Any]], r: PlatformSpec) -> Iterator[Problem]:
    if len(media) < r.media.min_items:
        yield Problem(
            "too_few_media", f"{r.label} memerlukan minimal {r.media.min_items} foto atau video."
        )
    if len(media) > r.media.max_items:
        yield Problem(
            "too_many_media",
            f"Terlalu banyak media untuk {r.label}: {len(media)} dari maks. {r.media.max_items}.",
        )
    kinds = {str(m.get("kind", "")) for m in media}
    if not r.media.mixed and len(kinds & {"photo", "video"}) > 1:
        yield Problem("mixed_media", f"{r.label} tidak menerima foto dan video dalam satu kiriman.")


def _each_media(
    caption: str, media: Sequence[dict[str, Any]], r: PlatformSpec
) -> Iterator[Problem]:
    for number, item in enumerate(media, start=1):
        kind = str(item.get("kind", ""))
        label = f"Media ke-{number}"
        if kind not in r.media.kinds:
            yield Problem("media_kind", f"{label}: jenis '{kind}' tidak diterima {r.label}.")
            continue
        mimes = r.media.photo_mimes if kind == "photo" else r.media.video_mimes
        mime = str(item.get("mime", ""))
        if mime not in mimes:
            allowed = ", ".join(sorted(m.split("/")[1].upper() for m in mimes))
            yield Problem(
                "media_format",
                f"{label}: format {mime or 'tidak dikenal'} tidak diterima {r.label} "
                f"(yang diterima: {allowed}).",
            )
        size = item.get("size_bytes")
        cap = r.media.photo_max_bytes if kind == "photo" else r.media.video_max_bytes
        if isinstance(size, int) and size > cap:
            yield Problem(
                "media_too_large", f"{label}: ukuran {_mb(size)} melebihi batas {_mb(cap)}."
            )
        width, height = item.get("width"), item.get("height")
        if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
            ratio = width / height
            low, high = (
                r.media.video_aspect
                if kind == "video" and r.media.video_aspect is not None
                else (r.media.min_aspect, r.media.max_aspect)
            )
            if (low is not None and ratio < low - 0.005) or (
                high is not None and ratio > high + 0.005
            ):
                yield Problem(
                    "media_aspect_ratio",
                    f"{label}: rasio {width}x{height} di luar batas {r.label} "
                    f"({formats.number(low, 2)} sampai {formats.number(high, 2)}).",
                )
        duration = item.get("duration_s")
        if (
            kind == "video"
            and isinstance(duration, int | float)
            and duration > r.media.video_max_seconds
        ):
            yield Problem(
                "video_too_long",
                f"{label}: durasi {_n(duration)} detik melebihi batas "
                f"{_n(r.media.video_max_seconds)} detik.",
            )


Check = Callable[[str, Sequence[dict[str, Any]], PlatformSpec], Iterator[Problem]]
CHECKS: tuple[Check, ...] = (_caption, _tags, _counts, _each_media)


def validate(
    post: PostLike,
    platform: str,
    *,
    instagram_hashtag_cap: int | None = None,
    rules: PlatformSpec | None = None,
) -> list[Problem]:
    """Every rule ``post`` breaks on ``platform`` (empty when it can be published)."""
    r = rules or rules_for(platform, instagram_hashtag_cap=instagram_hashtag_cap)
    media = going_out(post.media)  # what the platform gets: left-out items are not checked
    return [problem for check in CHECKS for problem in check(post.caption, media, r)]


def assert_publishable(
    post: PostLike, platform: str, *, instagram_hashtag_cap: int | None = None
) -> None:
    """Raise :class:`ReviewError` naming every broken rule; a post that breaks one cannot be
    approved."""
    problems = validate(post, platform, instagram_hashtag_cap=instagram_hashtag_cap)
    if problems:
        raise ReviewError(
            f"post breaks {len(problems)} {platform} rule(s): "
            + ", ".join(p.code for p in problems),
            "Kiriman belum bisa disetujui: " + " ".join(p.message for p in problems),
        )
