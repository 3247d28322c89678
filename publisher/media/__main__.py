"""``python -m publisher.media sanitize|render``: the ``lapor media`` commands without the rest
of the CLI (:mod:`publisher.media.cli`)."""

import typer

from publisher.media.cli import app

typer.main.get_command(app)(prog_name="python -m publisher.media")
