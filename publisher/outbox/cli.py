"""``lapor`` commands for publishing: the worker, ``lapor deliveries``, takedown, a post's
per-account status, and the account chores (dry-run test, resume after a pause, quotas and
windows).

``post_app`` and ``accounts_app`` join the ``lapor post`` and ``lapor accounts`` groups in
:mod:`publisher.cli.main`. Credential re-encryption is ``lapor keys rotate`` (it covers account
credentials), so there is no separate command here.
"""

from __future__ import annotations

import json
import os
import re
import socket
from typing import Annotated

import typer
from rich.table import Table

from publisher.core.console import console, fail, stop_on_signals
from publisher.core.errors import LaporError, PlatformError
from publisher.runtime.console import context

commands = typer.Typer()
app = typer.Typer(help="The outbox: what was sent where.", no_args_is_help=True)
post_app = typer.Typer()
accounts_app = typer.Typer()

WINDOW = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d))?$")


@commands.command()
def worker(
    worker_id: Annotated[str, typer.Option(help="name in claims and the audit log")] = "",
    idle: Annotated[float, typer.Option(help="seconds to sleep when nothing is due")] = 1.0,
    reconcile_every: Annotated[float, typer.Option(help="seconds between reconcile passes")] = 30.0,
) -> None:
    """Run a publisher worker: claim due deliveries and publish them until SIGTERM.

    SIGTERM or Ctrl-C lets the delivery in hand finish and settle before exiting.
    """
    from publisher.outbox import deliveries as outbox

    stop = stop_on_signals()
    with context() as ctx:
        ctx.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        console.print(f"worker {ctx.worker_id} started")
        stats = outbox.run_worker(ctx, stop, idle_s=idle, reconcile_every_s=reconcile_every)
    console.print(f"worker stopped after {stats.delivered} deliveries")


@post_app.command("status")
def post_status(post_id: int) -> None:
    """Each account's state for a post, with its link or its error."""
    from publisher.outbox import deliveries as outbox

    with context() as ctx, ctx.readonly_sessions() as session:
        rows = outbox.post_status(session, post_id)
    if not rows:
        raise fail(f"post {post_id} has no deliveries (not approved yet?)")
    table = Table("delivery", "account", "state", "tries", "link or error")
    for row in rows:
        table.add_row(
            str(row["delivery_id"]),
            f"{row['account']} ({row['account_status']})",
            row["state"],
            str(row["attempts"]),
            row["link"] or row["error"],
        )
    console.print(table)


@post_app.command("takedown")
def post_takedown(
    post_id: int,
    reason: Annotated[str, typer.Option(help="why it comes down (kept in the audit log)")],
    actor: Annotated[str, typer.Option(envvar="LAPOR_REVIEWER", help="your username")],
) -> None:
    """Delete a post from every platform that allows it; cancel what has not gone out yet."""
    from publisher.outbox import deliveries as outbox

    if len(reason.strip()) < 5:
        raise fail("--reason must say why (at least 5 characters)")
    with context() as ctx:
        try:
            report = outbox.takedown(ctx, post_id, f"user:{actor}", reason)
        except LaporError as exc:
            raise fail(str(exc)) from None
    table = Table("delivery", "account", "before", "after", "note")
    for line in report.lines:
        table.add_row(str(line.delivery_id), line.account, line.before, line.after, line.note)
    console.print(table)


@accounts_app.command("test")
def accounts_test(account_id: int) -> None:
    """A dry call proving the account's credentials work; posts nothing."""
    from publisher.outbox import deliveries as outbox

    with context() as ctx:
        try:
            what = outbox.check_account(ctx, account_id)
        except PlatformError as exc:
            raise fail(f"{exc} ({exc.reason})") from None
        except LaporError as exc:
            raise fail(str(exc)) from None
    console.print(f"ok: {what}")


@accounts_app.command("resume")
def accounts_resume(
    account_id: int,
    actor: Annotated[str, typer.Option(envvar="LAPOR_REVIEWER", help="your username")],
) -> None:
    """Resume an account paused for an expired token or a missing permission."""
    from publisher.outbox import deliveries as outbox

    with context() as ctx, ctx.sessions() as session:
        try:
            with session.begin():
                account = outbox.resume_account(session, account_id, f"user:{actor}")
                label = f"{account.platform}:{account.handle}"
        except LaporError as exc:
            raise fail(str(exc)) from None
    console.print(f"account {account_id} ({label}) resumed")


@accounts_app.command("limits")
def accounts_limits(
    account_id: int,
    per_hour: Annotated[int | None, typer.Option(help="at most this many posts an hour")] = None,
    spacing: Annotated[int | None, typer.Option(help="seconds between two posts")] = None,
    window: Annotated[
        str | None, typer.Option(help="local publishing window, e.g. 07:00-21:00 ('' = any)")
    ] = None,
) -> None:
    """Show or set an account's pace: posts per hour, spacing, publishing window (WIB)."""
    from publisher.db.models import SocialAccount

    if window is not None and not WINDOW.match(window):
        raise fail("--window must look like 07:00-21:00")
    with context() as ctx, ctx.sessions() as session, session.begin():
        account = session.get(SocialAccount, account_id)
        if account is None:
            raise fail(f"unknown account {account_id}")
        if per_hour is not None:
            account.max_posts_per_hour = max(1, per_hour)
        if spacing is not None:
            account.min_spacing_s = max(0, spacing)
        if window is not None:
            account.window_start, _, account.window_end = window.partition("-")
        shown = {
            "max_posts_per_hour": account.max_posts_per_hour,
            "min_spacing_s": account.min_spacing_s,
            "window": f"{account.window_start}-{account.window_end}"
            if account.window_start
            else "any time",
            "timezone": ctx.settings.timezone,
        }
    console.print_json(json.dumps(shown))


@app.command("list")
def deliveries_list(state: str = "") -> None:
    """Each delivery's state, link or error."""
    from sqlalchemy import select

    from publisher.db.models import Delivery, SocialAccount

    with context() as ctx, ctx.sessions() as session:
        query = select(Delivery, SocialAccount).join(SocialAccount).order_by(Delivery.id)
        if state:
            query = query.where(Delivery.state == state)
        table = Table("id", "post", "account", "state", "tries", "link or error")
        for delivery, account in session.execute(query).all():
            table.add_row(
                str(delivery.id),
                str(delivery.post_id),
                f"{account.platform}:{account.handle}",
                delivery.state,
                str(delivery.attempts),
                delivery.remote_url or delivery.last_error,
            )
        console.print(table)


@app.command("settle")
def deliveries_settle(
    delivery_id: int,
    actor: Annotated[str, typer.Option(envvar="LAPOR_REVIEWER", help="your username")],
    published_url: Annotated[str, typer.Option(help="link of the live post, if it is live")] = "",
    resend: Annotated[bool, typer.Option(help="it is not live: queue it again")] = False,
) -> None:
    """Settle an `unknown` delivery after checking the platform yourself."""
    from publisher.outbox import deliveries as outbox

    if bool(published_url) == resend:
        raise fail("give exactly one of --published-url or --resend")
    with context() as ctx, ctx.sessions() as session:
        try:
            with session.begin():
                outbox.settle_manually(
                    session, delivery_id, f"user:{actor}", published_url=published_url or None
                )
        except LaporError as exc:
            raise fail(str(exc)) from None
    console.print(f"delivery {delivery_id} settled")
