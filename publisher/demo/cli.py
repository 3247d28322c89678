"""``lapor demo``: seed a realistic demo and run the whole flow on local fakes.

The generated data needs ``faker``, which only the demo uses: it comes with the ``demo`` extra
(``pip install -e '.[demo]'``, as ``make install`` does); without it the command exits 2 and says
so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from publisher.core.console import console, fail

commands = typer.Typer()


@commands.command()
def demo(
    cases: Annotated[int, typer.Option(help="how many resolved cases to generate")] = 30,
    folder: Annotated[str, typer.Option(help="where the demo lives")] = "var/demo",
) -> None:
    """Seed a realistic demo and run the whole flow against local fake platforms."""
    from publisher.privacy.logs import configure

    try:
        from publisher.demo.run import run_demo
    except ModuleNotFoundError as exc:
        if exc.name != "faker":
            raise
        raise fail("the demo needs faker: pip install -e '.[demo]'", 2) from None

    configure("WARNING")

    run_demo(cases=cases, root=folder, console=console)


@commands.command("demo-web")
def demo_web(
    folder: Annotated[str, typer.Option(help="where the demo lives")] = "var/demo",
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8000,
) -> None:
    """Open the web app on the data of `make demo` (sign in with the users it printed)."""
    from publisher.demo.web import serve
    from publisher.privacy.logs import configure

    base = Path(folder)
    if not (base / "secret.key").is_file() or not (base / "lapor.db").is_file():
        raise fail(f"no demo in {base}: run `make demo` first", 2)
    configure("WARNING")
    console.print(f"serving the demo on http://127.0.0.1:{port}/login (Ctrl+C stops)")
    serve(base, port)
