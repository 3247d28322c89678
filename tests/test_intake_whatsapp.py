"""The WhatsApp Cloud API webhook over real HTTP, against the fake Graph API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from publisher.db.models import Agency, FollowUp, Media, User, WhatsAppMessage
from publisher.fakes.server import ServerThread
from publisher.fakes.whatsapp import (
    VERSION,
    FakeWhatsApp,
    SentText,
    media_message,
    meta_signature,
    notification,
    text_message,
)
from publisher.intake.records import ingest
from publisher.intake.sources.whatsapp import parse_command, set_pic_phone
from publisher.privacy.phones import normalise_phone
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.factories import feed_record, jpeg

APP_SECRET = "meta-app-secret"
PIC_PHONE = "081234567890"
PIC_WA = "6281234567890"


@dataclass
class World:
    ctx: AppContext
    graph: FakeWhatsApp
    url: str


@pytest.fixture
def world(sqlite_url: str, tmp_path: Path) -> Iterator[World]:
    graph = FakeWhatsApp()
    with ServerThread(graph.app()) as graph_server:
        graph.base_url = graph_server.url
        ctx = make_context(
            sqlite_url,
            tmp_path,
            whatsapp_app_secret=APP_SECRET,
            whatsapp_verify_token="verify-me",
            whatsapp_access_token=graph.token,
            whatsapp_phone_number_id=graph.phone_number_id,
            whatsapp_graph_url=f"{graph_server.url}/{VERSION}",
        )
        from publisher.app.factory import create_app

        with ctx.sessions() as session, session.begin():
            ingest(session, ctx.vault, "app", [feed_record(1), feed_record(2, agency="dlh")])
            agency = session.scalar(select(Agency).where(Agency.code == "dpupr"))
            assert agency is not None
            pic = User(username="pic-dpupr", role="pic", agency_id=agency.id)
            set_pic_phone(pic, ctx.vault, ctx.settings.secret_keys, PIC_PHONE)
            session.add(pic)
        with ServerThread(create_app(ctx)) as app_server:
            yield World(ctx, graph, app_server.url)
        ctx.close()


def deliver(world: World, message: dict[str, object], secret: str = APP_SECRET) -> httpx.Response:
    body = notification(message)
    return httpx.post(
        f"{world.url}/webhooks/whatsapp",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": meta_signature(secret, body),
        },
    )


def replies(world: World, count: int = 1, timeout: float = 10.0) -> list[SentText]:
    deadline = time.monotonic() + timeout
    while len(world.graph.sent) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return list(world.graph.sent)


def replies_settled(world: World, timeout: float = 10.0) -> list[SentText]:
    """What was sent once no inbound message still has an answer on its way: waiting on the
    rows' states, not on a fixed sleep, so a slow machine cannot make a late reply pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with world.ctx.sessions() as session:
            in_flight = session.scalar(
                select(func.count())
                .select_from(WhatsAppMessage)
                .where(WhatsAppMessage.reply_state.in_(("pending", "sending", "waiting")))
            )
        if in_flight == 0:
            return list(world.graph.sent)
        time.sleep(0.05)
    raise AssertionError("replies still in flight after the timeout")


def test_the_verification_handshake_echoes_the_challenge_only_for_our_token(
    world: World,
) -> None:
    ok = httpx.get(
        f"{world.url}/webhooks/whatsapp",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": "verify-me",
            "hub.challenge": "1158201444",
        },
    )
    bad = httpx.get(
        f"{world.url}/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
    )
    assert (ok.status_code, ok.text, bad.status_code) == (200, "1158201444", 403)


def test_a_pics_captioned_photo_becomes_a_follow_up_and_the_pic_is_thanked(
    world: World,
) -> None:
    media_id = world.graph.add_media(jpeg())
    response = deliver(
        world, media_message(PIC_WA, media_id, caption="TL LPR-2025-00001 jalan sudah ditambal")
    )
    assert response.status_code == 200
    [reply] = replies(world)
    assert reply.to == PIC_WA and "LPR-2025-00001" in reply.body and "diterima" in reply.body
    with world.ctx.sessions() as session:
        follow_up = session.scalar(select(FollowUp).where(FollowUp.channel == "whatsapp"))
        assert follow_up is not None and follow_up.action_text == "jalan sudah ditambal"
        media = session.scalar(select(Media).where(Media.follow_up_id == follow_up.id))
        assert media is not None and media.state == "ok" and media.supplied_by == "pic"
        assert world.ctx.media.exists(media.sha256, ".jpg")


