"""``lapor db upgrade|current`` (migrations) and ``lapor seed`` (Tegal's reference data)."""

from __future__ import annotations

import typer

from publisher.core.console import console, context

app = typer.Typer(help="Database migrations.", no_args_is_help=True)
commands = typer.Typer()


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


@commands.command()
def seed() -> None:
    """Load Kabupaten Tegal's kecamatan and agencies (idempotent)."""
    from publisher.reference import seed as do_seed

    with context() as ctx, ctx.sessions() as session, session.begin():
        result = do_seed(session)
    console.print(
        f"kecamatan added: {result.kecamatan_added}, agencies added: {result.agencies_added}, "
        f"agencies updated: {result.agencies_updated}"
    )
