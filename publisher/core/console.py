"""What every part's commands share: the consoles, :func:`fail` and :func:`context`.

Parts import these from here, never from :mod:`publisher.cli` (which imports every part's CLI),
so the command modules form no import cycle. Exit code 2 means a configuration problem, 1 a
refused action; :func:`context` exits with 2 when the settings or the context cannot be built
(a :class:`~publisher.core.errors.ConfigError` becomes that exit).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from publisher.core.errors import ConfigError
from publisher.core.settings import load_settings_or_exit

if TYPE_CHECKING:
    from publisher.core.context import AppContext

console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as an error and return the exit to raise (``raise fail(...)``)."""
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def context() -> Iterator[AppContext]:
    """The application context from the environment, logging configured, closed at the end."""
    # Imported here: the context pulls in the database and media stacks, which `--help` and
    # the commands that need no database never use.
    from publisher.core.context import AppContext
    from publisher.core.logs import configure

    settings = load_settings_or_exit()

    configure(settings.log_level, settings.log_format)
    try:
        ctx = AppContext.from_settings(settings)
    except ConfigError as exc:
        raise fail(str(exc), 2) from None
    try:
        yield ctx
    finally:
        ctx.close()


def stop_on_signals() -> threading.Event:
    """An event that SIGTERM or Ctrl-C sets, so a long-running command can finish the work in
    hand before it exits."""
    stop = threading.Event()

    def _stop(_sig: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return stop
