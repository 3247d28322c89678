"""Intake commands: ``lapor import FILE``, ``lapor sources status|runs|quarantine`` and
``lapor pic-phone`` (register a PIC's WhatsApp number)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import func, select

from publisher.core.console import console, fail
from publisher.core.errors import IntakeError
from publisher.runtime.console import context

app: typer.Typer = typer.Typer()
sources_app: typer.Typer = typer.Typer(
    help="Case sources: last runs, history, quarantine.", no_args_is_help=True
)
app.add_typer(sources_app, name="sources")


@app.command("import")
def import_cases(
    file: Annotated[Path, typer.Argument(help=".csv or .xlsx, one case per row", exists=True)],
    source: Annotated[str, typer.Option(help="source name the rows are stored under")] = "import",
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help='rename a column: "Sheet header=field" (repeatable)'),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="show what would change; store nothing")] = False,
) -> None:
    """Import cases from a spreadsheet; every bad row is reported with its row number."""
    from publisher.intake.sources.csv_import import import_file, parse_mapping

    try:
        mapping = parse_mapping(map_ or [])
    except IntakeError as exc:
        raise fail(str(exc)) from None
    with context() as ctx:
        try:
            report = import_file(
                ctx.sessions, ctx.vault, file, source=source, mapping=mapping, dry_run=dry_run
            )
        except IntakeError as exc:
            raise fail(str(exc)) from None
    verb = "would be" if dry_run else "is"
    for row in report.rows:
        if row.outcome == "quarantined":
            # One line per bad row, never wrapped, so it can be read or grepped.
            console.print(
                f"row {row.row} ({row.external_id or '?'}): {row.reason}",
                soft_wrap=True,
                highlight=False,
                markup=False,
            )
        elif row.outcome != "unchanged":
            console.print(
                f"row {row.row} ({row.external_id}) {verb} {row.outcome}",
                soft_wrap=True,
                highlight=False,
                markup=False,
            )
    counts = report.counts.as_dict()
    summary = ", ".join(f"{k}: {v}" for k, v in counts.items() if k != "fetched")
    prefix = "dry run, nothing stored" if dry_run else "imported"
    console.print(f"{prefix}: {counts['fetched']} rows ({summary})")
    if report.counts.quarantined:
        raise typer.Exit(1)


@sources_app.command("status")
def sources_status() -> None:
    """Each source's last run: counts, cursor, open quarantine and error."""
    from publisher.db.models import Quarantine, SourceState

    with context() as ctx, ctx.readonly_sessions() as session:
        table = Table("source", "last run", "counts", "cursor", "quarantined (open)", "error")
        for state in session.scalars(select(SourceState).order_by(SourceState.name)):
            open_q = session.scalar(
                select(func.count())
                .select_from(Quarantine)
                .where(Quarantine.source == state.name, Quarantine.resolved_at.is_(None))
            )
            table.add_row(
                state.name,
                str(state.last_run_at or "-"),
                json.dumps(state.last_counts),
                state.cursor,
                str(open_q),
                state.last_error,
            )
        console.print(table)


@sources_app.command("runs")
def sources_runs(
    source: Annotated[str, typer.Option(help="only this source")] = "",
    limit: Annotated[int, typer.Option(help="how many runs")] = 20,
) -> None:
    """The most recent source runs, newest first."""
    from publisher.db.models import SourceRun

    with context() as ctx, ctx.readonly_sessions() as session:
        query = select(SourceRun).order_by(SourceRun.id.desc()).limit(limit)
        if source:
            query = query.where(SourceRun.source == source)
        table = Table(
            "source",
            "started",
            "finished",
            "fetched",
            "new",
            "updated",
            "stale",
            "quarantined",
            "errors",
            "error",
        )
        for run in session.scalars(query):
            c = run.counts
            table.add_row(
                run.source,
                str(run.started_at),
                str(run.finished_at or "-"),
                *(
                    str(c.get(k, 0))
                    for k in ("fetched", "new", "updated", "stale", "quarantined", "errors")
                ),
                run.error,
            )
        console.print(table)


@sources_app.command("quarantine")
def sources_quarantine(
    source: Annotated[str, typer.Option(help="only this source")] = "",
    limit: Annotated[int, typer.Option(help="how many records")] = 50,
) -> None:
    """Open quarantined records and why (the payloads stay encrypted)."""
    from publisher.db.models import Quarantine

    with context() as ctx, ctx.readonly_sessions() as session:
        query = (
            select(Quarantine)
            .where(Quarantine.resolved_at.is_(None))
            .order_by(Quarantine.id.desc())
            .limit(limit)
        )
        if source:
            query = query.where(Quarantine.source == source)
        table = Table("id", "source", "external id", "when", "reason")
        for row in session.scalars(query):
            table.add_row(str(row.id), row.source, row.external_id, str(row.created_at), row.reason)
        console.print(table)


@app.command("pic-phone")
def pic_phone(
    username: Annotated[str, typer.Argument(help="the PIC's username")],
    phone: Annotated[str, typer.Argument(help="WhatsApp number, e.g. 0812... or +62812...")],
) -> None:
    """Register the WhatsApp number a PIC sends follow-ups from (stored encrypted)."""
    from publisher.db.models import User
    from publisher.intake.sources.whatsapp import set_pic_phone

    with context() as ctx, ctx.sessions() as session, session.begin():
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise fail(f"unknown user {username!r}")
        set_pic_phone(user, ctx.vault, ctx.settings.secret_keys, phone)
    console.print(f"WhatsApp number registered for {username}")
