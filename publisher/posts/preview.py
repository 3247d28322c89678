"""Previews: a post as its platform will show it (HTML card) and a PNG of that card.

The card (``templates/web/preview/``) shows the caption, the media grid, counters of remaining
characters, hashtags and media, and every pre-flight problem. The review UI embeds
``_card.html.j2`` via :func:`render_card_html`; ``lapor post preview ID --out F.png`` writes a
PNG for people who review from chat, by screenshotting the full page with Debian's Chromium in
headless mode (the same browser the browser tests drive), then trimming the blank margin.

The HTML environment is sandboxed with autoescaping on: a caption is text, never markup.

Errors: :class:`PreviewError` (a :class:`publisher.core.errors.LaporError`): the post does not
exist, Chromium is missing or failed. Messages are English (CLI); ``user_message`` is Bahasa.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from PIL import Image, ImageChops
from sqlalchemy.orm import Session

from publisher.core import formats
from publisher.core.errors import LaporError
from publisher.core.paths import templates_dir
from publisher.db.models import Post, SocialAccount
from publisher.media import MediaStore
from publisher.posts.fitting import explain, going_out
from publisher.posts.rules import caption_length, hashtags, rules_for
from publisher.posts.validate import Problem, validate

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
PNG_WIDTH = 600
PNG_MAX_HEIGHT = 4000


class PreviewError(LaporError):
    user_message = "Pratinjau tidak dapat dibuat."


@dataclass(frozen=True)
class PreviewMedia:
    kind: str
    phase: str
    url: str


@dataclass(frozen=True)
class PreviewCard:
    post_id: int
    platform: str
    label: str
    account_name: str
    handle: str
    caption: str
    length: int
    limit: int
    hashtag_count: int
    hashtag_cap: int | None
    media_max: int
    weighted: bool = False  # the limit counts weighted characters (X)
    media_first: bool = False  # the platform shows media above the caption (Instagram)
    media: list[PreviewMedia] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Why some media are left out on this platform (publisher/posts/fitting.py), in Indonesian.
    notes: list[str] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return self.limit - self.length

    @property
    def remaining_text(self) -> str:
        return formats.number(self.remaining)

    @property
    def limit_text(self) -> str:
        return formats.number(self.limit)


@dataclass
class _Draft:
    caption: str
    media: list[Any]


def build_card(
    caption: str,
    media: Sequence[dict[str, Any]],
    platform: str,
    *,
    post_id: int = 0,
    account_name: str = "",
    handle: str = "",
    media_url: Callable[[dict[str, Any]], str] = lambda _m: "",
    instagram_hashtag_cap: int | None = None,
) -> PreviewCard:
    rules = rules_for(platform, instagram_hashtag_cap=instagram_hashtag_cap)
    items = going_out([dict(m) for m in media])
    return PreviewCard(
        post_id=post_id,
        platform=platform,
        label=rules.label,
        account_name=account_name or rules.label,
        handle=handle,
        caption=caption,
        length=caption_length(caption, rules),
        limit=rules.caption.max_length,
        hashtag_count=len(hashtags(caption)),
        hashtag_cap=rules.caption.hashtag_cap,
        media_max=rules.media.max_items,
        weighted=rules.caption.counting == "x_weighted",
        media_first=rules.media_first,
        media=[
            PreviewMedia(str(m.get("kind", "photo")), str(m.get("phase", "")), media_url(m))
            for m in items
        ],
        problems=validate(
            _Draft(caption, items), platform, instagram_hashtag_cap=instagram_hashtag_cap
        ),
        notes=explain(media, rules.label, rules.media),
    )


@cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir() / "web" / "preview")),
        autoescape=select_autoescape(["html", "html.j2"], default_for_string=True),
        undefined=StrictUndefined,
    )


def render_card_html(card: PreviewCard) -> str:
    """The card alone (an ``<article>``), for the review page."""
    return _environment().get_template("_card.html.j2").render(card=card)


def render_page_html(card: PreviewCard) -> str:
    """A standalone page holding the card, with its styles."""
    return _environment().get_template("card.html.j2").render(card=card)


def inline_media_url(store: MediaStore) -> Callable[[dict[str, Any]], str]:
    """Photos as ``data:`` URIs, so a page renders with no server (the PNG path)."""

    def url(item: dict[str, Any]) -> str:
        if item.get("kind") != "photo":
            return ""
        sha, suffix = str(item.get("sha256", "")), str(item.get("suffix", ".jpg"))
        if not sha or not store.exists(sha, suffix):
            return ""
        data = base64.b64encode(store.read(sha, suffix)).decode("ascii")
        return f"data:{item.get('mime') or 'image/jpeg'};base64,{data}"

    return url


def post_card(
    session: Session,
    post_id: int,
    *,
    media_url: Callable[[dict[str, Any]], str] = lambda _m: "",
    instagram_hashtag_cap: int | None = None,
) -> PreviewCard:
    post = session.get(Post, post_id)
    if post is None:
        raise PreviewError(
            f"post {post_id} does not exist",
        )
    account = session.get(SocialAccount, post.account_id)
    assert account is not None  # a foreign key
    return build_card(
        post.caption,
        [m for m in post.media if isinstance(m, dict)],
        account.platform,
        post_id=post.id,
        account_name=account.display_name or account.agency.name,
        handle=account.handle,
        media_url=media_url,
        instagram_hashtag_cap=instagram_hashtag_cap,
    )


def find_chromium() -> str | None:
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_png(
    page: str, out: Path, *, width: int = PNG_WIDTH, chromium: str | None = None
) -> Path:
    """Screenshot ``page`` with headless Chromium and trim the blank space below the card."""
    browser = chromium or find_chromium()
    if browser is None:
        raise PreviewError(
            "chromium is not installed: install it with `apt-get install -y chromium` "
            "(Debian) to write PNG previews",
            "Chromium belum terpasang di server; pratinjau PNG tidak dapat dibuat.",
        )
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lapor-preview-") as tmp:
        html_path = Path(tmp) / "preview.html"
        html_path.write_text(page, encoding="utf-8")
        shot = Path(tmp) / "shot.png"
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--virtual-time-budget=3000",
            f"--window-size={width},{PNG_MAX_HEIGHT}",
            f"--screenshot={shot}",
            html_path.as_uri(),
        ]
        try:
            result = subprocess.run(command, capture_output=True, timeout=90, check=False)
        except subprocess.TimeoutExpired:
            raise PreviewError("chromium took longer than 90 s to screenshot the preview") from None
        if result.returncode != 0 or not shot.exists():
            tail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise PreviewError(f"chromium failed (exit {result.returncode}): {' | '.join(tail)}")
        _trim(shot, out)
    return out


def _trim(source: Path, out: Path) -> None:
    """Cut the white space below the card (the window is taller than any card)."""
    with Image.open(source) as image:
        rgb = image.convert("RGB")
        background = Image.new("RGB", rgb.size, (255, 255, 255))
        box = ImageChops.difference(rgb, background).getbbox()
        if box is not None:
            rgb = rgb.crop((0, 0, rgb.width, min(rgb.height, box[3] + 16)))
        rgb.save(out, "PNG", optimize=True)


def write_post_png(
    session: Session,
    store: MediaStore,
    post_id: int,
    out: Path,
    *,
    instagram_hashtag_cap: int | None = None,
    chromium: str | None = None,
) -> Path:
    card = post_card(
        session,
        post_id,
        media_url=inline_media_url(store),
        instagram_hashtag_cap=instagram_hashtag_cap,
    )
    return html_to_png(render_page_html(card), out, chromium=chromium)
