"""Taking a published post down from the deliveries page deletes it on the platform when the
platform allows it, and otherwise tells a person to remove it by hand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from publisher.db.models import AuditLog, Delivery
from publisher.fakes.server import ServerThread
from publisher.outbox import deliveries as outbox
from publisher.platforms.telegram.fake import FakeTelegram
from publisher.runtime.context import AppContext
from tests.test_publishing import CHANNEL, TOKEN, prepare
from tests.web_support import client, make_user, sign_in


@pytest.fixture
def telegram() -> Iterator[tuple[FakeTelegram, str]]:
    fake = FakeTelegram(tokens={TOKEN}, channels={CHANNEL})
    with ServerThread(fake.app()) as server:
        yield fake, server.url


def only_delivery(ctx: AppContext) -> Delivery:
    with ctx.sessions() as session:
        return session.scalars(select(Delivery)).one()


def test_a_reviewer_takes_a_live_telegram_post_down_and_it_is_deleted_there(
    ctx: AppContext, telegram: tuple[FakeTelegram, str]
) -> None:
    fake, url = telegram
    prepare(ctx, url)
    assert outbox.publish_due(ctx).published == 1
    make_user(ctx, "kominfo", "reviewer")
    web = client(ctx)
    token = sign_in(web, "kominfo")
    delivery = only_delivery(ctx)
    response = web.post(
        f"/deliveries/{delivery.id}/takedown",
        data={"csrf_token": token, "reason": "Foto salah lokasi."},
        follow_redirects=False,
    )
    assert response.status_code in (200, 303)
    assert fake.live() == []  # deleted on the platform
    assert only_delivery(ctx).state == "taken_down"
    with ctx.sessions() as session:
        assert "delivery.taken_down" in session.scalars(select(AuditLog.action)).all()


def test_a_takedown_needs_a_reason(ctx: AppContext, telegram: tuple[FakeTelegram, str]) -> None:
    fake, url = telegram
    prepare(ctx, url)
    outbox.publish_due(ctx)
    make_user(ctx, "kominfo", "reviewer")
    web = client(ctx)
    token = sign_in(web, "kominfo")
    response = web.post(
        f"/deliveries/{only_delivery(ctx).id}/takedown",
        data={"csrf_token": token, "reason": ""},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert len(fake.live()) == 1 and only_delivery(ctx).state == "published"
