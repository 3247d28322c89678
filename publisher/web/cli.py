"""Web-app commands of the ``lapor`` CLI: ``lapor users set-password``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer


def set_password(
    username: Annotated[str, typer.Argument(help="the user whose password to set")],
    password_stdin: Annotated[
        bool, typer.Option(help="read the password from standard input (for scripts)")
    ] = False,
) -> None:
    """Set a user's web login password (argon2id) and end all of the user's sessions."""
    from sqlalchemy import select

    from publisher.cli.main import console, context, fail
    from publisher.db.models import User
    from publisher.web.auth import set_password as store_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise fail("a password needs at least 10 characters")
    with context() as ctx, ctx.sessions() as session, session.begin():
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise fail(f"unknown user {username!r} (create one with `lapor users add`)")
        store_password(session, user, password, actor="cli")
    console.print(f"password of {username} set; their sessions were ended")
