"""A visible call cannot outlive its lease (issue #18): the deadline on what is sent.

httpx bounds one read or one write, never a whole request, so a body trickling out over a slow
uplink could still be arriving at the platform after the lease ran out and the reconciler had
handed the delivery to another worker. These tests send real requests over loopback to a
server that reads slowly and count what reached it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from publisher.core.deadline import deadline_scope, remaining
from publisher.db.models import Delivery
from publisher.outbox import deliveries as outbox
from publisher.platforms.meta.fake import FakeMetaGraph
from publisher.runtime.context import AppContext
from publisher.runtime.http import make_client
from tests.conftest import make_context
from tests.publishing_env import PAGE, PAGE_TOKEN, approved_posts
from tests.test_publish_races import add_facebook, meta_server

CHUNK = 64 * 1024


class SlowReader:
    """A TCP server that reads what it is sent at a slow, steady pace (a congested uplink seen
    from the platform's side) and counts the bytes; it never answers."""

    def __init__(self, bytes_per_read: int = CHUNK, pause_s: float = 0.02) -> None:
        self.received = 0
        self.connections = 0
        self.closed_by_client = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._pace = (bytes_per_read, pause_s)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(0.2)
                while not self._stop.is_set():
                    try:
                        data = conn.recv(self._pace[0])
                    except TimeoutError:
                        continue
                    if not data:
                        self.closed_by_client.set()
                        break
                    self.received += len(data)
                    self._stop.wait(self._pace[1])

    @contextmanager
    def running(self) -> Iterator[SlowReader]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(10)
            self._sock.close()


def body(total: int) -> Iterator[bytes]:
    for _ in range(total // CHUNK):
        yield b"\xa5" * CHUNK


def test_a_body_still_being_sent_when_the_deadline_passes_is_cut_off_incomplete() -> None:
    total = 64 * 1024 * 1024  # at ~3 MB/s this upload would take about 20 s
    with SlowReader().running() as server, make_client(60.0) as client:
        start = time.monotonic()
        with deadline_scope(lambda: start + 1.5), pytest.raises(httpx.WriteTimeout):
            client.post(f"http://127.0.0.1:{server.port}/upload", content=body(total))
        took = time.monotonic() - start
        assert server.closed_by_client.wait(10)
    assert took < 10, f"the upload went on for {took:.1f} s past a 1.5 s deadline"
    assert 0 < server.received < total / 2


def test_no_request_is_started_once_the_deadline_has_passed() -> None:
    with SlowReader().running() as server, make_client(5.0) as client:
        with deadline_scope(lambda: float("-inf")), pytest.raises(httpx.PoolTimeout):
            client.post(f"http://127.0.0.1:{server.port}/upload", content=b"caption")
        assert server.received == 0


def test_outside_a_deadline_scope_requests_are_untouched() -> None:
    assert remaining() is None
    with SlowReader(pause_s=0).running() as server, make_client(5.0) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post(
                f"http://127.0.0.1:{server.port}/upload", content=b"x" * 10_000, timeout=0.5
            )
        deadline = time.monotonic() + 5
        while server.received < 10_000 and time.monotonic() < deadline:
            time.sleep(0.01)  # poll: the bytes are in flight on loopback
    assert server.received >= 10_000


@pytest.fixture
def short_lease_ctx(sqlite_url: str, tmp_path: Path) -> Iterator[AppContext]:
    context = make_context(sqlite_url, tmp_path, sending_lease_s=30)  # renewed every 7.5 s
    yield context
    context.close()


def test_a_lease_lost_mid_upload_stops_the_upload_before_the_platform_has_the_request(
    short_lease_ctx: AppContext,
) -> None:
    """The lease keeper notices the reconciler took the delivery and the deadline moves to
    now: the rest of the body is never sent, so the platform never acts on it."""
    ctx = short_lease_ctx
    meta = FakeMetaGraph(tokens={PAGE_TOKEN}, pages={PAGE: "DPUPR Kabupaten Tegal"})
    total = 256 * 1024 * 1024  # far longer than the test: only the lost lease can end it
    with meta_server(ctx, meta.app()) as api_base:
        add_facebook(ctx, api_base)
        approved_posts(ctx, 1)
        delivery_id = outbox.claim(ctx)
        assert delivery_id is not None
        keeper = outbox.LeaseKeeper(ctx, delivery_id, lease=1)
        errors: list[BaseException] = []

        def upload(port: int) -> None:
            with deadline_scope(keeper.sending_deadline):
                try:
                    ctx.http.post(f"http://127.0.0.1:{port}/video", content=body(total))
                except httpx.HTTPError as exc:
                    errors.append(exc)

        with SlowReader().running() as server, keeper:
            sender = threading.Thread(target=upload, args=(server.port,))
            sender.start()
            while server.received == 0:
                time.sleep(0.01)  # poll: wait for the upload to be under way
            # The reconciler hands the delivery on: the claim's attempt number moves.
            with ctx.sessions() as session, session.begin():
                session.execute(
                    update(Delivery).where(Delivery.id == delivery_id).values(attempts=2)
                )
            sender.join(ctx.settings.sending_lease_s)
            assert not sender.is_alive()
            assert server.closed_by_client.wait(10)
    assert keeper.lost.is_set()
    assert [type(e) for e in errors] == [httpx.WriteTimeout]
    assert server.received < total
