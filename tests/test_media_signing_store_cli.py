"""Signed media URLs, content-addressed storage and the command-line entry points."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from publisher.media import (
    LocalMediaStore,
    sign_media_url,
    verify_media_signature,
    verify_media_url,
)
from publisher.media.cli import render_file, sanitize_files
from publisher.media.signing import SigningError
from publisher.platforms.registry import get_spec

SECRET = b"k" * 32
SHA = hashlib.sha256(b"rendition").hexdigest()
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
REPO = Path(__file__).resolve().parents[1]


def _url(expires_in: dt.timedelta = dt.timedelta(hours=1), suffix: str = ".jpg") -> str:
    return sign_media_url("https://lapor.example/m/", SHA, suffix, SECRET, NOW + expires_in)


def test_a_signed_url_verifies_until_it_expires() -> None:
    url = _url()
    assert url.startswith(f"https://lapor.example/m/{SHA}.jpg?expires=")
    assert verify_media_url(url, SECRET, now=NOW)
    assert not verify_media_url(url, SECRET, now=NOW + dt.timedelta(hours=2))


def test_a_tampered_hash_suffix_expiry_or_secret_fails() -> None:
    url = _url()
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    expires, sig = query["expires"], query["sig"]
    assert verify_media_signature(SHA, ".jpg", expires, sig, SECRET, now=NOW)
    other = hashlib.sha256(b"other").hexdigest()
    assert not verify_media_signature(other, ".jpg", expires, sig, SECRET, now=NOW)
    assert not verify_media_signature(SHA, ".mp4", expires, sig, SECRET, now=NOW)
    assert not verify_media_signature(SHA, ".jpg", int(expires) + 60, sig, SECRET, now=NOW)
    assert not verify_media_signature(SHA, ".jpg", expires, sig, b"x" * 32, now=NOW)
    assert not verify_media_signature(SHA, ".jpg", "soon", sig, SECRET, now=NOW)
    assert not verify_media_signature(SHA, ".jpg", expires, sig.upper(), SECRET, now=NOW)
    assert not verify_media_url("https://lapor.example/m/nothing", SECRET, now=NOW)


def test_a_url_valid_for_longer_than_the_maximum_lifetime_is_refused() -> None:
    assert not verify_media_url(_url(dt.timedelta(days=30)), SECRET, now=NOW)


@pytest.mark.parametrize(
    ("sha", "suffix", "secret", "expires"),
    [
        ("../etc/passwd", ".jpg", SECRET, NOW),
        (SHA, ".heic", SECRET, NOW),
        (SHA, ".jpg", b"short", NOW),
        (SHA, ".jpg", SECRET, NOW.replace(tzinfo=None)),
    ],
)
def test_signing_refuses_bad_arguments(
    sha: str, suffix: str, secret: bytes, expires: dt.datetime
) -> None:
    with pytest.raises(SigningError):
        sign_media_url("https://x", sha, suffix, secret, expires)


def test_the_store_is_content_addressed_idempotent_and_leaves_no_temp_files(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    digest = store.put(b"pixels", ".jpg")
    assert digest == hashlib.sha256(b"pixels").hexdigest()
    assert store.path(digest, ".jpg") == tmp_path / digest[:2] / digest[2:4] / f"{digest}.jpg"
    assert store.put(b"pixels", ".jpg") == digest
    assert store.read(digest, ".jpg") == b"pixels" and store.exists(digest, ".jpg")
    assert not store.exists(hashlib.sha256(b"nope").hexdigest(), ".jpg")
    assert [p.name for p in tmp_path.rglob(".tmp-*")] == []


def _photo(path: Path) -> Path:
    Image.new("RGB", (640, 480), (10, 120, 200)).save(path, "JPEG", comment=b"Budi 0812")
    return path


def test_sanitize_files_reports_one_record_per_input_accepted_or_rejected(tmp_path: Path) -> None:
    good = _photo(tmp_path / "a.jpg")
    bad = tmp_path / "b.jpg"
    bad.write_bytes(b"GIF89a" + b"\x00" * 40)
    records = list(sanitize_files([good, bad], tmp_path / "out"))
    assert [r["status"] for r in records] == ["ok", "rejected"]
    assert records[1]["reason"] and records[1]["outputs"] == []
    output = Path(str(records[0]["outputs"][0]))  # type: ignore[index]
    assert output.read_bytes().startswith(b"\xff\xd8") and b"Budi" not in output.read_bytes()


def test_render_file_writes_an_instagram_rendition(tmp_path: Path) -> None:
    render_file(_photo(tmp_path / "a.jpg"), get_spec("instagram").media, tmp_path / "ig.jpg")
    assert Image.open(tmp_path / "ig.jpg").size == (640, 480)  # never upscaled past the source


def test_python_dash_m_sanitize_prints_json_lines_and_exits_zero(tmp_path: Path) -> None:
    good = _photo(tmp_path / "a.jpg")
    bad = tmp_path / "c.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "publisher.media", "sanitize", str(good), str(bad),
         "--out", str(tmp_path / "o")],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(x["input"], x["status"]) for x in lines] == [(str(good), "ok"), (str(bad), "rejected")]
    assert set(lines[0]) >= {"input", "status", "reason", "outputs"}


def test_python_dash_m_render_writes_the_file(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "publisher.media", "render", str(_photo(tmp_path / "a.jpg")),
         "--platform", "telegram", "--out", str(tmp_path / "t.jpg")],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert Image.open(io.BytesIO((tmp_path / "t.jpg").read_bytes())).format == "JPEG"
