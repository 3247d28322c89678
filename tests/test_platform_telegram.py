"""Telegram channel publishing: albums and videos, a really dropped connection, takedown, and
the fake's methods and fields checked against the Bot API contract."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from publisher.app import admin
from publisher.fakes.faults import Fault, drop_connection, droppable
from publisher.fakes.server import ServerThread
from publisher.outbox import deliveries as outbox
from publisher.runtime.context import AppContext
from publisher.web.auth import Viewer
from tests.conftest import shared_path
from tests.flow import add_account
from tests.publishing_env import (
    Fakes,
    add_platform_account,
    approved_posts,
    credentials,
    only_delivery,
    running_fakes,
)


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with running_fakes() as running:
        yield running


def test_a_dropped_connection_is_a_closed_socket_not_an_http_500() -> None:
    api = FastAPI()

    @api.post("/accept")
    async def accept(request: Request) -> JSONResponse:
        drop_connection(request)
        return JSONResponse({"ok": True})

    with ServerThread(droppable(api)) as server, pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{server.url}/accept", timeout=5)


def test_several_photos_go_out_as_one_album(ctx: AppContext, fakes: Fakes) -> None:
    add_platform_account(ctx, "telegram", fakes)
    approved_posts(ctx, 1, photos=3)
    assert outbox.publish_due(ctx).published == 1
    (message,) = fakes.telegram.live()
    assert (message.method, message.items) == ("sendMediaGroup", 3)
    assert "#LaporBupatiTegal" in message.caption


def test_an_accepted_message_whose_answer_is_lost_waits_for_a_person(
    ctx: AppContext, fakes: Fakes
) -> None:
    add_platform_account(ctx, "telegram", fakes)
    approved_posts(ctx, 1)
    fakes.telegram.fail_next(Fault("drop_after_accept", op="publish"))
    assert outbox.publish_due(ctx).unknown == 1
    assert len(fakes.telegram.live()) == 1  # it did go out
    assert outbox.reconcile(ctx).needs_person == 1
    delivery = only_delivery(ctx)
    assert delivery.state == "unknown" and "tandai terbit" in delivery.last_error
    assert outbox.publish_due(ctx).claimed == 0


def test_takedown_deletes_the_channel_message(ctx: AppContext, fakes: Fakes) -> None:
    add_platform_account(ctx, "telegram", fakes)
    approved_posts(ctx, 1)
    outbox.publish_due(ctx)
    report = outbox.takedown(ctx, only_delivery(ctx).post_id, "user:admin", "salah kanal")
    assert [line.after for line in report.lines] == ["taken_down"]
    assert fakes.telegram.live() == []


def test_an_album_is_one_message_per_item_and_takedown_deletes_every_one(
    ctx: AppContext, fakes: Fakes
) -> None:
    """Bot API, sendMediaGroup: "On success, an array of Messages that were sent is returned"
    (one per item); deleteMessage deletes one message (../shared/fixtures/telegram/api.json)."""
    add_platform_account(ctx, "telegram", fakes)
    approved_posts(ctx, 1, photos=3)
    outbox.publish_due(ctx)
    (album,) = fakes.telegram.live()
    assert len(album.message_ids) == 3
    assert only_delivery(ctx).remote_id == ",".join(str(i) for i in album.message_ids)
    report = outbox.takedown(ctx, only_delivery(ctx).post_id, "user:admin", "salah kanal")
    assert [line.after for line in report.lines] == ["taken_down"]
    assert album.deleted_ids == set(album.message_ids)
    assert fakes.telegram.live() == []


def test_a_message_older_than_48_hours_is_handed_to_a_person_with_its_links(
    ctx: AppContext, fakes: Fakes
) -> None:
    """Bot API, deleteMessage: "A message can only be deleted if it was sent less than 48 hours
    ago." The fake refuses older ones as Telegram does; a person gets the links."""
    add_platform_account(ctx, "telegram", fakes)
    approved_posts(ctx, 1, photos=2)
    outbox.publish_due(ctx)
    (album,) = fakes.telegram.live()
    album.age(48 * 3600 + 60)
    report = outbox.takedown(ctx, only_delivery(ctx).post_id, "user:admin", "salah kanal")
    (line,) = report.lines
    assert line.after == "published"
    assert "48 hours" in line.note
    assert all(f"/{i}" in line.note for i in album.message_ids)
    assert album.deleted_ids == set()


def test_uji_koneksi_with_a_wrong_bot_token_fails(ctx: AppContext, fakes: Fakes) -> None:
    """The admin's test button makes the adapter's real check (getMe, getChat): a token the
    Bot API does not know is refused with 401 Unauthorized."""
    wrong = {**credentials("telegram", fakes), "bot_token": "999:wrong"}
    account_id = add_account(ctx, "telegram", "@salah_token", wrong)
    admin_viewer = Viewer(1, "admin", "", "admin", None, "s", "t")
    with ctx.sessions() as session, session.begin():
        result = admin.test_account(ctx, session, admin_viewer, account_id)
    assert result != "ok" and "BotFather" in result
    good_id = add_platform_account(ctx, "telegram", fakes)
    with ctx.sessions() as session, session.begin():
        assert admin.test_account(ctx, session, admin_viewer, good_id) == "ok"
    assert fakes.telegram.requests == 3  # getMe refused; then getMe and getChat


def test_the_account_check_uses_get_me_and_get_chat(ctx: AppContext, fakes: Fakes) -> None:
    account = add_platform_account(ctx, "telegram", fakes)
    assert "lapor_bot" in outbox.check_account(ctx, account)


def test_the_fake_only_speaks_methods_and_fields_of_the_bot_api() -> None:
    api = json.loads(shared_path("fixtures", "telegram", "api.json").read_text())["methods"]
    used = {
        "sendMessage": {"chat_id", "text"},
        "sendPhoto": {"chat_id", "photo", "caption"},
        "sendVideo": {"chat_id", "video", "caption"},
        "sendMediaGroup": {"chat_id", "media"},
        "deleteMessage": {"chat_id", "message_id"},
        "getChat": {"chat_id"},
        "getMe": set(),
    }
    for method, fields in used.items():
        assert method in api
        assert fields <= {f["name"] for f in api[method].get("fields", [])}
