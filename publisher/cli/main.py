"""The ``lapor`` command line (Typer + Rich). Messages are English; exit code 2 means a
configuration problem, 1 a refused action."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from publisher.core.context import AppContext
from publisher.core.errors import ConfigError, LaporError
from publisher.core.settings import load_settings_or_exit
from publisher.posts.cli import app as posts_app
from publisher.web import cli as cli_web

app = typer.Typer(
    help="lapor-publisher: #LaporBupatiTegal follow-up publisher.", no_args_is_help=True
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
keys_app = typer.Typer(help="Encryption keys for secrets at rest.", no_args_is_help=True)
jobs_app = typer.Typer(help="Run the scheduled jobs once.", no_args_is_help=True)
review_app = typer.Typer(help="Review drafted posts.", no_args_is_help=True)
accounts_app = typer.Typer(help="Agency social-media accounts.", no_args_is_help=True)
users_app = typer.Typer(help="Users: PICs, reviewers, admins.", no_args_is_help=True)
deliveries_app = typer.Typer(help="The outbox: what was sent where.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(jobs_app, name="jobs")
app.add_typer(review_app, name="review")
app.add_typer(accounts_app, name="accounts")
app.add_typer(users_app, name="users")
app.add_typer(deliveries_app, name="deliveries")
app.add_typer(posts_app, name="post")
media_app = typer.Typer(help="Sanitise and render photos and videos.", no_args_is_help=True)
app.add_typer(media_app, name="media")

users_app.command("set-password")(cli_web.set_password)

console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def context() -> Iterator[AppContext]:
    settings = load_settings_or_exit()
    from publisher.core.logs import configure

    configure(settings.log_level, settings.log_format)
    try:
        ctx = AppContext.from_settings(settings)
    except ConfigError as exc:
        raise fail(str(exc), 2) from None
    try:
        yield ctx
    finally:
        ctx.close()


# --- db ---------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from publisher.db import migrate

    with context() as ctx:
        migrate.upgrade(ctx.engine, revision)
        console.print(f"database at revision {migrate.current_revision(ctx.engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one available."""
    from publisher.db import migrate

    with context() as ctx:
        console.print(
            f"current: {migrate.current_revision(ctx.engine)}  head: {migrate.head_revision()}"
        )


@app.command()
def seed() -> None:
    """Load Kabupaten Tegal's kecamatan and agencies (idempotent)."""
    from publisher.reference import seed as do_seed

    with context() as ctx, ctx.sessions() as session, session.begin():
        result = do_seed(session)
    console.print(
        f"kecamatan added: {result.kecamatan_added}, agencies added: {result.agencies_added}, "
        f"agencies updated: {result.agencies_updated}"
    )


# --- keys -------------------------------------------------------------------------------------


