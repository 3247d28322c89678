"""``lapor redact`` over JSONL (also ``python -m publisher.privacy redact --input F.jsonl
--output G.jsonl``).

Input lines: ``{"id", "text", "known": {"names", "phones", "niks", "addresses", "emails",
"plates"}}`` (``known`` and each list optional). Output lines: ``{"id", "text", "findings":
[{"kind", "start", "end"}]}`` with ``text`` redacted and offsets into the *input* text.
The output is written to a temporary file and renamed at the end, so a failed run leaves no
half-written output. Error messages name the line number, never the line's content.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from publisher.core.console import fail
from publisher.privacy.detector import PersonalDataDetector
from publisher.privacy.model import KnownIdentities, RedactInputError
from publisher.privacy.redaction import redact

commands = typer.Typer()

_KNOWN_FIELDS = ("names", "phones", "niks", "addresses", "emails", "plates")


def _known_from(value: object, line_no: int) -> KnownIdentities | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RedactInputError(f"line {line_no}: 'known' must be an object")
    lists: dict[str, tuple[str, ...]] = {}
    for key in _KNOWN_FIELDS:
        items = value.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise RedactInputError(f"line {line_no}: 'known.{key}' must be a list of strings")
        lists[key] = tuple(items)
    return KnownIdentities(**lists)


def redact_line(line: str, line_no: int, detector: PersonalDataDetector) -> dict[str, object]:
    """Process one JSONL input line into its output object."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise RedactInputError(f"line {line_no}: not valid JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise RedactInputError(f"line {line_no}: expected a JSON object")
    text = obj.get("text")
    if not isinstance(text, str):
        raise RedactInputError(f"line {line_no}: 'text' must be a string")
    findings = detector.detect(text, _known_from(obj.get("known"), line_no))
    return {
        "id": obj.get("id"),
        "text": redact(text, findings).text,
        "findings": [{"kind": f.kind, "start": f.start, "end": f.end} for f in findings],
    }


def cli_redact(
    input_path: Path,
    output_path: Path,
    *,
    public_phone_allowlist: Sequence[str] = (),
) -> int:
    """Redact every line of ``input_path`` into ``output_path``; return a process exit code.

    0: done. 2: the input could not be read or a line is invalid (nothing written).
    """
    detector = PersonalDataDetector(public_phone_allowlist=public_phone_allowlist)
    out_dir = output_path.resolve().parent
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".redact-", suffix=".jsonl", dir=out_dir)
    except OSError as exc:
        print(f"error: cannot write to {out_dir}: {exc.strerror}", file=sys.stderr)
        return 2
    tmp = Path(tmp_name)
    try:
        with open(fd, "w", encoding="utf-8") as out, input_path.open(encoding="utf-8") as src:
            for line_no, line in enumerate(src, start=1):
                if not line.strip():
                    continue
                result = redact_line(line, line_no, detector)
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
        os.replace(tmp, output_path)
    except RedactInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        tmp.unlink(missing_ok=True)
        return 2
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "input is not UTF-8"
        print(f"error: cannot read {input_path}: {reason}", file=sys.stderr)
        tmp.unlink(missing_ok=True)
        return 2
    return 0


@commands.command("redact")
def redact_command(
    input: Annotated[Path, typer.Option("--input", help='JSONL: {"id", "text", "known"}')],
    output: Annotated[Path, typer.Option("--output", help="JSONL with redacted text + findings")],
    allow_phone: Annotated[
        list[str] | None, typer.Option(help="a public agency number never to flag (repeatable)")
    ] = None,
) -> None:
    """Find and redact personal data in texts (offsets point into the input text)."""
    from publisher.privacy.model import PrivacyError

    try:
        code = cli_redact(input, output, public_phone_allowlist=allow_phone or ())
    except PrivacyError as exc:
        raise fail(str(exc), 2) from None
    except OSError as exc:
        raise fail(f"cannot read or write: {exc.strerror}") from None
    if code:
        raise typer.Exit(code)
