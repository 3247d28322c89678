"""The ``lapor`` command line (Typer + Rich): every part's commands, composed here.

Each part's ``cli.py`` defines its Typers: a group (``lapor db ...``) is added with its name, the
part's top-level commands (``lapor seed``) are merged; nothing else is done here, so the order of
the lines below is the order of ``lapor --help``. Commands import their heavy modules inside
their bodies, so ``lapor --help`` stays fast. Messages are English; exit code 2 means a
configuration problem, 1 a refused action.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from publisher.cli import running
from publisher.core.console import err
from publisher.core.errors import ConfigError
from publisher.demo import cli as demo_cli
from publisher.intake import cli as intake_cli
from publisher.media import cli as media_cli
from publisher.monitoring import cli as monitoring_cli
from publisher.ops import cli as ops_cli
from publisher.outbox import cli as outbox_cli
from publisher.platforms import cli as platforms_cli
from publisher.posts import cli as posts_cli
from publisher.privacy import cli as privacy_cli
from publisher.reference import cli as reference_cli
from publisher.review import cli as review_cli
from publisher.screening import cli as screening_cli
from publisher.web import cli as web_cli

app = typer.Typer(
    help="lapor-publisher: #LaporBupatiTegal follow-up publisher.", no_args_is_help=True
)


def _group(help: str, *parts: typer.Typer) -> typer.Typer:
    """One command group made of several parts' commands (``lapor post``, ``lapor accounts``)."""
    group = typer.Typer(help=help, no_args_is_help=True)
    for part in parts:
        group.add_typer(part)
    return group


app.add_typer(reference_cli.commands)
app.add_typer(running.run_app)
app.add_typer(demo_cli.commands)
app.add_typer(privacy_cli.commands)
app.add_typer(screening_cli.commands)
app.add_typer(running.scheduler_app)
app.add_typer(ops_cli.commands)
app.add_typer(monitoring_cli.commands)
app.add_typer(outbox_cli.commands)
app.add_typer(ops_cli.db_app, name="db")
app.add_typer(ops_cli.keys_app, name="keys")
app.add_typer(running.jobs_app, name="jobs")
app.add_typer(review_cli.app, name="review")
app.add_typer(
    _group("Agency social-media accounts.", platforms_cli.app, outbox_cli.accounts_app),
    name="accounts",
)
app.add_typer(web_cli.app, name="users")
app.add_typer(outbox_cli.app, name="deliveries")
app.add_typer(
    _group(
        "Posts: previews, pre-flight checks, status per account, takedown.",
        posts_cli.app,
        outbox_cli.post_app,
    ),
    name="post",
)
app.add_typer(
    _group("Sanitise and render photos and videos.", media_cli.app, platforms_cli.media_app),
    name="media",
)
app.add_typer(intake_cli.app)
app.add_typer(screening_cli.app, name="classifier")


def _print_version(wanted: bool) -> None:
    if wanted:
        try:
            typer.echo(f"lapor-publisher {version('lapor-publisher')}")
        except PackageNotFoundError:  # a source tree that was never installed
            typer.echo("lapor-publisher (not installed)")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    pass


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
