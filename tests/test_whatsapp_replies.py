"""Answers to PICs over the fake WhatsApp Cloud API: claimed before the call, never sent twice."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client import generate_latest
from sqlalchemy import select, update

from publisher.core.clock import utcnow
from publisher.db import migrate
from publisher.db.models import Agency, User, WhatsAppMessage
from publisher.fakes.server import ServerThread
from publisher.fakes.whatsapp import LOST, RATE_LIMIT, SERVER_ERROR, VERSION, FakeWhatsApp, Fault
from publisher.intake.sources.whatsapp import (
    MAX_REPLY_ATTEMPTS,
    REPLY_LEASE,
    Graph,
    send_replies,
    set_pic_phone,
)
from publisher.ops.metrics import build_registry
from publisher.reference import seed
from publisher.runtime.context import AppContext
from tests.conftest import make_context

PIC_PHONE = "081298765432"
PIC_WA = "6281298765432"


@dataclass
class World:
    ctx: AppContext
    fake: FakeWhatsApp
    graph: Graph


@pytest.fixture
def world(sqlite_url: str, tmp_path: Path) -> Iterator[World]:
    fake = FakeWhatsApp()
    with ServerThread(fake.app()) as server:
        ctx = make_context(sqlite_url, tmp_path)
        migrate.upgrade(ctx.engine)
        with ctx.sessions() as session, session.begin():
            seed(session)
            agency = session.scalar(select(Agency).where(Agency.code == "dpupr"))
            assert agency is not None
            pic = User(username="pic-dpupr", role="pic", agency_id=agency.id)
            set_pic_phone(pic, ctx.vault, ctx.settings.secret_keys, PIC_PHONE)
            session.add(pic)
        # A short read timeout, so a lost answer is a test of seconds, not minutes.
        with httpx.Client(timeout=httpx.Timeout(5.0, read=0.5)) as client:
            yield World(ctx, fake, Graph(client, f"{server.url}/{VERSION}", fake.token))
        ctx.close()


def waiting_reply(world: World, text: str = "Terima kasih, tindak lanjut diterima.") -> int:
    with world.ctx.sessions() as session, session.begin():
        user = session.scalar(select(User).where(User.username == "pic-dpupr"))
        assert user is not None
        message = WhatsAppMessage(
            message_id=f"wamid.in.{text[:8]}.{utcnow().timestamp()}",
            sender_lookup="x" * 64,
            user_id=user.id,
            reply_text=text,
            reply_state="pending",
        )
        session.add(message)
        session.flush()
        return message.id


def state_of(world: World, message_id: int) -> tuple[str, int]:
    with world.ctx.sessions() as session:
        message = session.get(WhatsAppMessage, message_id)
        assert message is not None
        return message.reply_state, message.reply_attempts


def send(world: World, graph: Graph | None = None) -> dict[str, int]:
    return send_replies(
        world.ctx.sessions, world.ctx.vault, graph or world.graph, world.fake.phone_number_id
    )


def test_a_reply_is_sent_to_the_pics_number_once(world: World) -> None:
    message_id = waiting_reply(world)
    assert send(world)["sent"] == 1
    assert send(world)["sent"] == 0
    assert [(t.to, t.body) for t in world.fake.sent] == [
        (PIC_WA, "Terima kasih, tindak lanjut diterima.")
    ]
    assert state_of(world, message_id) == ("sent", 1)


def test_a_reply_whose_answer_was_lost_is_unknown_and_never_sent_again(world: World) -> None:
    message_id = waiting_reply(world)
    world.fake.text_faults.append(LOST)
    assert send(world)["unknown"] == 1
    assert send(world) == {"sent": 0, "failed": 0, "retry_later": 0, "unknown": 0}
    assert len(world.fake.sent) == 1  # Meta kept the one message; the PIC got it once
    assert state_of(world, message_id) == ("unknown", 1)
    # ...and a person sees it: the metrics count it for an alert.
    exported = generate_latest(build_registry(world.ctx)).decode()
    assert 'lapor_whatsapp_replies{state="unknown"} 1.0' in exported


def test_a_server_error_may_have_been_accepted_so_the_reply_is_not_repeated(
    world: World,
) -> None:
    message_id = waiting_reply(world)
    world.fake.text_faults.append(SERVER_ERROR)
    assert send(world)["unknown"] == 1
    send(world)
    assert state_of(world, message_id) == ("unknown", 1)


def test_a_rate_limited_reply_waits_and_goes_out_on_the_next_pass(world: World) -> None:
    message_id = waiting_reply(world)
    world.fake.text_faults.append(RATE_LIMIT)  # HTTP 400, Graph code 130429
    assert send(world)["retry_later"] == 1
    assert state_of(world, message_id) == ("pending", 1)
    assert send(world)["sent"] == 1
    assert len(world.fake.sent) == 1
    assert state_of(world, message_id) == ("sent", 2)


def test_a_reply_that_cannot_connect_is_retried_then_given_up(world: World) -> None:
    message_id = waiting_reply(world)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    with httpx.Client(timeout=2.0) as client:
        nowhere = Graph(client, f"http://127.0.0.1:{closed_port}/{VERSION}", world.fake.token)
        for _ in range(MAX_REPLY_ATTEMPTS - 1):
            assert send(world, nowhere)["retry_later"] == 1
        assert send(world, nowhere)["failed"] == 1
    assert state_of(world, message_id) == ("failed", MAX_REPLY_ATTEMPTS)
    assert world.fake.sent == []


def test_a_refused_reply_fails_at_once(world: World) -> None:
    message_id = waiting_reply(world)
    world.fake.text_faults.append(Fault("error", 400, 131026, "(#131026) Message undeliverable"))
    assert send(world)["failed"] == 1
    assert state_of(world, message_id) == ("failed", 1)


def test_a_reply_left_sending_by_a_crash_becomes_unknown_and_is_not_sent(world: World) -> None:
    crashed = waiting_reply(world, "dari proses yang mati")
    in_flight = waiting_reply(world, "sedang dikirim proses lain")
    now = utcnow()
    with world.ctx.sessions() as session, session.begin():
        session.execute(
            update(WhatsAppMessage)
            .where(WhatsAppMessage.id == crashed)
            .values(reply_state="sending", reply_claimed_at=now - REPLY_LEASE - timedelta(1))
        )
        session.execute(
            update(WhatsAppMessage)
            .where(WhatsAppMessage.id == in_flight)
            .values(reply_state="sending", reply_claimed_at=now)
        )
    assert send(world)["unknown"] == 1
    assert state_of(world, crashed)[0] == "unknown"
    assert state_of(world, in_flight)[0] == "sending"  # another process's call, left alone
    assert world.fake.sent == []
