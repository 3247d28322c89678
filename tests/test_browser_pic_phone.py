"""Issue 20 in real headless Chromium (Debian's ``chromium``) at 360x740, as a PIC on a phone:

* on a throttled connection (Chromium DevTools ``Network.emulateNetworkConditions``, 50 KB/s up,
  then offline for a moment in the middle) two ~4 MB photos are downscaled on the phone, sent
  by tus, and finish after the drop without starting again from zero: the bytes the server
  received stay under 1.5x the downscaled size (counted server-side, below the app);
* a rejected follow-up is shown with its reason, sent again, and reaches the reviewer; a session
  that ends while the form is open loses neither the text nor the finished uploads.
"""

from __future__ import annotations

import io
import random
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select, update
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobs.pipeline import run_job
from publisher.app.factory import create_app
from publisher.core.clock import utcnow
from publisher.db.models import FollowUp, Media, Post, User, WebSession
from publisher.fakes.server import ServerThread
from publisher.intake import uploads
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from tests.flow import add_account
from tests.test_browser_flow import ARGS, CHROMIUM, PASSWORD, shot
from tests.web_support import make_user, waiting_case

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
ACTION = "Tiang PJU yang roboh sudah diganti dan lampunya menyala kembali malam ini."
AGAIN = "Foto ulang siang hari: tiang PJU baru sudah berdiri tegak dan lampunya menyala."
REASON = "Foto terlalu gelap, mohon kirim ulang foto siang hari."


