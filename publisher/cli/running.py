"""The commands that run the job table or the schedule (:mod:`jobs`), which only the CLI and the
scheduler may import: ``lapor run``, ``lapor scheduler`` and ``lapor jobs run|list``.

``run`` and ``scheduler`` are separate Typers only so that ``lapor --help`` keeps its order.
"""

from __future__ import annotations

import json
import signal
import threading
from typing import Annotated

import typer
from rich.table import Table

from publisher.core.console import console, fail, stop_on_signals
from publisher.core.errors import LaporError
from publisher.runtime.console import context

run_app = typer.Typer()
scheduler_app = typer.Typer()
jobs_app = typer.Typer(help="Run the scheduled jobs once.", no_args_is_help=True)


@run_app.command()
def run() -> None:
    """Start the web app, the scheduler and one publisher worker in one process."""
    import uvicorn

    from jobs.scheduler import build_scheduler
    from publisher.app.factory import create_app
    from publisher.privacy.logs import UVICORN_LOGGING

    with context() as ctx:
        scheduler = build_scheduler(ctx)
        scheduler.start()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(ctx),
                host=ctx.settings.web_host,
                port=ctx.settings.web_port,
                **UVICORN_LOGGING,
            )
        )
        stop = threading.Event()

        def _term(_sig: int, _frame: object) -> None:
            server.should_exit = True
            stop.set()

        signal.signal(signal.SIGTERM, _term)
        try:
            server.run()
        finally:
            # Let a running job finish its pass; claimed deliveries are settled by it.
            scheduler.shutdown(wait=True)


@scheduler_app.command()
def scheduler(
    holder: Annotated[str, typer.Option(help="name in the lease and job runs")] = "",
) -> None:
    """Run the scheduler (one per database; a second one waits as a standby). Stops on SIGTERM."""
    from jobs.scheduler import serve

    stop = stop_on_signals()
    with context() as ctx:
        try:
            serve(ctx, stop, holder=holder or None)
        except LaporError as exc:
            raise fail(str(exc), 2) from None


@jobs_app.command("run")
def jobs_run(
    name: Annotated[str, typer.Argument(help="collect, screen, render, publish, reconcile")],
) -> None:
    """Run one job once and print its counts."""
    from jobs.pipeline import JOBS, run_job

    if name not in JOBS:
        raise fail(f"unknown job {name!r}; jobs: {', '.join(JOBS)}")
    with context() as ctx:
        counts = run_job(ctx, name)
    console.print_json(json.dumps(counts, default=str))


@jobs_app.command("list")
def jobs_list() -> None:
    """List the jobs and their schedule."""
    from jobs.scheduler import SCHEDULE

    table = Table("job", "every (s)")
    for spec in SCHEDULE:
        table.add_row(spec.name, str(spec.every_seconds))
    console.print(table)
