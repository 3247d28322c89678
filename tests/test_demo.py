"""`make demo` end to end, small: fake feed and Telegram over HTTP, SQLite, folder platform."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from publisher.demo.run import run_demo


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
    captions = list((tmp_path / "demo" / "posts").rglob("caption.txt"))
    assert len(captions) == rows["published to folder"]
    assert all("#LaporBupatiTegal" in c.read_text() for c in captions)
