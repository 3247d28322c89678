"""``lapor post preview|check``: previews and pre-flight checks of drafted posts (English
messages). The root CLI joins these with the outbox's ``status`` and ``takedown`` into one
``lapor post`` group."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from publisher.core.console import console, fail
from publisher.runtime.console import context

app = typer.Typer()


@app.command("preview")
def preview(
    post_id: Annotated[int, typer.Argument(help="the post's id (see `lapor review list`)")],
    out: Annotated[Path, typer.Option("--out", help="where to write the PNG (or .html)")],
) -> None:
    """Write the post as its platform will show it: a PNG (needs Chromium) or, for a path
    ending in .html, the HTML card."""
    from publisher.posts.preview import (
        PreviewError,
        inline_media_url,
        post_card,
        render_page_html,
        write_post_png,
    )

    with context() as ctx, ctx.readonly_sessions() as session:
        cap = ctx.settings.instagram_hashtag_cap
        try:
            if out.suffix.lower() in (".html", ".htm"):
                card = post_card(
                    session, post_id, media_url=inline_media_url(ctx.media),
                    instagram_hashtag_cap=cap,
                )  # fmt: skip
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(render_page_html(card), encoding="utf-8")
            else:
                write_post_png(session, ctx.media, post_id, out, instagram_hashtag_cap=cap)
        except PreviewError as exc:
            raise fail(str(exc)) from None
    console.print(f"preview of post {post_id} written to {out}")


@app.command("check")
def check(
    post_id: Annotated[int, typer.Argument(help="the post's id")],
) -> None:
    """List every platform rule the post breaks (exit 1 when it breaks any)."""
    from publisher.db.models import Post, SocialAccount
    from publisher.posts.validate import validate

    with context() as ctx, ctx.readonly_sessions() as session:
        post = session.get(Post, post_id)
        if post is None:
            raise fail(f"post {post_id} does not exist")
        account = session.get(SocialAccount, post.account_id)
        assert account is not None
        problems = validate(
            post, account.platform, instagram_hashtag_cap=ctx.settings.instagram_hashtag_cap
        )
    if not problems:
        console.print(f"post {post_id} passes every {account.platform} rule")
        return
    for problem in problems:
        console.print(f"{problem.code}: {problem.message}", highlight=False)
    raise typer.Exit(1)
