"""``lapor media sanitize FILE... --out DIR``, and :func:`render_file` behind ``lapor media render
FILE --platform instagram --out F`` (that command names a platform, so it lives in
:mod:`publisher.platforms.cli`); both run as ``python -m publisher.media`` too, no database needed.

``sanitize`` prints one JSON line per input (``input``, ``status`` ok|rejected, ``reason``,
``outputs``) and exits 0 when every file was handled, accepted or rejected; a path that cannot
be read gets ``status: "error"`` and makes the exit status 1.
Sanitised files are named by their SHA-256; the unblurred original of a photo with faces is
written to ``DIR/unblurred/`` (keep that directory out of anything served).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated

import typer

from publisher.core.errors import MediaRejected
from publisher.media.limits import MediaLimits

app = typer.Typer(help="Sanitise and render photos and videos.", no_args_is_help=True)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sanitize_files(
    paths: Sequence[Path], out_dir: Path, *, blur_faces: bool = True, blur_text: bool = False
) -> Iterator[dict[str, object]]:
    """Sanitise each file; yields one JSON-ready dict per input, in order."""
    from publisher.media.sanitize import MAX_VIDEO_BYTES, sanitize

    for path in paths:
        record: dict[str, object] = {
            "input": str(path), "status": "rejected", "reason": None, "outputs": [],
        }  # fmt: skip
        try:
            size = path.stat().st_size
            if size > MAX_VIDEO_BYTES:  # refuse before reading a huge file into memory
                raise MediaRejected(f"file is {size} bytes, over the {MAX_VIDEO_BYTES} byte cap")
            data = path.read_bytes()
        except MediaRejected as exc:
            record["reason"] = exc.reason
            yield record
            continue
        except OSError as exc:
            record.update(status="error", reason=f"cannot read input ({type(exc).__name__})")
            yield record
            continue
        try:
            result = sanitize(data, blur_faces=blur_faces, blur_text=blur_text, name=path.name)
        except MediaRejected as exc:
            record["reason"] = exc.reason
            record["user_message"] = exc.user_message
            yield record
            continue
        digest = hashlib.sha256(result.data).hexdigest()
        target = out_dir / f"{digest}{result.suffix}"
        _write_atomic(target, result.data)
        outputs = [str(target)]
        if result.unblurred is not None:
            hidden = (
                out_dir
                / "unblurred"
                / f"{hashlib.sha256(result.unblurred).hexdigest()}{result.suffix}"
            )
            _write_atomic(hidden, result.unblurred)
            outputs.append(str(hidden))
        record.update(
            status="ok",
            # An accepted file has a reason too when something was noticed (a name that
            # disagrees with the content, bytes dropped from after the image).
            reason="; ".join(result.notes) or None,
            outputs=outputs,
            kind=result.kind,
            mime=result.mime,
            width=result.width,
            height=result.height,
            duration_s=result.duration_s,
            faces=[b.as_dict() for b in result.face_boxes],
            text_blurred=[r.as_dict() for r in result.text_regions or ()],
            held_for_review=result.held_for_review,
            actions=list(result.actions),
        )
        yield record


def render_file(path: Path, limits: MediaLimits, out: Path) -> None:
    """Render one photo within a platform's ``limits`` into ``out`` (metadata-free JPEG)."""
    from publisher.media.render import render_for_platform

    _write_atomic(out, render_for_platform(path.read_bytes(), limits))


@app.command("sanitize")
def media_sanitize(
    files: Annotated[list[Path], typer.Argument(help="photos or videos, any name or extension")],
    out: Annotated[Path, typer.Option(help="folder for the sanitised files")],
    blur: Annotated[bool, typer.Option(help="blur faces in photos")] = True,
    text: Annotated[
        bool, typer.Option(help="blur personal data and plates written in photos (OCR, slow)")
    ] = False,
) -> None:
    """Validate by content, strip all metadata, blur faces; one JSON line per input.

    Exits 0 when every file was handled (accepted or rejected), 1 when one could not be read.
    """
    failed = False
    for record in sanitize_files(files, out, blur_faces=blur, blur_text=text):
        failed = failed or record["status"] == "error"
        typer.echo(json.dumps(record, ensure_ascii=False))
    if failed:
        raise typer.Exit(1)
