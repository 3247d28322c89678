"""Operations commands: ``lapor doctor``, ``backup``, ``restore``, ``lapor db upgrade|current``
(the database's migrations) and ``lapor keys new|rotate`` (encryption keys of the secrets at
rest). The data model itself (:mod:`publisher.db`) has no commands: they need the application
context, which stands above it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from publisher.core.console import console, fail
from publisher.core.errors import LaporError
from publisher.runtime.console import context

commands = typer.Typer()
keys_app = typer.Typer(help="Encryption keys for secrets at rest.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)

STATUS_STYLE = {"ok": "green", "info": "blue", "warn": "yellow", "fail": "red"}


@commands.command()
def doctor(
    demo: Annotated[
        bool, typer.Option(help="check the `make demo` install under var/demo")
    ] = False,
    demo_folder: Annotated[Path, typer.Option(help="where the demo lives")] = Path("var/demo"),
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Check settings, database, migrations, media, model, fonts, accounts; say what to fix."""
    from publisher.core.settings import Settings
    from publisher.ops.doctor import demo_settings, healthy, run_checks

    results = run_checks((lambda: demo_settings(demo_folder)) if demo else Settings)
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in results], indent=1))
    else:
        table = Table("check", "status", "found", "fix")
        for r in results:
            style = STATUS_STYLE[r.status]
            table.add_row(r.name, f"[{style}]{r.status}[/{style}]", r.detail, r.fix)
        console.print(table)
        # The same findings unwrapped, one line each, for logs and narrow terminals.
        for r in results:
            if r.status in ("warn", "fail"):
                typer.echo(
                    f"{r.status.upper()} {r.name}: {r.detail}"
                    + (f" -- fix: {r.fix}" if r.fix else "")
                )
        console.print(
            "[green]all green[/green]" if healthy(results) else "[red]needs attention[/red]"
        )
    if not healthy(results):
        raise typer.Exit(1)


@commands.command()
def backup(
    dest: Annotated[
        Path | None, typer.Argument(help="an empty folder (default: LAPOR_BACKUP_DIR/<time>)")
    ] = None,
    logical: Annotated[bool, typer.Option(help="JSON dump (portable between databases)")] = False,
) -> None:
    """Back up the database, the media store and the private media store into one folder."""
    from publisher.core.clock import utcnow
    from publisher.ops.backup import KEYS_REMINDER, create_backup

    with context() as ctx:
        target = dest or ctx.settings.backup_dir / utcnow().strftime("%Y%m%dT%H%M%SZ")
        try:
            manifest = create_backup(
                ctx.engine,
                ctx.settings.media_dir,
                target,
                private_media_dir=ctx.settings.private_media_dir,
                model_dir=ctx.settings.model_dir,
                logical=logical,
            )
        except LaporError as exc:
            raise fail(str(exc)) from None
    console.print(
        f"backup in {target}: {manifest.database}, {sum(manifest.row_counts.values())} rows, "
        f"{len(manifest.media)} media files, {len(manifest.private_media)} private media files"
    )
    console.print(KEYS_REMINDER)


@commands.command()
def restore(
    source: Annotated[Path, typer.Argument(help="a folder written by `lapor backup`")],
) -> None:
    """Restore a backup into the configured (empty) database and media folder."""
    from publisher.ops.backup import KEYS_REMINDER, restore_backup

    with context() as ctx:
        try:
            manifest = restore_backup(
                ctx.engine,
                ctx.settings.media_dir,
                source,
                private_media_dir=ctx.settings.private_media_dir,
                model_dir=ctx.settings.model_dir,
            )
        except LaporError as exc:
            raise fail(str(exc)) from None
    console.print(
        f"restored {sum(manifest.row_counts.values())} rows, {len(manifest.media)} media "
        f"files and {len(manifest.private_media)} private media files from {source}"
    )
    console.print(KEYS_REMINDER)


@keys_app.command("new")
def keys_new() -> None:
    """Print a new key. Put it first in LAPOR_SECRET_KEY, then run `lapor keys rotate`."""
    from publisher.core.crypto import new_key

    typer.echo(new_key())


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored secret and private text with the first key of LAPOR_SECRET_KEY."""
    from publisher.ops.keys import rotate_keys

    with context() as ctx, ctx.sessions() as session, session.begin():
        total = rotate_keys(session, ctx.vault)
    console.print(f"re-encrypted {total} values with the newest key")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from publisher.db import migrate

    with context() as ctx:
        migrate.upgrade(ctx.engine, revision)
        console.print(f"database at revision {migrate.current_revision(ctx.engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one available."""
    from publisher.db import migrate

    with context() as ctx:
        console.print(
            f"current: {migrate.current_revision(ctx.engine)}  head: {migrate.head_revision()}"
        )
