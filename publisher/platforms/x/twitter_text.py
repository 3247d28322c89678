"""X (Twitter) weighted length, twitter-text 3 rules, fast enough to run on every caption.

How X counts a post (twitter-text ``parseTweet``): the text is NFC-normalised, every URL weighs
``transformedURLLength`` (23) whatever its length, with config v3 a whole emoji sequence (ZWJ
families, skin tones, flags, keycaps) weighs ``defaultWeight``, and every other code point
weighs 100 inside the listed ranges (most Latin text) and ``defaultWeight`` (200) outside them
(CJK, most symbols); the sum is divided by ``scale``. Ranges in the result count UTF-16 code
units, end inclusive, as upstream does.

Why not only the PyPI port (``twitter-text-parser``): it passes every conformance case but takes
about 3 ms per caption (its emoji pattern is a 4,000-way alternation), 100 times our budget.
We count ourselves, with emoji sequences matched by Unicode properties (``regex`` module), and
ask the port only for URL extraction, which needs its TLD tables, and only when the text could
hold a URL at all (a ``://`` or a letter right after a dot), which captions almost never do.

Errors: none raised; invalid input yields ``valid=False``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import regex


@dataclass(frozen=True)
class WeightRange:
    start: int
    end: int
    weight: int


@dataclass(frozen=True)
class TwitterConfig:
    """A twitter-text weighting configuration (``config/v2.json``, ``config/v3.json``)."""

    version: int
    max_weighted_length: int
    scale: int
    default_weight: int
    transformed_url_length: int
    emoji_parsing: bool
    ranges: tuple[WeightRange, ...]
    # Code points outside every range, when all ranges share one weight: counting them with one
    # C-level findall is what makes the common case fast. Built once per configuration.
    heavy: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if len({r.weight for r in self.ranges}) == 1:
            listed = "".join(f"\\U{r.start:08x}-\\U{r.end:08x}" for r in self.ranges)
            object.__setattr__(self, "heavy", re.compile(f"[^{listed}]"))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TwitterConfig:
        return cls(
            version=int(data["version"]),
            max_weighted_length=int(data["maxWeightedTweetLength"]),
            scale=int(data["scale"]),
            default_weight=int(data["defaultWeight"]),
            transformed_url_length=int(data["transformedURLLength"]),
            emoji_parsing=bool(data.get("emojiParsingEnabled", False)),
            ranges=tuple(
                WeightRange(int(r["start"]), int(r["end"]), int(r["weight"]))
                for r in data["ranges"]
            ),
        )


_RANGES = (
    WeightRange(0, 4351, 100),
    WeightRange(8192, 8205, 100),
    WeightRange(8208, 8223, 100),
    WeightRange(8242, 8247, 100),
)
V2 = TwitterConfig(2, 280, 100, 200, 23, False, _RANGES)
V3 = TwitterConfig(3, 280, 100, 200, 23, True, _RANGES)


@dataclass(frozen=True)
class ParseResult:
    """The fields of twitter-text's ``parseTweet`` result, under their upstream names."""

    weightedLength: int  # upstream names: conformance data compares 1:1
    valid: bool
    permillage: int
    displayRangeStart: int
    displayRangeEnd: int
    validRangeStart: int
    validRangeEnd: int


# A letter right after a dot (a possible TLD) or a scheme separator: without one, no URL.
_MAYBE_URL = re.compile(r"://|\.[^\W\d_]", re.UNICODE)
# Characters twitter-text refuses anywhere in a post.
_INVALID = frozenset("\ufffe\ufeff\uffff")
_LINE_ENDINGS = re.compile(r"\r\n|\r")

_PICT = r"[\p{Extended_Pictographic}\p{Emoji_Presentation}]"
_MOD = r"(?:\uFE0F?\p{Emoji_Modifier}|\uFE0F|\uFE0E)?"
_TAGS = r"(?:[\U000E0020-\U000E007E]+\U000E007F)?"


@cache
def _emoji_pattern() -> regex.Pattern[str]:
    # UTS #51 emoji sequences: flags, keycaps, and pictographs with modifiers, tag sequences
    # (subdivision flags) and ZWJ joins. Compiled on first use, never at import.
    atom = rf"{_PICT}{_MOD}{_TAGS}"
    return regex.compile(
        rf"\p{{Regional_Indicator}}{{2}}|[0-9#*]\uFE0F?\u20E3|{atom}(?:\u200D{atom})*",
        regex.V1,
    )