def test_the_rest_of_an_album_without_caption_joins_the_same_case(world: World) -> None:
    first = world.graph.add_media(jpeg(colour=(10, 10, 10)))
    second = world.graph.add_media(jpeg(colour=(200, 10, 10)))
    deliver(world, media_message(PIC_WA, first, caption="TL LPR-2025-00001 sudah diaspal"))
    replies(world, 1)
    deliver(world, media_message(PIC_WA, second))
    assert len(replies(world, 2)) == 2
    with world.ctx.sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(FollowUp).where(FollowUp.channel == "whatsapp")
            )
            == 1
        )
        assert (
            session.scalar(select(func.count()).select_from(Media).where(Media.state == "ok")) == 2
        )


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("TL LPR-2099-99999 sudah", "tidak ditemukan"),
        ("TL LPR-2025-00002 sudah dibersihkan", "bukan milik instansi Anda"),
        ("sudah beres pak", "sertakan nomor laporan"),
    ],
)
def test_a_message_we_cannot_attach_gets_an_answer_saying_why(
    world: World, text: str, answer: str
) -> None:
    deliver(world, text_message(PIC_WA, text))
    [reply] = replies(world)
    assert answer in reply.body
    with world.ctx.sessions() as session:
        assert session.scalar(select(FollowUp).where(FollowUp.channel == "whatsapp")) is None


@pytest.mark.parametrize(
    ("data", "mime", "why"),
    [
        (b"<html><body>not a photo</body></html>", "image/jpeg", "Format berkas tidak didukung"),
        (b"\xff\xd8" + b"\x00" * 2000, "image/jpeg", "Format berkas tidak didukung"),
    ],
)
def test_unreadable_media_is_answered_with_the_reason(
    world: World, data: bytes, mime: str, why: str
) -> None:
    media_id = world.graph.add_media(data, mime)
    deliver(world, media_message(PIC_WA, media_id, caption="TL LPR-2025-00001 selesai"))
    [reply] = replies(world)
    assert "tidak dapat dibaca" in reply.body and why in reply.body
    with world.ctx.sessions() as session:
        assert session.scalar(select(Media.state)) == "rejected"


def test_oversize_media_is_refused_from_the_graph_metadata(world: World) -> None:
    media_id = world.graph.add_media(b"\xff" * (61 * 1024 * 1024))
    deliver(world, media_message(PIC_WA, media_id, caption="TL LPR-2025-00001 selesai"))
    [reply] = replies(world)
    assert "terlalu besar" in reply.body


def test_a_bad_signature_and_a_body_that_is_not_a_notification_are_refused(
    world: World,
) -> None:
    forged = deliver(world, text_message(PIC_WA, "TL LPR-2025-00001 x"), secret="guess")
    body = b"{not json"
    broken = httpx.post(
        f"{world.url}/webhooks/whatsapp",
        content=body,
        headers={"X-Hub-Signature-256": meta_signature(APP_SECRET, body)},
    )
    assert (forged.status_code, broken.status_code) == (401, 400)
    with world.ctx.sessions() as session:
        assert session.scalar(select(WhatsAppMessage.id)) is None


def test_a_redelivered_message_is_handled_once(world: World) -> None:
    message = text_message(PIC_WA, "TL LPR-2025-00001 sudah ditambal")
    deliver(world, message)
    second = deliver(world, message)
    assert second.json()["handled"] == 0
    assert len(replies(world)) == 1
    assert len(replies_settled(world)) == 1


def test_an_unregistered_number_is_not_answered_and_its_number_is_not_kept(
    world: World,
) -> None:
    stranger = "6289900011122"
    deliver(world, text_message(stranger, "TL LPR-2025-00001 sudah"))
    assert replies_settled(world) == []
    with world.ctx.sessions() as session:
        row = session.scalar(select(WhatsAppMessage))
        assert row is not None and row.outcome == "unknown_pic"
        assert stranger not in row.sender_lookup and row.user_id is None


def test_phone_numbers_and_commands_are_read_the_way_pics_type_them() -> None:
    assert {
        normalise_phone(n) for n in ("0812-3456-7890", "+62 812 3456 7890", "6281234567890")
    } == {"6281234567890"}
    assert parse_command("tl lpr-2025-00123: jalan sudah ditambal") == (
        "LPR-2025-00123",
        "jalan sudah ditambal",
    )
    assert parse_command("jalan sudah ditambal") is None
