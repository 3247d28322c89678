"""Monitoring commands: ``lapor digest`` (today's summary per agency) and ``lapor stats``
(the yearly figures and the PIC ranking)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from publisher.core.console import console, fail
from publisher.runtime.console import context

commands = typer.Typer()


@commands.command()
def digest(
    agency: Annotated[list[str] | None, typer.Option(help="agency code(s); default all")] = None,
    send: Annotated[bool, typer.Option(help="send by Telegram to LAPOR_DIGEST_RECIPIENTS")] = False,
    regency: Annotated[
        bool, typer.Option("--kabupaten", help="the regent's regency-wide summary instead")
    ] = False,
) -> None:
    """Print today's summary per agency (and send it with --send)."""
    from publisher.monitoring.digest import (
        regency_report,
        regency_text,
        render_text,
        send_digests,
        send_regency_summary,
        todays_digests,
    )

    with context() as ctx:
        if regency:
            report = regency_report(ctx)
            console.print(regency_text(report), highlight=False)
            if send:
                counts = send_regency_summary(ctx, report)
                console.print(f"sent {counts.sent}, failed {counts.failed}")
            return
        digests = todays_digests(ctx, agency)
        for item in digests:
            console.print(render_text(item, ctx.settings.overdue_working_days), highlight=False)
            console.print()
        if send:
            counts = send_digests(ctx, digests)
            console.print(
                f"sent {counts.sent}, failed {counts.failed}, "
                f"without recipients {counts.no_recipients}"
            )


@commands.command()
def stats(
    start: Annotated[str, typer.Option(help="first day, YYYY-MM-DD (default: 1 January)")] = "",
    end: Annotated[str, typer.Option(help="last day, YYYY-MM-DD (default: today)")] = "",
    agency: Annotated[str, typer.Option(help="one agency code")] = "",
    csv: Annotated[str, typer.Option(help="print CSV: agencies, pics or overdue")] = "",
) -> None:
    """Complaints received, answered, resolved, followed up and published; the ranking."""
    from publisher.core.clock import utcnow
    from publisher.monitoring.export import KINDS, report_csv
    from publisher.monitoring.stats import configured_report

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
        report = configured_report(ctx, start=first, end=last, now=now, agency_code=agency or None)
    if csv:
        typer.echo(report_csv(report, csv), nl=False)  # type: ignore[arg-type]
        return
    table = Table(
        "agency",
        "received",
        "answered",
        "unanswered",
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
                    g.unanswered,
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
