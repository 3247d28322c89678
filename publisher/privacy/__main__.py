"""``python -m publisher.privacy redact --input F.jsonl --output G.jsonl``: ``lapor redact``
without the rest of the CLI (:mod:`publisher.privacy.cli`)."""

import typer

from publisher.privacy.cli import commands

# A group, so the command is named (``redact``) as it is under ``lapor``.
typer.main.get_group(commands)(prog_name="python -m publisher.privacy")