@keys_app.command("new")
def keys_new() -> None:
    """Print a new key. Put it first in LAPOR_SECRET_KEY, then run `lapor keys rotate`."""
    from publisher.core.crypto import new_key

    typer.echo(new_key())


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored secret with the first key of LAPOR_SECRET_KEY."""
    from publisher.db.models import Case, Quarantine, SocialAccount, User

    columns = [
        (Case, "reporter"),
        (Case, "reported_party"),
        (SocialAccount, "credentials"),
        (User, "phone_encrypted"),
        (Quarantine, "payload"),
    ]
    with context() as ctx, ctx.sessions() as session, session.begin():
        total = 0
        for model, attr in columns:
            for row in session.scalars(select(model)):
                token = getattr(row, attr)
                if token:
                    setattr(row, attr, ctx.vault.rotate(token))
                    total += 1
    console.print(f"re-encrypted {total} values with the newest key")


# --- users and accounts -----------------------------------------------------------------------


@users_app.command("add")
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


@accounts_app.command("add")
def accounts_add(
    agency: Annotated[str, typer.Option(help="agency code")],
    platform: Annotated[str, typer.Option(help="folder, telegram, facebook, instagram or x")],
    handle: Annotated[str, typer.Option(help="the account's handle or channel")],
    credentials: Annotated[
        str, typer.Option(help='JSON, e.g. {"bot_token": "...", "chat_id": "@kanal"}')
    ] = "{}",
) -> None:
    """Connect a social account to an agency (credentials are stored encrypted)."""
    from publisher.db.models import Agency, SocialAccount
    from publisher.platforms.registry import names

    if platform not in names():
        raise fail(f"platform must be one of {', '.join(names())}")
    try:
        creds = json.loads(credentials)
    except ValueError:
        raise fail("--credentials is not valid JSON") from None
    with context() as ctx, ctx.sessions() as session, session.begin():
        found = session.scalar(select(Agency).where(Agency.code == agency))
        if found is None:
            raise fail(f"unknown agency code {agency!r}")
        account = SocialAccount(
            agency_id=found.id,
            platform=platform,
            handle=handle,
            credentials=ctx.vault.encrypt_json(creds),
        )
        session.add(account)
        session.flush()
        console.print(f"account {account.id} ({platform} {handle}) added to {found.name}")


@accounts_app.command("list")
def accounts_list() -> None:
    """List accounts and their status."""
    from publisher.db.models import Agency, SocialAccount

    with context() as ctx, ctx.sessions() as session:
        table = Table("id", "agency", "platform", "handle", "status", "reason")
        rows = session.execute(
            select(SocialAccount, Agency.code).join(Agency).order_by(SocialAccount.id)
        ).all()
        for account, code in rows:
            table.add_row(
                str(account.id),
                code,
                account.platform,
                account.handle,
                account.status,
                account.status_reason,
            )
        console.print(table)


# --- jobs -------------------------------------------------------------------------------------


@jobs_app.command("run")
def jobs_run(
    name: Annotated[str, typer.Argument(help="collect, screen, render, publish, reconcile")],
) -> None:
    """Run one job once and print its counts."""
    from jobs.pipeline import JOBS, run_job

    if name not in JOBS:
        raise fail(f"unknown job {name!r}; jobs: {', '.join(JOBS)}")
    with context() as ctx:
        counts = run_job(ctx, name)
    console.print_json(json.dumps(counts, default=str))


@jobs_app.command("list")
def jobs_list() -> None:
    """List the jobs and their schedule."""
    from jobs.scheduler import SCHEDULE

    table = Table("job", "every (s)")
    for spec in SCHEDULE:
        table.add_row(spec.name, str(spec.every_seconds))
    console.print(table)


# --- review -----------------------------------------------------------------------------------


def _user(session: object, username: str) -> object:
    from sqlalchemy.orm import Session

    from publisher.db.models import User

    assert isinstance(session, Session)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise fail(f"unknown user {username!r} (create one with `lapor users add`)")
    return user


@review_app.command("list")
def review_list(
    state: Annotated[str, typer.Option(help="pending_review, blocked, approved, rejected")] = "",
) -> None:
    """The review queue: highest risk first, then oldest."""
    from publisher.db.models import Post, SocialAccount
    from publisher.review import actions as review

    with context() as ctx, ctx.sessions() as session:
        states = (state,) if state else review.REVIEWABLE
        table = Table("post", "case", "account", "state", "risk", "caption")
        for post in review.queue(session, states):
            account = session.get(SocialAccount, post.account_id)
            assert isinstance(post, Post) and account is not None
            table.add_row(
                str(post.id),
                post.case.tracking_number,
                f"{account.platform}:{account.handle}",
                post.review_state,
                f"{post.risk_score:.2f}",
                post.caption.splitlines()[0][:60],
            )
        console.print(table)


@review_app.command("approve")
def review_approve(
    post_id: int,
    reviewer: Annotated[str, typer.Option(envvar="LAPOR_REVIEWER", help="reviewer username")],
    override_reason: str = "",
    manual_screening_note: str = "",
) -> None:
    """Approve a post: it goes to the outbox for its account."""
    from publisher.db.models import User
    from publisher.review import actions as review

    with context() as ctx, ctx.sessions() as session:
        try:
            with session.begin():
                user = _user(session, reviewer)
                assert isinstance(user, User)
                review.approve(
                    session,
                    post_id,
                    user,
                    override_reason=override_reason,
                    manual_screening_note=manual_screening_note,
                    vault=ctx.vault,
                )
        except LaporError as exc:
            raise fail(str(exc)) from None
    console.print(f"post {post_id} approved")


@review_app.command("reject")
def review_reject(
    post_id: int,
    reason: Annotated[str, typer.Option(help="why (the PIC sees it)")],
    reviewer: Annotated[str, typer.Option(envvar="LAPOR_REVIEWER", help="reviewer username")],
) -> None:
    """Reject a post with a reason."""
    from publisher.db.models import User
    from publisher.review import actions as review

    with context() as ctx, ctx.sessions() as session:
        try:
            with session.begin():
                user = _user(session, reviewer)
                assert isinstance(user, User)
                review.reject(session, post_id, user, reason=reason)
        except LaporError as exc:
            raise fail(str(exc)) from None
    console.print(f"post {post_id} rejected")


# --- deliveries -------------------------------------------------------------------------------


@deliveries_app.command("list")
def deliveries_list(state: str = "") -> None:
    """Each delivery's state, link or error."""
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


