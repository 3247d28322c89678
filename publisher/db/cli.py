"""``lapor db upgrade|current``: the database's migrations."""

from __future__ import annotations

import typer

from publisher.core.console import console, context

app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from publisher.db import migrate

    with context() as ctx:
        migrate.upgrade(ctx.engine, revision)
        console.print(f"database at revision {migrate.current_revision(ctx.engine)}")


@app.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one available."""
    from publisher.db import migrate

    with context() as ctx:
        console.print(
            f"current: {migrate.current_revision(ctx.engine)}  head: {migrate.head_revision()}"
        )
