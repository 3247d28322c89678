"""``lapor users set-password|add``: the people who use the web app (PICs, reviewers, admins)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from publisher.core.console import console, fail
from publisher.runtime.console import context

app = typer.Typer(help="Users: PICs, reviewers, admins.", no_args_is_help=True)


@app.command("set-password")
def set_password(
    username: Annotated[str, typer.Argument(help="the user whose password to set")],
    password_stdin: Annotated[
        bool, typer.Option(help="read the password from standard input (for scripts)")
    ] = False,
) -> None:
    """Set a user's web login password (argon2id) and end all of the user's sessions."""
    from sqlalchemy import select

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


@app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option(help="pic, reviewer or admin")],
    agency: Annotated[str | None, typer.Option(help="agency code (PICs need one)")] = None,
    full_name: str = "",
    password: Annotated[
        str | None, typer.Option(help="login password; omit for a CLI-only user")
    ] = None,
) -> None:
    """Create a user."""
    from argon2 import PasswordHasher
    from sqlalchemy import select

    from publisher.db.models import ROLES, Agency, User

    if role not in ROLES:
        raise fail(f"role must be one of {', '.join(ROLES)}")
    with context() as ctx, ctx.sessions() as session, session.begin():
        agency_id = None
        if agency:
            found = session.scalar(select(Agency).where(Agency.code == agency))
            if found is None:
                raise fail(f"unknown agency code {agency!r} (see `lapor seed`)")
            agency_id = found.id
        elif role == "pic":
            raise fail("a PIC needs --agency")
        if session.scalar(select(User).where(User.username == username)):
            raise fail(f"user {username!r} exists")
        session.add(
            User(
                username=username,
                role=role,
                agency_id=agency_id,
                full_name=full_name,
                password_hash=PasswordHasher().hash(password) if password else None,
            )
        )
    console.print(f"user {username} created")
