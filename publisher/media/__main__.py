"""``python -m publisher.media sanitize|render``: the ``lapor media`` commands without the rest
of the CLI. An entry point like ``lapor``: it joins media's commands with ``render``, which
names a platform and so lives in :mod:`publisher.platforms.cli` (media itself imports nothing of
the platforms)."""

import typer

from publisher.media.cli import app
from publisher.platforms.cli import media_app

app.add_typer(media_app)
typer.main.get_command(app)(prog_name="python -m publisher.media")
