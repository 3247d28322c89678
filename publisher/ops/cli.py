"""Operations commands: ``lapor scheduler``, ``doctor``, ``backup``, ``restore``, ``digest``,
``stats``. Registered on the main app by :func:`register` (see the end of publisher/cli/main.py)."""

from __future__ import annotations

import json
import signal
import threading
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from publisher.core.errors import LaporError

STATUS_STYLE = {"ok": "green", "info": "blue", "warn": "yellow", "fail": "red"}


def scheduler(
    holder: Annotated[str, typer.Option(help="name in the lease and job runs")] = "",
) -> None:
    """Run the scheduler (one per database; a second one waits as a standby). Stops on SIGTERM."""
    from jobs.scheduler import serve
    from publisher.cli.main import context, fail

    stop = threading.Event()

    def _stop(_sig: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with context() as ctx:
        try:
            serve(ctx, stop, holder=holder or None)
        except LaporError as exc:
            raise fail(str(exc), 2) from None


def doctor(
    demo: Annotated[
        bool, typer.Option(help="check the `make demo` install under var/demo")
    ] = False,
    demo_folder: Annotated[Path, typer.Option(help="where the demo lives")] = Path("var/demo"),
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Check settings, database, migrations, media, model, fonts, accounts; say what to fix."""
    from publisher.cli.main import console
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


def backup(
    dest: Annotated[
        Path | None, typer.Argument(help="an empty folder (default: LAPOR_BACKUP_DIR/<time>)")
    ] = None,
    logical: Annotated[bool, typer.Option(help="JSON dump (portable between databases)")] = False,
) -> None:
    """Back up the database and the media store into one folder."""
    from publisher.cli.main import console, context, fail
    from publisher.core.clock import utcnow
    from publisher.ops.backup import create_backup

    with context() as ctx:
        target = dest or ctx.settings.backup_dir / utcnow().strftime("%Y%m%dT%H%M%SZ")
        try:
            manifest = create_backup(ctx.engine, ctx.settings.media_dir, target, logical=logical)
        except LaporError as exc:
            raise fail(str(exc)) from None
    console.print(
        f"backup in {target}: {manifest.database}, {sum(manifest.row_counts.values())} rows, "
        f"{len(manifest.media)} media files"
    )


def restore(
    source: Annotated[Path, typer.Argument(help="a folder written by `lapor backup`")],
) -> None:
    """Restore a backup into the configured (empty) database and media folder."""
    from publisher.cli.main import console, context, fail
    from publisher.ops.backup import restore_backup

    with context() as ctx:
        try:
            manifest = restore_backup(ctx.engine, ctx.settings.media_dir, source)
        except LaporError as exc:
            raise fail(str(exc)) from None
    console.print(
        f"restored {sum(manifest.row_counts.values())} rows and {len(manifest.media)} media "
        f"files from {source}"
    )


def digest(
    agency: Annotated[list[str] | None, typer.Option(help="agency code(s); default all")] = None,
    send: Annotated[bool, typer.Option(help="send by Telegram to LAPOR_DIGEST_RECIPIENTS")] = False,
) -> None:
    """Print today's summary per agency (and send it with --send)."""
    from publisher.cli.main import console, context
    from publisher.core.clock import utcnow
    from publisher.monitoring.digest import build_digests, render_text, send_digests
    from publisher.monitoring.workdays import load_calendar

    with context() as ctx:
        s = ctx.settings
        calendar = load_calendar(s.tz, s.holiday_files)
        with ctx.readonly_sessions() as session:
            digests = build_digests(
                session,
                calendar,
                utcnow(),
                overdue_after_wd=s.overdue_working_days,
                agency_codes=agency,
            )
        for item in digests:
            console.print(render_text(item, s.overdue_working_days), highlight=False)
            console.print()
        if send:
            counts = send_digests(ctx, digests)
            console.print(
                f"sent {counts.sent}, failed {counts.failed}, "
                f"without recipients {counts.no_recipients}"
            )


def stats(
    start: Annotated[str, typer.Option(help="first day, YYYY-MM-DD (default: 1 January)")] = "",
    end: Annotated[str, typer.Option(help="last day, YYYY-MM-DD (default: today)")] = "",
    agency: Annotated[str, typer.Option(help="one agency code")] = "",
    csv: Annotated[str, typer.Option(help="print CSV: agencies, pics or overdue")] = "",
) -> None:
    """Complaints received, answered, resolved, followed up and published; the ranking."""
    from publisher.cli.main import console, context, fail
    from publisher.core.clock import utcnow
    from publisher.monitoring.export import KINDS, report_csv
    from publisher.monitoring.stats import build_report
    from publisher.monitoring.workdays import load_calendar

    if csv and csv not in KINDS:
        raise fail(f"--csv must be one of {', '.join(KINDS)}")
    with context() as ctx:
        s = ctx.settings
        now = utcnow()
        today = now.astimezone(s.tz).date()
        try:
            first = date.fromisoformat(start) if start else date(today.year, 1, 1)
            last = date.fromisoformat(end) if end else today
        except ValueError:
            raise fail("dates are YYYY-MM-DD") from None
        calendar = load_calendar(s.tz, s.holiday_files)
        with ctx.readonly_sessions() as session:
            report = build_report(
                session,
                calendar,
                start=first,
                end=last,
                now=now,
                min_cases=s.ranking_min_cases,
                overdue_after_wd=s.overdue_working_days,
                agency_code=agency or None,
            )
    if csv:
        typer.echo(report_csv(report, csv), nl=False)  # type: ignore[arg-type]
        return
    table = Table(
        "agency",
        "received",
        "answered",
        "resolved",
        "followed up",
        "published",
        "overdue",
        "median response (wd)",
        "median resolution (wd)",
        title=f"{first} .. {last}",
    )
    for g in [*report.agencies, report.total]:
        table.add_row(
            g.label,
            *(
                str(v)
                for v in (
                    g.received,
                    g.answered,
                    g.resolved,
                    g.followed_up,
                    g.published,
                    g.overdue,
                    _num(g.median_response_wd),
                    _num(g.median_resolution_wd),
                )
            ),
        )
    console.print(table)
    ranking = Table(
        "rank",
        "PIC",
        "agency",
        "cases",
        "answered",
        "median response (wd)",
        title=f"ranking (at least {report.min_cases} cases)",
    )
    for entry in report.ranking:
        g = entry.stats
        ranking.add_row(
            str(entry.rank),
            g.label,
            g.agency,
            str(g.received),
            f"{g.answered_share:.0%}",
            _num(g.median_response_wd),
        )
    console.print(ranking)
    if report.not_ranked:
        console.print(
            "not ranked (too few cases): "
            + ", ".join(f"{g.label} ({g.received})" for g in report.not_ranked)
        )


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def register(app: typer.Typer) -> None:
    for func in (scheduler, doctor, backup, restore, digest, stats):
        app.command()(func)


__all__ = ["register"]
