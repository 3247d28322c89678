"""The PNG preview, screenshotted by headless Chromium (browser marker), and the clear error
when Chromium is absent."""

from __future__ import annotations

from pathlib import Path

import numpy
import pytest
from PIL import Image

from publisher.posts.preview import PreviewError, find_chromium, html_to_png, write_post_png
from publisher.runtime.context import AppContext
from tests.factories import feed_record, jpeg
from tests.flow import add_account, feed_and_draft


def test_without_chromium_the_png_preview_fails_with_a_clear_english_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no browser on it
    assert find_chromium() is None
    with pytest.raises(PreviewError, match="chromium is not installed: install it with"):
        html_to_png("<p>x</p>", tmp_path / "x.png")


@pytest.mark.browser
def test_lapor_post_preview_writes_a_png_of_the_card_with_its_photo(
    ctx: AppContext, tmp_path: Path
) -> None:
    if find_chromium() is None:
        pytest.fail("browser tests need Chromium (apt-get install -y chromium)")
    add_account(ctx, "instagram", "@dpupr_ig")
    (post,) = feed_and_draft(ctx, feed_record(41))
    sha = ctx.media.put(jpeg(800, 1000, (200, 30, 30)), ".jpg")
    with ctx.sessions() as session, session.begin():
        from publisher.db.models import Post

        row = session.get(Post, post.id)
        assert row is not None
        row.media = [{"sha256": sha, "kind": "photo", "mime": "image/jpeg", "phase": "",
                      "suffix": ".jpg"}]  # fmt: skip
    with ctx.readonly_sessions() as session:
        out = write_post_png(session, ctx.media, post.id, tmp_path / "preview.png")
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert 300 < image.width <= 800 and 300 < image.height < 4000
        pixels = numpy.asarray(image.convert("RGB")).astype(int)
        red = int(((pixels[..., 0] > 180) & (pixels[..., 1] < 60)).sum())
        assert red > 10_000  # the photo is in the card
