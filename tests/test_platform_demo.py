"""`make demo` publishes over HTTP to the fake Facebook, Instagram, X and Telegram servers."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from publisher.demo.run import run_demo


def test_the_demo_reaches_every_fake_platform_and_counts_agree(tmp_path: Path) -> None:
    console = Console(record=True, width=120)
    run_demo(cases=6, root=str(tmp_path / "demo"), console=console)
    rows = {
        line.split("│")[1].strip(): int(line.split("│")[2])
        for line in console.export_text().splitlines()
        if line.count("│") == 3 and line.split("│")[2].strip().isdigit()
    }
    for platform in ("telegram", "facebook", "instagram"):
        assert rows[f"published to {platform}"] > 0
        assert (
            rows[f"published to {platform}"]
            == rows[f"posts received by the fake {platform} server"]
        )
    # X refuses captions over 280 weighted characters; what went out matches the fake's count.
    assert rows["published to x"] == rows["posts received by the fake x server"]
