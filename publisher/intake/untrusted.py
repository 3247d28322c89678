"""JSON from outside (the push endpoint, the WhatsApp webhook, polled sources), parsed so that
hostile input is a clear refusal and never a crash further in.

The standard parser is used as is (its C scanner stops at the interpreter's recursion limit,
which :func:`loads` turns into a refusal); the parsed value is then walked without recursion
and refused when it nests deeper than ``max_depth`` (JSON Schema validation and everything
after it recurse per level) or holds a lone surrogate (``"\\ud800"`` parses, but no database
and no UTF-8 encoder takes it). NUL is refused only where asked: in a case record the record
checks decide (it is quarantined, the batch goes on); so do lone surrogates inside the
``records`` of a push (``allow_surrogates``): one bad record never refuses the whole batch.
"""

from __future__ import annotations

import json
import re
from typing import Any

from publisher.core.errors import UnsafeJson

MAX_DEPTH = 32
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(
    raw: bytes | str,
    *,
    max_depth: int = MAX_DEPTH,
    allow_nul: bool = True,
    allow_surrogates: bool = False,
) -> Any:
    """The parsed value, or :class:`UnsafeJson` (a ValueError) naming what is wrong."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise UnsafeJson("JSON nested too deeply") from None
    except ValueError as exc:  # includes UnicodeDecodeError
        raise UnsafeJson(f"not valid JSON ({type(exc).__name__})") from None
    check(value, max_depth=max_depth, allow_nul=allow_nul, allow_surrogates=allow_surrogates)
    return value


def check(
    value: Any,
    *,
    max_depth: int = MAX_DEPTH,
    allow_nul: bool = True,
    allow_surrogates: bool = False,
) -> None:
    """Refuse a parsed value nested deeper than ``max_depth`` or holding unsafe strings."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item, allow_nul, allow_surrogates)
        elif isinstance(item, dict | list):
            if depth > max_depth:
                raise UnsafeJson(f"JSON nested deeper than {max_depth} levels")
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_text(key, allow_nul, allow_surrogates)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def _check_text(text: str, allow_nul: bool, allow_surrogates: bool) -> None:
    if not allow_surrogates and _LONE_SURROGATE.search(text):
        raise UnsafeJson("a string holds a lone UTF-16 surrogate")
    if not allow_nul and "\x00" in text:
        raise UnsafeJson("a string holds a NUL character")


def scrub(value: Any) -> Any:
    """A copy of a parsed value that any database takes: lone surrogates and NUL become U+FFFD
    (for keeping a refused record in the quarantine). Nesting is kept as it is."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value).replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [scrub(child) for child in value]
    if isinstance(value, dict):
        return {scrub(key): scrub(child) for key, child in value.items()}
    return value
