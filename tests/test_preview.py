"""The HTML preview card a reviewer sees, and `lapor post preview ID --out F.html`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from publisher.posts.preview import build_card, render_card_html, render_page_html
from publisher.runtime.context import AppContext
from tests.factories import feed_record
from tests.flow import add_account, feed_and_draft


def photo(phase: str = "") -> dict[str, str]:
    return {"sha256": "b" * 64, "kind": "photo", "mime": "image/jpeg", "phase": phase}


def test_the_card_shows_caption_media_and_remaining_characters() -> None:
    caption = "✅ Jalan sudah ditambal.\n#LaporBupatiTegal"
    card = build_card(
        caption,
        [photo("before"), photo("after")],
        "x",
        post_id=7,
        account_name="DPUPR Tegal",
        handle="@dpupr",
        media_url=lambda m: "data:image/jpeg;base64,AAAA",
    )
    page = render_card_html(card)
    assert 'data-platform="x"' in page and "DPUPR Tegal" in page
    assert "Sebelum" in page and "Sesudah" in page
    assert page.count("<img ") == 2
    remaining = 280 - (len(caption) + 1)  # the check mark weighs 2 on X
    assert f"Sisa karakter: <b>{remaining}</b> dari 280" in page
    assert "Lolos pemeriksaan X." in page


def test_the_card_escapes_the_caption_and_lists_every_problem_in_bahasa() -> None:
    caption = "<script>alert(1)</script> " + "panjang " * 400
    card = build_card(caption, [photo()] * 12, "instagram")
    page = render_page_html(card)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert "Keterangan terlalu panjang untuk Instagram" in page
    assert "Terlalu banyak media untuk Instagram: 12 dari maks. 10." in page
    assert "wajib ada" in page
    assert "counter--over" in page
    assert "Tagar: <b>0</b> / 5" in page


def test_the_cli_writes_the_html_preview_of_a_drafted_post(ctx: AppContext, tmp_path: Path) -> None:
    add_account(ctx, "telegram", "@dpupr_tg")
    (post,) = feed_and_draft(ctx, feed_record(31))
    out = tmp_path / "card.html"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env.update(
        LAPOR_DATABASE_URL=str(ctx.settings.database_url),
        LAPOR_SECRET_KEY=ctx.settings.secret_key,
        LAPOR_MEDIA_DIR=str(ctx.settings.media_dir),
        PYTHONPATH=str(Path(__file__).resolve().parents[1]),
    )
    command = [sys.executable, "-c", "from publisher.cli.main import main; main()"]
    done = subprocess.run(
        [*command, "post", "preview", str(post.id), "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = out.read_text("utf-8")
    assert "#LaporBupatiTegal" in page and 'data-platform="telegram"' in page
    missing = subprocess.run(
        [*command, "post", "preview", "999", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert missing.returncode == 1 and "post 999 does not exist" in missing.stderr