@deliveries_app.command("settle")
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


# --- running ----------------------------------------------------------------------------------


@app.command()
def run() -> None:
    """Start the web app, the scheduler and one publisher worker in one process."""
    import uvicorn

    from jobs.scheduler import build_scheduler
    from publisher.app.factory import create_app

    with context() as ctx:
        scheduler = build_scheduler(ctx)
        scheduler.start()
        server = uvicorn.Server(
            uvicorn.Config(create_app(ctx), host=ctx.settings.web_host, port=ctx.settings.web_port)
        )
        stop = threading.Event()

        def _term(_sig: int, _frame: object) -> None:
            server.should_exit = True
            stop.set()

        signal.signal(signal.SIGTERM, _term)
        try:
            server.run()
        finally:
            # Let a running job finish its pass; claimed deliveries are settled by it.
            scheduler.shutdown(wait=True)


@app.command()
def demo(
    cases: Annotated[int, typer.Option(help="how many resolved cases to generate")] = 30,
    folder: Annotated[str, typer.Option(help="where the demo lives")] = "var/demo",
) -> None:
    """Seed a realistic demo and run the whole flow against local fake platforms."""
    from publisher.core.logs import configure
    from publisher.demo.run import run_demo

    configure("WARNING")

    run_demo(cases=cases, root=folder, console=console)


# --- media and personal data (library commands: no database needed) -------------------------


@media_app.command("sanitize")
def media_sanitize(
    files: Annotated[list[Path], typer.Argument(help="photos or videos, any name or extension")],
    out: Annotated[Path, typer.Option(help="folder for the sanitised files")],
    blur: Annotated[bool, typer.Option(help="blur faces in photos")] = True,
) -> None:
    """Validate by content, strip all metadata, blur faces; one JSON line per input.

    Exits 0 when every file was handled (accepted or rejected), 1 when one could not be read.
    """
    from publisher.media.cli import sanitize_files

    failed = False
    for record in sanitize_files(files, out, blur_faces=blur):
        failed = failed or record["status"] == "error"
        typer.echo(json.dumps(record, ensure_ascii=False))
    if failed:
        raise typer.Exit(1)


@media_app.command("render")
def media_render(
    file: Path,
    platform: Annotated[str, typer.Option(help="instagram, facebook, x, telegram or folder")],
    out: Annotated[Path, typer.Option(help="the JPEG to write")],
) -> None:
    """Render one photo for a platform's rules (size, aspect ratio), metadata-free."""
    from publisher.core.errors import MediaRejected
    from publisher.media.cli import render_file
    from publisher.platforms.registry import get_spec, names

    if platform not in names():
        raise fail(f"platform must be one of {', '.join(sorted(names()))}")
    try:
        render_file(file, get_spec(platform).media, out)
    except MediaRejected as exc:
        raise fail(f"rejected: {exc.reason}") from None
    console.print(f"wrote {out}")


@app.command()
def redact(
    input: Annotated[Path, typer.Option("--input", help='JSONL: {"id", "text", "known"}')],
    output: Annotated[Path, typer.Option("--output", help="JSONL with redacted text + findings")],
    allow_phone: Annotated[
        list[str] | None, typer.Option(help="a public agency number never to flag (repeatable)")
    ] = None,
) -> None:
    """Find and redact personal data in texts (offsets point into the input text)."""
    from publisher.privacy import PrivacyError, cli_redact

    try:
        code = cli_redact(input, output, public_phone_allowlist=allow_phone or ())
    except PrivacyError as exc:
        raise fail(str(exc), 2) from None
    except OSError as exc:
        raise fail(f"cannot read or write: {exc.strerror}") from None
    if code:
        raise typer.Exit(code)


from publisher.intake.cli import app as intake_app  # noqa: E402  (it imports from here)

app.add_typer(intake_app)

from publisher.screening import cli as cli_classifier  # noqa: E402  (it imports from here)

app.add_typer(cli_classifier.app, name="classifier")
app.command("screen")(cli_classifier.screen)


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise SystemExit(2) from None


from publisher.ops.cli import register as _register_ops  # noqa: E402  (imports cli's helpers)

_register_ops(app)
import publisher.outbox.cli  # noqa: E402, F401  (registers the publishing commands)