class ByteCounter:
    """Counts the request-body bytes that reach the app under the tus prefix, and the
    Upload-Length of each upload created: what went over the wire, server-side."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.received = 0
        self.created: list[int] = []
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(uploads.PREFIX):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST":
            headers = dict(scope["headers"])
            length = headers.get(b"upload-length", b"")
            if length.isdigit():
                with self.lock:
                    self.created.append(int(length))

        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                with self.lock:
                    self.received += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


def big_photo(path: Path, seed: int) -> int:
    """A ~4 MB camera-sized JPEG (4000x3000, noisy, as a phone camera writes it)."""
    rnd = random.Random(seed)
    noise = Image.frombytes("RGB", (4000, 3000), rnd.randbytes(4000 * 3000 * 3))
    base = Image.new("RGB", (4000, 3000), (90 + seed * 40, 120, 60))
    image = Image.blend(base, noise, 0.16)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    path.write_bytes(out.getvalue())
    return len(out.getvalue())


def small_photo(path: Path, colour: tuple[int, int, int]) -> None:
    Image.new("RGB", (800, 600), colour).save(path, "JPEG", quality=90)


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()


def test_two_4mb_photos_finish_after_a_drop_without_starting_again_on_50kbps(
    ctx: AppContext, browser: Any, tmp_path: Path
) -> None:
    make_user(ctx, "pic_dpupr", "pic", "dpupr")
    case_id = waiting_case(ctx, 1)
    originals = [tmp_path / "IMG_0001.jpg", tmp_path / "IMG_0002.jpg"]
    original_bytes = sum(big_photo(p, i) for i, p in enumerate(originals))
    assert original_bytes > 7_000_000
    counter = ByteCounter(create_app(ctx))
    with ServerThread(counter) as server:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        failures: list[str] = []
        page.on("requestfailed", lambda request: failures.append(request.url))
        sign_in(page, server.url, "pic_dpupr")
        page.goto(f"{server.url}/pic/cases/{case_id}/follow-up")
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        slow = {"latency": 150, "downloadThroughput": 50 * 1024, "uploadThroughput": 50 * 1024}
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **slow})
        page.get_by_label("Tindakan yang dilakukan").fill(ACTION)
        page.set_input_files("#after", [str(p) for p in originals])
        page.get_by_role("button", name="Kirim tindak lanjut").click()

        # Some of the photos are up, then the connection drops for a moment.
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('#upload-list progress'))"
            ".some(p => p.max > 1 && p.value > p.max * 0.3)",
            timeout=240_000,
        )
        cdp.send("Network.emulateNetworkConditions", {"offline": True, **slow})
        # Poll until the browser saw a request fail (the drop took effect), then back online.
        for _ in range(1200):
            if failures:
                break
            page.wait_for_timeout(50)
        assert failures, "no request failed while offline"
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **slow})

        page.wait_for_url("**/pic/submissions?terkirim=1", timeout=300_000)
        shot(page, "20-pic-upload-after-drop-phone")
        context.close()

    downscaled = sum(counter.created)
    print(f"originals {original_bytes} B, downscaled {downscaled} B, received {counter.received} B")
    assert len(counter.created) == 2, counter.created  # resumed, never a new upload
    assert downscaled < original_bytes / 2  # downscaled on the phone before sending
    assert counter.received < 1.5 * downscaled, (counter.received, downscaled)
    with ctx.sessions() as session:
        media = list(session.scalars(select(Media)))
        assert len(media) == 2 and all(m.state == "ok" for m in media)
        assert all(max(m.width or 0, m.height or 0) <= 2048 for m in media)


def test_a_rejected_pic_resends_and_an_ended_session_loses_nothing(
    ctx: AppContext, browser: Any, tmp_path: Path
) -> None:
    make_user(ctx, "pic_dpupr", "pic", "dpupr")
    make_user(ctx, "komunikasi", "reviewer")
    add_account(ctx, "folder", "dpupr")
    case_id = waiting_case(ctx, 1)
    first, second = tmp_path / "malam.jpg", tmp_path / "siang.jpg"
    small_photo(first, (20, 20, 30))
    small_photo(second, (200, 190, 120))
    with ServerThread(create_app(ctx)) as server:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        sign_in(page, server.url, "pic_dpupr")
        page.get_by_role("link", name="Kirim tindak lanjut LPR-2025-00001").click()
        page.get_by_label("Tindakan yang dilakukan").fill(ACTION)
        page.set_input_files("#after", str(first))
        page.get_by_role("button", name="Kirim tindak lanjut").click()
        page.wait_for_url("**/pic/submissions?terkirim=1")

        run_job(ctx, "screen")
        run_job(ctx, "render")
        with ctx.sessions() as session, session.begin():
            reviewer = session.scalar(select(User).where(User.username == "komunikasi"))
            post = session.scalar(select(Post))
            assert reviewer is not None and post is not None
            review.reject(session, post.id, reviewer, reason=REASON, vault=ctx.vault)

        page.goto(f"{server.url}/pic")
        assert "Ditolak" in page.content() and REASON in page.content()
        shot(page, "21-pic-sees-rejection-phone")
        page.get_by_role("link", name="Kirim ulang tindak lanjut LPR-2025-00001").click()
        assert REASON in page.content()
        page.get_by_label("Tindakan yang dilakukan").fill(AGAIN)
        page.set_input_files("#after", str(second))
        page.wait_for_selector("#upload-list li[data-state=done]")

        # The session ends while the form is open (signed out elsewhere, or expired).
        with ctx.sessions() as session, session.begin():
            session.execute(update(WebSession).values(revoked_at=utcnow()))
        page.get_by_role("button", name="Kirim tindak lanjut").click()
        page.wait_for_selector("text=Sesi Anda berakhir")
        shot(page, "22-pic-session-ended-phone")
        page.get_by_role("link", name="Masuk lagi").click()
        page.get_by_label("Nama pengguna").fill("pic_dpupr")
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url(f"**/pic/cases/{case_id}/follow-up")
        # Back on the same form: the text (kept in this browser) and the finished upload (kept
        # on the server) are both there.
        assert page.get_by_label("Tindakan yang dilakukan").input_value() == AGAIN
        assert "siang.jpg: sudah diterima" in page.content()
        page.get_by_role("button", name="Kirim tindak lanjut").click()
        page.wait_for_url("**/pic/submissions?terkirim=1")
        assert "Digantikan kiriman baru" in page.content()
        context.close()

        run_job(ctx, "render")
        desk = browser.new_context(viewport={"width": 1280, "height": 900})
        reviewer_page = desk.new_page()
        sign_in(reviewer_page, server.url, "komunikasi")
        reviewer_page.goto(f"{server.url}/review/cases/{case_id}")
        text = reviewer_page.content()
        assert "Foto ulang siang hari" in text and "Yang berubah sejak tinjauan terakhir" in text
        shot(reviewer_page, "23-reviewer-sees-resubmission")
        desk.close()
    with ctx.sessions() as session:
        old, new = session.scalars(select(FollowUp).order_by(FollowUp.id)).all()
        assert old.replaced_by_id == new.id and new.action_text == AGAIN
