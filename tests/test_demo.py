"""`make demo` end to end, small: fake feed and Telegram over HTTP, SQLite, folder platform."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
from rich.console import Console

from publisher.demo.run import run_demo
from tests.test_web_factory import free_port, get

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_publishes_to_the_folder_and_the_fake_telegram(tmp_path: Path) -> None:
    console = Console(record=True, width=120)
    run_demo(cases=12, root=str(tmp_path / "demo"), console=console)
    text = console.export_text()
    rows = {
        line.split("│")[1].strip(): int(line.split("│")[2])
        for line in text.splitlines()
        if line.count("│") == 3 and line.split("│")[2].strip().isdigit()
    }
    assert rows["cases collected"] == 12
    assert rows["records quarantined"] == 1
    assert rows["published to folder"] > 0 and rows["published to telegram"] > 0
    # Issue 19: X and Meta connected through the admin page's OAuth flows against the fakes,
    # with tokens that lapse during the run, so every post went out through renewed ones.
    assert rows["accounts connected through the admin page"] > 0
    assert rows["published to x"] > 0 and rows["X tokens refreshed (rotated pairs)"] > 0
    assert rows["published to facebook"] > 0 and rows["Meta Page tokens renewed"] > 0
    assert rows["published to instagram"] > 0
    captions = list((tmp_path / "demo" / "posts").rglob("caption.txt"))
    assert len(captions) == rows["published to folder"]
    assert all("#LaporBupatiTegal" in c.read_text() for c in captions)
    # The newcomer path: the printed command serves the demo, the printed users sign in.
    command = re.search(r"^  \.venv/bin/lapor (demo-web.*)$", text, re.M)
    assert command is not None, text
    users = dict(re.findall(r"^  (demo\.\w+) +(\S+)  \(", text, re.M))
    assert set(users) == {"demo.reviewer", "demo.admin", "demo.pimpinan", "demo.pic"}
    port = free_port()
    args = [*shlex.split(command.group(1)), "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, "-m", "publisher.cli.main", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        form = get(f"{base}/login")
        with httpx.Client(base_url=base, cookies=form.cookies) as web:
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token is not None
            signed_in = web.post(
                "/login",
                data={
                    "username": "demo.pimpinan",
                    "password": users["demo.pimpinan"],
                    "csrf_token": token.group(1),
                },
            )
            assert signed_in.status_code == 303 and signed_in.headers["location"] == "/dashboard"
            dashboard = web.get("/dashboard")
            assert dashboard.status_code == 200 and 'data-testid="total-received"' in dashboard.text
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert b"Traceback" not in stderr, stderr.decode()