# Every character an emoji sequence can start with (the property classes of the full pattern are
# slow to try at each position; this plain class finds the few places worth trying).
_EMOJI_START = re.compile("[0-9#*](?=\ufe0f?\u20e3)|[\u00a9\u00ae\u203c-\U0010ffff]")


def _emoji_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pattern = _emoji_pattern()
    pos = 0
    while (candidate := _EMOJI_START.search(text, pos)) is not None:
        match = pattern.match(text, candidate.start())
        if match is not None and match.end() > match.start():
            spans.append((match.start(), match.end()))
            pos = match.end()
        else:
            pos = candidate.start() + 1
    return spans


def _url_spans(text: str) -> list[tuple[int, int]]:
    if not _MAYBE_URL.search(text):
        return []
    from twitter_text.extract_urls import extract_urls_with_indices  # slow path, rarely taken

    return [(int(u["indices"][0]), int(u["indices"][1])) for u in extract_urls_with_indices(text)]


def _utf16_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _char_weight(code: int, config: TwitterConfig) -> int:
    for r in config.ranges:
        if r.start <= code <= r.end:
            return r.weight
    return config.default_weight


def _weights(text: str, config: TwitterConfig) -> int:
    """Sum of per-code-point weights, ignoring entities."""
    if config.heavy is not None and len(text) > 8:
        heavy = len(config.heavy.findall(text))
        return (len(text) - heavy) * config.ranges[0].weight + heavy * config.default_weight
    return sum(_char_weight(ord(ch), config) for ch in text)


def _normalize(text: str) -> str:
    return _LINE_ENDINGS.sub("\n", unicodedata.normalize("NFC", text))


def _entities(normalized: str, config: TwitterConfig) -> dict[int, tuple[int, int]]:
    """URLs and (with v3) emoji sequences: start -> (end, weight)."""
    entities: dict[int, tuple[int, int]] = {
        start: (end, config.transformed_url_length * config.scale)
        for start, end in _url_spans(normalized)
    }
    if config.emoji_parsing and not normalized.isascii():
        for start, end in _emoji_spans(normalized):
            entities.setdefault(start, (end, config.default_weight))
    return entities


def _weigh(normalized: str, entities: dict[int, tuple[int, int]], config: TwitterConfig) -> int:
    weighted = _weights(normalized, config)
    for start, (end, weight) in entities.items():
        weighted += weight - _weights(normalized[start:end], config)
    return weighted


def parse(text: str, config: TwitterConfig = V3) -> ParseResult:
    """Weigh ``text`` as X does (twitter-text ``parseTweet``)."""
    normalized = _normalize(text)
    limit = config.max_weighted_length * config.scale
    entities = _entities(normalized, config)
    weighted = _weigh(normalized, entities, config)
    valid = not any(ch in normalized for ch in _INVALID)
    if valid and weighted <= limit:
        valid_end = len(normalized) - 1
    else:
        valid_end = _last_fitting_index(normalized, entities, config)
    length = weighted // config.scale
    total_units = _utf16_len(text)
    normalization_offset = total_units - _utf16_len(normalized)
    return ParseResult(
        weightedLength=length,
        valid=valid and 0 < length <= config.max_weighted_length,
        permillage=(length * 1000) // config.max_weighted_length,
        displayRangeStart=0,
        displayRangeEnd=max(total_units - 1, 0),
        validRangeStart=0,
        validRangeEnd=_utf16_len(normalized[: valid_end + 1]) - 1 + normalization_offset,
    )


def _last_fitting_index(
    normalized: str, entities: dict[int, tuple[int, int]], config: TwitterConfig
) -> int:
    """Code-point index of the last character that still fits (the slow, exact walk)."""
    limit = config.max_weighted_length * config.scale
    weighted = 0
    valid_end = 0
    i = 0
    while i < len(normalized):
        entity = entities.get(i)
        if entity is not None:
            end, weight = entity
            weighted += weight
            last = end - 1
        else:
            weighted += _char_weight(ord(normalized[i]), config)
            last = i
        if normalized[last] in _INVALID:
            break
        if weighted <= limit:
            valid_end = last
        i = last + 1
    return valid_end


def has_invalid_characters(text: str) -> bool:
    return any(ch in text for ch in _INVALID)


def may_contain_url(text: str) -> bool:
    return _MAYBE_URL.search(text) is not None


@lru_cache(maxsize=256)  # a caption is measured when fitted and again when validated
def weighted_length(text: str, config: TwitterConfig = V3) -> int:
    """Only the weighted length (skips the valid-range walk that :func:`parse` needs)."""
    normalized = _normalize(text)
    return _weigh(normalized, _entities(normalized, config), config) // config.scale
