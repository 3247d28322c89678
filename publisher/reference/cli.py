"""``lapor seed``: load Kabupaten Tegal's reference data (kecamatan and agencies)."""

from __future__ import annotations

import typer

from publisher.core.console import console
from publisher.runtime.console import context

commands = typer.Typer()


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
