"""Telegram channel publishing: albums and videos, a really dropped connection, takedown, and
the fake's methods and fields checked against the Bot API contract."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from publisher.fakes.faults import Fault, drop_connection, droppable
from publisher.fakes.server import ServerThread
from publisher.outbox import deliveries as outbox
from publisher.runtime.context import AppContext
from tests.conftest import shared_path
from tests.publishing_env import (
    Fakes,
    add_platform_account,
    approved_posts,
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
