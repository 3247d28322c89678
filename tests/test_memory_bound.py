"""600 MB to any unauthenticated route leaves the server's memory within 50 MB of where it was:
a real uvicorn server in its own process, a generated body streamed to it (chunked, and with a
declared length), its peak resident memory read from /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from publisher.core.crypto import new_key
from tests.conftest import make_context
from tests.web_support import free_port

pytestmark = pytest.mark.slow

BODY = 600 * 1024 * 1024
CHUNK = b"[" * (1024 * 1024)
SERVER = """
import sys
import uvicorn
from publisher.app.factory import create_app
from publisher.core.settings import Settings
from publisher.runtime.context import AppContext

app = create_app(AppContext.from_settings(Settings()))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"{field} not in /proc/{pid}/status")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    url = f"sqlite:///{tmp_path / 'lapor.db'}"
    key = new_key()
    make_context(url, tmp_path, secret_key=key).close()
    env = {
        **os.environ,
        "LAPOR_DATABASE_URL": url,
        "LAPOR_SECRET_KEY": key,
        "LAPOR_MEDIA_DIR": str(tmp_path / "media"),
        "LAPOR_PRIVATE_MEDIA_DIR": str(tmp_path / "private-media"),
        "LAPOR_MODEL_DIR": str(tmp_path / "model"),
        "LAPOR_PUSH_SECRET": "memory-test-push-secret",
        "LAPOR_WHATSAPP_APP_SECRET": "memory-test-app-secret",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None, "the server did not start"
        assert time.monotonic() < deadline, "the server did not start within 60 s"
        time.sleep(0.2)
    try:
        yield process, base
    finally:
        process.terminate()
        process.wait(timeout=20)


def _stream(total: int) -> Iterator[bytes]:
    for _ in range(total // len(CHUNK)):
        yield CHUNK


ROUTES = [
    ("/api/v1/cases", "application/json"),
    ("/webhooks/whatsapp", "application/json"),
    ("/login", "application/x-www-form-urlencoded"),
    ("/pic/cases/1/follow-up", "multipart/form-data; boundary=x"),
]


def test_600_mb_to_each_unauthenticated_route_leaves_memory_within_50_mb(
    server: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, base = server
    for path, content_type in ROUTES:  # warm every route up once, small
        httpx.post(f"{base}{path}", content=b"{}", headers={"Content-Type": content_type})
    before = _status(process.pid, "VmRSS")
    Path(f"/proc/{process.pid}/clear_refs").write_text("5")  # peak := now
    answers: list[tuple[str, str, int | str]] = []
    for path, content_type in ROUTES:
        for declared in (False, True):
            headers = {"Content-Type": content_type}
            if declared:
                headers["Content-Length"] = str(BODY)
            try:
                answer = httpx.post(
                    f"{base}{path}", content=_stream(BODY), headers=headers, timeout=120
                )
                outcome: int | str = answer.status_code
            except httpx.TransportError as exc:
                # The server answered 413 and closed while we were still sending.
                outcome = type(exc).__name__
            answers.append((path, "declared" if declared else "chunked", outcome))
    peak = _status(process.pid, "VmHWM")
    grown = (peak - before) / (1024 * 1024)
    print(f"RSS before {before / 2**20:.1f} MB, peak after {peak / 2**20:.1f} MB: {answers}")
    assert grown < 50, f"peak RSS grew by {grown:.1f} MB: {answers}"
    assert process.poll() is None
    assert all(outcome not in range(500, 600) for _, _, outcome in answers), answers
    # 413 once over the cap; a malformed multipart body may be refused (400) before that.
    assert all(outcome in (413, 400) or isinstance(outcome, str) for *_, outcome in answers)
