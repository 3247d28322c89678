"""What every part's commands share: the consoles, :func:`fail` and :func:`stop_on_signals`.

Parts import these from here, never from :mod:`publisher.cli` (which imports every part's CLI),
so the command modules form no import cycle. Exit code 2 means a configuration problem, 1 a
refused action. A command that needs the database opens the application context with
:func:`publisher.runtime.console.context`.
"""

from __future__ import annotations

import signal
import threading

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as an error and return the exit to raise (``raise fail(...)``)."""
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def stop_on_signals() -> threading.Event:
    """An event that SIGTERM or Ctrl-C sets, so a long-running command can finish the work in
    hand before it exits."""
    stop = threading.Event()

    def _stop(_sig: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return stop
