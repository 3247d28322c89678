"""The ``lapor`` command line (Typer + Rich): every part's commands, composed here.

Each part's ``cli.py`` defines its Typers: a group (``lapor db ...``) is added with its name, the
part's top-level commands (``lapor seed``) are merged. The table :data:`ENTRIES` names them
without importing them: a part's module is imported only when one of its commands runs, so
``lapor --help`` stays under 0.3 s of CPU and ``lapor screen`` pays for nothing else.
Messages are English; exit code 2 means a configuration problem, 1 a refused action.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Annotated

import typer
from typer import _click as click  # Typer >= 0.2x runs on its own copy of Click: use that one
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command

from publisher.core.errors import ConfigError


@dataclass(frozen=True)
class Entry:
    """One top-level command or group of ``lapor``, known without importing its part.

    ``parts`` are the Typers (``module:attribute``) it is made of; a ``group`` gets its own
    name (``lapor db ...``), otherwise it is one command of the part's Typer merged at the top
    (``lapor seed``). ``help`` is the line ``lapor --help`` shows (tests/test_cli.py checks it
    against the real command's help, so this table cannot drift).
    """

    name: str
    help: str
    parts: tuple[str, ...]
    group: bool = False


# The order of these lines is the order of ``lapor --help``.
ENTRIES = (
    Entry("seed", "Load Kabupaten Tegal's kecamatan and agencies (idempotent).",
          ("publisher.reference.cli:commands",)),
    Entry("run", "Start the web app, the scheduler and one publisher worker in one process.",
          ("publisher.cli.running:run_app",)),
    Entry("demo", "Seed a realistic demo and run the whole flow against local fake platforms.",
          ("publisher.demo.cli:commands",)),
    Entry("demo-web",
          "Open the web app on the data of `make demo` (sign in with the users it printed).",
          ("publisher.demo.cli:commands",)),
    Entry("redact",
          "Find and redact personal data in texts (offsets point into the input text).",
          ("publisher.privacy.cli:commands",)),
    Entry("screen",
          'Score cases for conflict: level block/review/pass; decision "conflict" unless pass.',
          ("publisher.screening.cli:commands",)),
    Entry("scheduler",
          "Run the scheduler (one per database; a second one waits as a standby). Stops on "
          "SIGTERM.",
          ("publisher.cli.running:scheduler_app",)),
    Entry("doctor",
          "Check settings, database, migrations, media, model, fonts, accounts; say what to fix.",
          ("publisher.ops.cli:commands",)),
    Entry("backup",
          "Back up the database, the media store and the private media store into one folder.",
          ("publisher.ops.cli:commands",)),
    Entry("restore", "Restore a backup into the configured (empty) database and media folder.",
          ("publisher.ops.cli:commands",)),
    Entry("digest", "Print today's summary per agency (and send it with --send).",
          ("publisher.monitoring.cli:commands",)),
    Entry("stats",
          "Complaints received, answered, resolved, followed up and published; the ranking.",
          ("publisher.monitoring.cli:commands",)),
    Entry("worker",
          "Run a publisher worker: claim due deliveries and publish them until SIGTERM.",
          ("publisher.outbox.cli:commands",)),
    Entry("db", "Database migrations.", ("publisher.ops.cli:db_app",), group=True),
    Entry("keys", "Encryption keys for secrets at rest.", ("publisher.ops.cli:keys_app",),
          group=True),
    Entry("jobs", "Run the scheduled jobs once.", ("publisher.cli.running:jobs_app",), group=True),
    Entry("review", "Review drafted posts.", ("publisher.review.cli:app",), group=True),
    Entry("accounts", "Agency social-media accounts.",
          ("publisher.platforms.cli:app", "publisher.outbox.cli:accounts_app"), group=True),
    Entry("users", "Users: PICs, reviewers, admins.", ("publisher.web.cli:app",), group=True),
    Entry("deliveries", "The outbox: what was sent where.", ("publisher.outbox.cli:app",),
          group=True),
    Entry("post", "Posts: previews, pre-flight checks, status per account, takedown.",
          ("publisher.posts.cli:app", "publisher.outbox.cli:post_app"), group=True),
    Entry("media", "Sanitise and render photos and videos.",
          ("publisher.media.cli:app", "publisher.platforms.cli:media_app"), group=True),
    Entry("import",
          "Import cases from a spreadsheet; every bad row is reported with its row number.",
          ("publisher.intake.cli:app",)),
    Entry("pic-phone",
          "Register the WhatsApp number a PIC sends follow-ups from (stored encrypted).",
          ("publisher.intake.cli:app",)),
    Entry("sources", "Case sources: last runs, history, quarantine.",
          ("publisher.intake.cli:app",)),
    Entry("classifier", "The conflict-prone classifier.", ("publisher.screening.cli:app",),
          group=True),
)  # fmt: skip
BY_NAME = {e.name: e for e in ENTRIES}


def _typer(path: str) -> typer.Typer:
    module, _, attribute = path.partition(":")
    found = getattr(importlib.import_module(module), attribute)
    assert isinstance(found, typer.Typer)
    return found


def _group(help: str, *parts: typer.Typer) -> typer.Typer:
    """One command group made of several parts' commands (``lapor post``, ``lapor accounts``)."""
    group = typer.Typer(help=help, no_args_is_help=True)
    for part in parts:
        group.add_typer(part)
    return group


def _mount(into: typer.Typer, entry: Entry) -> None:
    parts = [_typer(p) for p in entry.parts]
    if not entry.group:
        into.add_typer(parts[0])
    elif len(parts) == 1:
        into.add_typer(parts[0], name=entry.name)
    else:
        into.add_typer(_group(entry.help, *parts), name=entry.name)


def load(entry: Entry) -> click.Command:
    """The real command: its part's modules are imported now, when it runs."""
    holder = typer.Typer()
    _mount(holder, entry)
    built = get_command(holder)
    assert isinstance(built, TyperGroup)
    command: click.Command = built.commands[entry.name]
    return command


class LazyGroup(TyperGroup):
    """``lapor``: lists its commands from :data:`ENTRIES` and imports a part only to run one of
    its commands, so ``lapor --help`` loads neither the web app nor the models (issue 23)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [e.name for e in ENTRIES]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        # What the help page reads: the name and its line of help, no import.
        entry = BY_NAME.get(cmd_name)
        return TyperCommand(cmd_name, help=entry.help) if entry else None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = str(args[0])
        entry = BY_NAME.get(name)
        if entry is None:
            return super().resolve_command(ctx, args)  # the usual "No such command" error
        return name, load(entry), args[1:]


app = typer.Typer(
    cls=LazyGroup,
    help="lapor-publisher: #LaporBupatiTegal follow-up publisher.",
    no_args_is_help=True,
    # The top-level help is a plain list: rendering it with Rich imports ``typer.rich_utils``
    # (Markdown, Pygments, tracebacks), most of ``lapor --help``'s CPU time (#23). Each
    # command's own help (``lapor screen --help``) is still rendered by Rich.
    rich_markup_mode=None,
)


def eager_app() -> typer.Typer:
    """Every command imported and composed (tests walk it; ``lapor`` itself is lazy)."""
    full = typer.Typer(help=app.info.help, no_args_is_help=True)
    for entry in ENTRIES:
        _mount(full, entry)
    full.callback()(_root)
    return full


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import PackageNotFoundError, version

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
        from publisher.core.console import err

        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
