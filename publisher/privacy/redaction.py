"""Replace findings by readable Bahasa tags (``[nama disamarkan]``) and keep what was removed."""

from __future__ import annotations

from collections.abc import Iterable

from publisher.privacy.model import REDACTION_TAGS, Finding, RedactionError, RedactionResult


def redact(text: str, findings: Iterable[Finding]) -> RedactionResult:
    """Return ``text`` with every finding replaced by its tag.

    Findings may come in any order but must lie inside ``text``, must not overlap and must
    carry the text they cover (so findings from another version of the text are refused
    rather than misapplied). The messages of :class:`RedactionError` name offsets, never text.
    """
    ordered = sorted(findings, key=lambda f: (f.start, f.end))
    parts: list[str] = []
    pos = 0
    for f in ordered:
        if f.start < pos or f.start >= f.end or f.end > len(text):
            raise RedactionError(
                f"finding {f.kind} at {f.start}..{f.end} overlaps another or lies outside the "
                f"text (length {len(text)})"
            )
        if text[f.start : f.end] != f.text:
            raise RedactionError(f"finding {f.kind} at {f.start}..{f.end} does not match the text")
        tag = REDACTION_TAGS.get(f.kind)
        if tag is None:
            raise RedactionError(f"unknown finding kind {f.kind!r}")
        parts.append(text[pos : f.start])
        parts.append(tag)
        pos = f.end
    parts.append(text[pos:])
    return RedactionResult(text="".join(parts), removed=ordered)
