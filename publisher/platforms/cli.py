"""``lapor accounts add|list``: connect agency social-media accounts and list their status;
``lapor media render``: one photo fitted to a platform's media limits (media knows no platform,
so the command that names one lives here; the root CLI joins it to ``lapor media``).

The publishing chores on an account (``test``, ``resume``, ``limits``) are the outbox's
(:mod:`publisher.outbox.cli`); the root CLI joins both into one ``lapor accounts`` group.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from publisher.core.console import console, fail
from publisher.runtime.console import context

app = typer.Typer()
media_app = typer.Typer()


@app.command("add")
def accounts_add(
    agency: Annotated[str, typer.Option(help="agency code")],
    platform: Annotated[str, typer.Option(help="folder, telegram, facebook, instagram or x")],
    handle: Annotated[str, typer.Option(help="the account's handle or channel")],
    credentials: Annotated[
        str, typer.Option(help='JSON, e.g. {"bot_token": "...", "chat_id": "@kanal"}')
    ] = "{}",
) -> None:
    """Connect a social account to an agency (credentials are stored encrypted)."""
    from sqlalchemy import select

    from publisher.db.models import Agency, SocialAccount
    from publisher.platforms.registry import names

    if platform not in names():
        raise fail(f"platform must be one of {', '.join(names())}")
    try:
        creds = json.loads(credentials)
    except ValueError:
        raise fail("--credentials is not valid JSON") from None
    with context() as ctx, ctx.sessions() as session, session.begin():
        found = session.scalar(select(Agency).where(Agency.code == agency))
        if found is None:
            raise fail(f"unknown agency code {agency!r}")
        account = SocialAccount(
            agency_id=found.id,
            platform=platform,
            handle=handle,
            credentials=ctx.vault.encrypt_json(creds),
        )
        session.add(account)
        session.flush()
        console.print(f"account {account.id} ({platform} {handle}) added to {found.name}")


@app.command("list")
def accounts_list() -> None:
    """List accounts and their status."""
    from rich.table import Table
    from sqlalchemy import select

    from publisher.db.models import Agency, SocialAccount

    with context() as ctx, ctx.sessions() as session:
        table = Table("id", "agency", "platform", "handle", "status", "reason")
        rows = session.execute(
            select(SocialAccount, Agency.code).join(Agency).order_by(SocialAccount.id)
        ).all()
        for account, code in rows:
            table.add_row(
                str(account.id),
                code,
                account.platform,
                account.handle,
                account.status,
                account.status_reason,
            )
        console.print(table)


@media_app.command("render")
def media_render(
    file: Path,
    platform: Annotated[str, typer.Option(help="instagram, facebook, x, telegram or folder")],
    out: Annotated[Path, typer.Option(help="the JPEG to write")],
) -> None:
    """Render one photo for a platform's rules (size, aspect ratio), metadata-free."""
    from publisher.core.errors import MediaRejected
    from publisher.media.cli import render_file
    from publisher.platforms.registry import get_spec, names

    if platform not in names():
        raise fail(f"platform must be one of {', '.join(sorted(names()))}")
    try:
        render_file(file, get_spec(platform).media, out)
    except MediaRejected as exc:
        raise fail(f"rejected: {exc.reason}") from None
    console.print(f"wrote {out}")
