"""Test harness for publishing: the fake Meta, X and Telegram servers over real HTTP on
loopback, the web app serving signed media, accounts on all of them, and approved posts made
through the real flow (intake, screening, rendering, review)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from starlette.types import ASGIApp, Receive, Scope, Send

from jobs.pipeline import run_job
from publisher.app.factory import create_app
from publisher.db.models import Delivery, FollowUp, Media, SocialAccount, User
from publisher.fakes.server import ServerThread
from publisher.intake.records import ingest
from publisher.platforms.meta.fake import FakeMetaGraph
from publisher.platforms.telegram.fake import FakeTelegram
from publisher.platforms.x.fake import FakeX
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from tests.factories import feed_record, jpeg
from tests.flow import add_account

PAGE, PAGE_TOKEN = "1029384756", "EAAG-page-token"
IG_USER, IG_TOKEN = "17841400000000001", "EAAG-ig-token"
X_USER, X_TOKEN = "1500000000000000001", "x-user-token"
TG_TOKEN, TG_CHANNEL = "123:secret", "@dpupr_tegal"


@dataclass
class Fakes:
    meta: FakeMetaGraph
    x: FakeX
    telegram: FakeTelegram
    urls: dict[str, str] = field(default_factory=dict)


class Tap:
    """ASGI middleware in front of a fake: runs ``before`` on each request whose path ends
    with ``suffix`` (a slow uplink, a fault queued at the right moment)."""

    def __init__(self, app: ASGIApp, suffix: str, before: Callable[[], Awaitable[None]]) -> None:
        self.app, self.suffix, self.before = app, suffix, before

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope["path"]).endswith(self.suffix):
            await self.before()
        await self.app(scope, receive, send)


@contextmanager
def running_fakes(
    *, video_polls: int = 0, meta_tap: Callable[[ASGIApp], ASGIApp] | None = None
) -> Iterator[Fakes]:
    meta = FakeMetaGraph(
        tokens={PAGE_TOKEN, IG_TOKEN},
        pages={PAGE: "DPUPR Kabupaten Tegal"},
        ig_users={IG_USER: "dpupr.tegal"},
        video_polls=video_polls,
    )
    x = FakeX(tokens={X_TOKEN: X_USER}, users={X_USER: "dpupr_tegal"})
    telegram = FakeTelegram(tokens={TG_TOKEN}, channels={TG_CHANNEL})
    with ExitStack() as stack:
        urls = {
            "meta": stack.enter_context(
                ServerThread(meta_tap(meta.app()) if meta_tap else meta.app())
            ).url
            + "/v21.0",
            "meta_video": stack.enter_context(ServerThread(meta.video_app())).url + "/v21.0",
            "x": stack.enter_context(ServerThread(x.app())).url,
            "telegram": stack.enter_context(ServerThread(telegram.app())).url,
        }
        yield Fakes(meta, x, telegram, urls)


@contextmanager
def serving_media(ctx: AppContext) -> Iterator[str]:
    """Serve the web app (its signed media route) and point the public base URL at it."""
    with ServerThread(create_app(ctx)) as server:
        previous = ctx.settings.public_base_url
        ctx.settings.public_base_url = server.url
        try:
            yield server.url
        finally:
            ctx.settings.public_base_url = previous


def credentials(platform: str, fakes: Fakes) -> dict[str, str]:
    return {
        "facebook": {
            "page_id": PAGE,
            "access_token": PAGE_TOKEN,
            "api_base": fakes.urls["meta"],
            "video_api_base": fakes.urls["meta_video"],
        },
        "instagram": {
            "ig_user_id": IG_USER,
            "access_token": IG_TOKEN,
            "api_base": fakes.urls["meta"],
            "poll_interval_s": "0.05",
        },
        "x": {
            "access_token": X_TOKEN,
            "user_id": X_USER,
            "username": "dpupr_tegal",
            "api_base": fakes.urls["x"],
        },
        "telegram": {
            "bot_token": TG_TOKEN,
            "chat_id": TG_CHANNEL,
            "api_base": fakes.urls["telegram"],
        },
    }[platform]


def add_platform_account(
    ctx: AppContext, platform: str, fakes: Fakes, *, per_hour: int = 10_000
) -> int:
    handle = {"facebook": PAGE, "instagram": "dpupr.tegal", "x": "dpupr_tegal"}.get(
        platform, TG_CHANNEL
    )
    account_id = add_account(ctx, platform, handle, credentials(platform, fakes))
    with ctx.sessions() as session, session.begin():
        account = session.get(SocialAccount, account_id)
        assert account is not None
        account.max_posts_per_hour = per_hour
    return account_id


def approved_posts(ctx: AppContext, cases: int, *, photos: int = 1, start: int = 1) -> None:
    """``cases`` resolved cases with ``photos`` PIC photos each, drafted for every account of
    their agency and approved by a reviewer (one delivery per post)."""
    with ctx.sessions() as session, session.begin():
        ingest(session, ctx.vault, "app", [feed_record(n) for n in range(start, start + cases)])
    shas = [ctx.media.put(jpeg(colour=(20 * i, 90, 90)), ".jpg") for i in range(photos)]
    with ctx.sessions() as session, session.begin():
        for follow_up in session.scalars(select(FollowUp)):
            if follow_up.media:
                continue
            for position, sha in enumerate(shas):
                session.add(
                    Media(
                        follow_up_id=follow_up.id,
                        position=position,
                        sha256=sha,
                        kind="photo",
                        mime="image/jpeg",
                        state="ok",
                        supplied_by="pic",
                    )
                )
    run_job(ctx, "screen")
    run_job(ctx, "render")
    with ctx.sessions() as session, session.begin():
        reviewer = session.scalar(select(User).where(User.username == "rev"))
        if reviewer is None:
            reviewer = User(username="rev", role="reviewer")
            session.add(reviewer)
            session.flush()
        for post in review.queue(session, ("pending_review",), limit=10_000):
            review.approve(session, post.id, reviewer)


def deliveries(ctx: AppContext) -> list[Delivery]:
    with ctx.sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def only_delivery(ctx: AppContext) -> Delivery:
    (delivery,) = deliveries(ctx)
    return delivery


def account_status(ctx: AppContext, account_id: int) -> str:
    with ctx.sessions() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None
        return account.status


def start_worker(
    name: str, *, cwd: Path, env: dict[str, str], log: Path, args: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    """``lapor worker`` as its own process (polling every 0.1 s), its output in ``log``: the
    multi-process tests kill, count and restart these like a supervisor would."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from publisher.cli.main import main; main()",
            "worker",
            "--worker-id",
            name,
            "--idle",
            "0.1",
            *args,
        ],
        cwd=cwd,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
