"""Issue #16's own case, and a variant for every kind and written form of its table, end to end
through the three ways a case and its follow-up arrive: the signed push endpoint, a PIC's
WhatsApp message (fake Cloud API) and the JSON case feed (fake complaint app); then screening,
drafting, review (a reviewer rewrites a sentence that had to be scrubbed), publishing to the
fakes (Telegram, the folder platform) and the public page and its Atom feed.

No identifier may appear in any caption as drafted or as sent, on a public page, in the feed, in
a log line (the production handler, uvicorn's error and access loggers included, and every
record as captured by pytest before any filter), or in an HTTP answer. The reporter's photo,
re-attached by the PIC as a crop over WhatsApp, is never published; a case made ``rahasia``
after approval is never published.

Every person is generated (Faker ``id_ID``); the note follows the issue's shape, not its values.
The variants come from tests/privacy_hard_cases.py (one identifier each, in one written form).
Behaviours of the fakes: publisher/fakes/whatsapp.py (Cloud API webhooks and media, as
documented by Meta), publisher/fakes/case_feed.py (docs/case-feed.md),
publisher/platforms/telegram/fake.py (Bot API).
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from faker import Faker
from PIL import Image
from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.app.factory import create_app
from publisher.core.clock import utcnow
from publisher.db.models import Agency, Case, Delivery, FollowUp, Media, Post, User
from publisher.fakes.case_feed import FakeCaseFeed
from publisher.fakes.server import ServerThread
from publisher.fakes.whatsapp import (
    VERSION,
    FakeWhatsApp,
    media_message,
    meta_signature,
    notification,
    text_message,
)
from publisher.intake.collect import download_media, run_source
from publisher.intake.routes import sign_push
from publisher.intake.sources.json_feed import JsonFeedSource
from publisher.intake.sources.whatsapp import set_pic_phone
from publisher.media.likeness import fingerprints, looks_like
from publisher.outbox import deliveries as outbox
from publisher.posts.preview import post_card, render_card_html
from publisher.privacy.guard import placeholders_in
from publisher.privacy.logs import UVICORN_LOGGING, configure
from publisher.review import actions as review
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.factories import feed_record, person
from tests.flow import add_account
from tests.privacy_hard_cases import FORMS, KINDS, hard_note
from tests.publishing_env import Fakes, add_platform_account, running_fakes
from tests.test_privacy_hard_cases import _documented_limit
from tests.test_privacy_media_likeness import cropped, textured
from tests.web_support import free_port

PUSH_SECRET = "push-secret-for-tests"
APP_SECRET = "meta-app-secret"
PIC_PHONE, PIC_WA = "081298765432", "6281298765432"
CHANNELS = ("push", "whatsapp", "feed")
REWRITE = "Tindak lanjut: petugas sudah menangani laporan ini di lokasi."


@dataclass
class World:
    ctx: AppContext
    graph: FakeWhatsApp
    feed: FakeCaseFeed
    feed_url: str
    app_url: str
    fakes: Fakes
    logs: io.StringIO
    answers: list[str] = field(default_factory=list)  # every HTTP answer body we got


def _serve(ctx: AppContext) -> tuple[uvicorn.Server, threading.Thread, str]:
    """The app as production serves it: uvicorn with our logging (access log included)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(ctx), host="127.0.0.1", port=port, **UVICORN_LOGGING)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # polling for the server to listen, not a fixed wait
        assert time.monotonic() < deadline and thread.is_alive(), "the app did not start"
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def world(sqlite_url: str, tmp_path: Path) -> Iterator[World]:
    graph, feed = FakeWhatsApp(), FakeCaseFeed()
    logs = io.StringIO()
    with (
        running_fakes() as fakes,
        ServerThread(graph.app()) as graph_server,
        ServerThread(feed.app()) as feed_server,
    ):
        graph.base_url = graph_server.url
        ctx = make_context(
            sqlite_url,
            tmp_path,
            push_secret=PUSH_SECRET,
            whatsapp_app_secret=APP_SECRET,
            whatsapp_verify_token="verify-me",
            whatsapp_access_token=graph.token,
            whatsapp_phone_number_id=graph.phone_number_id,
            whatsapp_graph_url=f"{graph_server.url}/{VERSION}",
        )
        with ctx.sessions() as session, session.begin():
            agency = session.scalar(select(Agency).where(Agency.code == "dpupr"))
            assert agency is not None
            pic = User(username="pic-dpupr", role="pic", agency_id=agency.id)
            set_pic_phone(pic, ctx.vault, ctx.settings.secret_keys, PIC_PHONE)
            session.add(pic)
            session.add(User(username="rev", role="reviewer"))
        add_platform_account(ctx, "telegram", fakes)
        add_account(ctx, "folder", "dpupr", max_posts_per_hour=10_000)
        configure("DEBUG", stream=logs)
        server, thread, url = _serve(ctx)
        try:
            yield World(ctx, graph, feed, feed_server.url, url, fakes, logs)
        finally:
            server.should_exit = True
            thread.join(10)
            configure()
            ctx.close()


# --- the cases ------------------------------------------------------------------------------


@dataclass
class Variant:
    n: int
    channel: str
    complaint: str
    note: str
    reporter: dict[str, str]
    secrets: list[tuple[str, str]]  # (kind, value as written) that must never be published


def issue_case(n: int, channel: str, seed: int) -> Variant:
    """The issue's note, with generated people: the reporter, his wife, the RT head."""
    fake = Faker("id_ID")
    fake.seed_instance(seed)
    first, last = fake.first_name_male(), fake.last_name()
    wife, rt_head = fake.first_name_female(), fake.first_name_male()
    reporter = person(seed) | {"name": f"{first} {last}", "phone": "081234567890"}
    note = (
        f"Sudah dicek ke rumah Pak {first} {last} (hp 0812 3456 7890) di RT 03/05 ... "
        f"{first}nya sdh dihubungi, dikonfirmasi juga oleh istrinya Bu {wife} dan Pak RT "
        f"{rt_head}. Nomor lain keluarga: 0857 - 1122 - 3344."
    )
    complaint = f"Jalan depan rumah saya rusak parah, saya {first} {last} hp 0812-3456-7890."
    secrets = [
        ("name", first),
        ("name", last),
        ("name", wife),
        ("name", rt_head),
        ("phone", "0812 3456 7890"),
        ("phone", "0857 - 1122 - 3344"),
        ("rt_rw", "RT 03/05"),
    ]
    return Variant(n, channel, complaint, note, reporter, secrets)


def form_variants(start: int) -> list[Variant]:
    """One case per kind and form of the issue's table, channels in turn."""
    out: list[Variant] = []
    pairs = [(kind, form) for kind in KINDS for form in FORMS[kind]]
    for i, (kind, form) in enumerate(pairs):
        seed = 1600 + i
        note = hard_note(kind, form, seed)
        for attempt in range(1, 20):  # a name that is an everyday word is a documented limit
            value = note.text[note.planted[0].start : note.planted[0].end]
            if not (kind == "name" and not note.known.names and _documented_limit(value)):
                break
            note = hard_note(kind, form, seed + 1000 * attempt)
        planted = note.planted[0]
        reporter = person(seed)
        if note.known.names:
            reporter["name"] = note.known.names[0]  # "-nya" and bare forms of the reporter
        value = note.text[planted.start : planted.end]
        out.append(
            Variant(
                n=start + i,
                channel=CHANNELS[i % len(CHANNELS)],
                complaint=f"Mohon ditindaklanjuti. {note.text}",
                note=note.text,
                reporter=reporter,
                secrets=[(kind, value)],
            )
        )
    return out


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def leaks(kind: str, value: str, text: str) -> bool:
    """Whether ``value``, planted as ``kind``, can still be read in ``text``."""
    if kind in ("phone", "nik"):
        return _digits(value)[-8:] in _digits(text)
    if kind == "plate":
        return re.sub(r"[^A-Z0-9]", "", value.upper()) in re.sub(r"[^A-Z0-9]", "", text.upper())
    if kind == "email":
        user = re.findall(r"[\w.]{3,}", value)[0]
        return re.search(rf"(?<![\w.]){re.escape(user)}(?!\w)", text) is not None
    if kind == "name":
        return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text, re.IGNORECASE) is not None
    return value in text


# --- arrival -------------------------------------------------------------------------------


def record(v: Variant, *, note: str | None = None, **changes: Any) -> dict[str, Any]:
    rec = feed_record(
        v.n,
        reporter=v.reporter,
        complaint=v.complaint,
        action=v.note if note is None else note,
        **changes,
    )
    rec["updated_at"] = (utcnow() - timedelta(minutes=30) + timedelta(seconds=v.n)).isoformat()
    return rec


def push(world: World, records: list[dict[str, Any]]) -> None:
    raw = json.dumps({"records": records}).encode()
    stamp = int(time.time())
    response = httpx.post(
        f"{world.app_url}/api/v1/cases",
        content=raw,
        headers={
            "Content-Type": "application/json",
            "X-Lapor-Timestamp": str(stamp),
            "X-Lapor-Signature": sign_push(PUSH_SECRET, stamp, raw),
        },
        timeout=60,
    )
    world.answers.append(response.text)
    assert response.status_code < 300, response.status_code


def whatsapp(world: World, message: dict[str, object]) -> None:
    body = notification(message)
    response = httpx.post(
        f"{world.app_url}/webhooks/whatsapp",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": meta_signature(APP_SECRET, body),
        },
        timeout=60,
    )
    world.answers.append(response.text)
    assert response.status_code == 200


def wait_for(condition: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def whatsapp_follow_ups(world: World) -> int:
    with world.ctx.sessions() as session:
        return len(session.scalars(select(FollowUp).where(FollowUp.channel == "whatsapp")).all())


def arrive(world: World, variants: list[Variant]) -> None:
    """Each case arrives by its channel; a WhatsApp case's note comes from the PIC's phone."""
    pushed = [record(v) for v in variants if v.channel == "push"]
    # Over WhatsApp the case itself comes from the complaint app with a first, plain note.
    plain = "Laporan diterima, segera dicek."
    first = [record(v, note=plain) for v in variants if v.channel == "whatsapp"]
    push(world, pushed + first)
    world.feed.add(*(record(v) for v in variants if v.channel == "feed"))
    counts, error = run_source(
        world.ctx.sessions, world.ctx.vault, JsonFeedSource("app", world.feed_url, world.ctx.http)
    )
    assert error == "" and counts.quarantined == 0
    by_phone = [v for v in variants if v.channel == "whatsapp"]
    for v in by_phone:
        whatsapp(world, text_message(PIC_WA, f"TL LPR-2025-{v.n:05d} {v.note}"))
    wait_for(lambda: whatsapp_follow_ups(world) >= len(by_phone), "the WhatsApp follow-ups")


# --- review and publishing ------------------------------------------------------------------


def draft_review_publish(world: World, *, before_publish: Any = None) -> list[Post]:
    ctx = world.ctx
    run_job(ctx, "screen")
    run_job(ctx, "render")
    with ctx.sessions() as session, session.begin():
        reviewer = session.scalar(select(User).where(User.username == "rev"))
        assert reviewer is not None
        posts = list(
            session.scalars(
                select(Post).where(Post.review_state.in_(("pending_review", "blocked")))
            )
        )
        for post in posts:
            if placeholders_in(post.caption):
                # Approval is refused while a placeholder remains: the reviewer rewrites.
                rewritten = re.sub(r"Tindak lanjut:[^\n]*", REWRITE, post.caption)
                review.edit(session, post.id, reviewer, caption=rewritten)
            # The screening model may hold a complaint full of names; a reviewer releases it.
            blocked = post.review_state == "blocked"
            review.approve(
                session,
                post.id,
                reviewer,
                override_reason="Keluhan jalan biasa, bukan konflik." if blocked else "",
                manual_screening_note="Disaring manual: kasus umum.",
                vault=ctx.vault,
            )
    if before_publish is not None:
        before_publish()
    while outbox.publish_due(ctx).claimed:
        pass
    return posts


def published_texts(world: World) -> list[str]:
    ctx = world.ctx
    texts = [m.caption for m in world.fakes.telegram.sent]
    folder = Path(ctx.settings.folder_platform_dir)
    texts += [p.read_text() for p in folder.rglob("*.txt")]
    return texts


def public_pages(world: World) -> list[str]:
    pages = []
    for path in ("/publik", "/publik/feed.xml", "/publik/widget", "/publik/kinerja"):
        response = httpx.get(f"{world.app_url}{path}", timeout=60)
        assert response.status_code == 200, path
        pages.append(response.text)
    with world.ctx.sessions() as session:
        case_ids = session.scalars(select(Case.id)).all()
    for case_id in case_ids:
        response = httpx.get(f"{world.app_url}/publik/tl/{case_id}", timeout=60)
        assert response.status_code in (200, 404)
        pages.append(response.text)
    return pages


def assert_nothing_leaks(
    world: World, variants: list[Variant], drafted: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    sent = published_texts(world)
    pages = public_pages(world)
    assert sent and pages
    with world.ctx.sessions() as session:
        # The card the review page and `lapor post preview` show, for every post.
        previews = [
            render_card_html(post_card(session, post_id))
            for post_id in session.scalars(select(Post.id))
        ]
    logged = world.logs.getvalue()
    assert "uvicorn.access" in logged  # the server's own lines went through the handler
    places = {
        "drafted caption": drafted,
        "preview": previews,
        "published caption": sent,
        "public page or feed": pages,
        "log line": [logged],
        "captured log record": [caplog.text],
        "HTTP answer": world.answers,
    }
    for v in variants:
        for kind, value in v.secrets:
            for where, texts in places.items():
                for text in texts:
                    assert not leaks(kind, value, text), (v.n, v.channel, kind, where)
    for text in [*sent, *pages]:
        assert "disamarkan" not in text


# --- the tests ------------------------------------------------------------------------------


def test_the_issue_case_and_a_variant_of_every_form_publish_no_identifier(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    variants = [issue_case(n, channel, 16 + n) for n, channel in enumerate(CHANNELS, start=1)]
    variants += form_variants(start=10)
    arrive(world, variants)
    posts = draft_review_publish(world)
    assert len(posts) == 2 * len(variants)  # every case drafted for Telegram and the folder
    with world.ctx.sessions() as session:
        published = session.scalars(select(Delivery).where(Delivery.state == "published")).all()
    assert len(published) == len(posts)
    # Asked of the store, not of the logs: the drafted captions as the reviewer first saw them.
    drafted = [p.caption for p in posts]
    assert_nothing_leaks(world, variants, drafted, caplog)


def _jpeg(data: bytes) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).save(out, "JPEG", quality=80)
    return out.getvalue()


def test_the_reporters_photo_re_attached_over_whatsapp_as_a_crop_is_never_published(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    import random

    caplog.set_level(logging.DEBUG)
    case = issue_case(1, "push", 16)
    reporter_photo = textured(160)
    world.feed.add_media("pelapor.jpg", reporter_photo)
    pic_photo = textured(161)
    # The complaint app sends the case with the reporter's own photo ...
    rec = record(case, note="Laporan diterima, segera dicek.")
    rec["follow_up"]["media"] = [
        {"url": f"{world.feed_url}/media/pelapor.jpg", "taken_by": "reporter", "phase": ""}
    ]
    push(world, [rec])
    download_media(world.ctx)
    # ... and the PIC sends it back as "before" (cropped and re-saved by the phone), with the
    # issue's note as caption, then their own "after".
    crop = world.graph.add_media(_jpeg(cropped(reporter_photo, 0.65, random.Random(7))))
    whatsapp(world, media_message(PIC_WA, crop, caption=f"TL LPR-2025-00001 {case.note}"))
    wait_for(lambda: whatsapp_follow_ups(world) >= 1, "the WhatsApp follow-up")
    own = world.graph.add_media(pic_photo)
    whatsapp(world, media_message(PIC_WA, own))

    def settled() -> bool:
        with world.ctx.sessions() as session:
            rows = session.scalars(
                select(Media).join(FollowUp).where(FollowUp.channel == "whatsapp")
            ).all()
            return len(rows) == 2 and all(m.state == "ok" for m in rows)

    wait_for(settled, "the PIC's photos")
    posts = draft_review_publish(world)
    assert posts
    reporter = fingerprints(
        world.ctx.media.local_path(world.ctx.media.put(reporter_photo, ".jpg"), ".jpg")
    )
    # Two photos came from the PIC; only their own "after" may go out, alone.
    assert all(len(p.media) == 1 for p in posts), [len(p.media) for p in posts]
    assert [(m.method, m.items) for m in world.fakes.telegram.sent] == [("sendPhoto", 1)]
    shown = [m.photo_sha256 for m in world.fakes.telegram.sent if m.photo_sha256]
    for sha in shown:
        assert not looks_like(fingerprints(world.ctx.media.local_path(sha, ".jpg")), reporter)
    folder_photos = [p for p in Path(world.ctx.settings.folder_platform_dir).rglob("*.jpg")]
    for path in folder_photos:
        assert not looks_like(fingerprints(path), reporter)
    assert_nothing_leaks(world, [case], [p.caption for p in posts], caplog)


def test_a_case_made_rahasia_after_approval_is_never_published(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret, public = issue_case(1, "feed", 16), issue_case(2, "feed", 17)
    arrive(world, [secret, public])

    def made_rahasia() -> None:
        later = record(secret, privacy="rahasia")
        later["updated_at"] = (utcnow() + timedelta(minutes=3)).isoformat()
        push(world, [later])

    posts = draft_review_publish(world, before_publish=made_rahasia)
    with world.ctx.sessions() as session:
        case_id = session.scalar(select(Case.id).where(Case.tracking_number == "LPR-2025-00001"))
        mine = [p.id for p in posts if p.case_id == case_id]
        reviews = session.scalars(select(Post.review_state).where(Post.id.in_(mine))).all()
        states = session.scalars(select(Delivery.state).where(Delivery.post_id.in_(mine))).all()
    assert len(mine) == 2, "both posts of the case were approved before it became rahasia"
    assert "published" not in states, (reviews, states)
    sent = published_texts(world)
    assert sent and all("LPR-2025-00001" not in text for text in sent)
    assert any("LPR-2025-00002" in text for text in sent)
    pages = public_pages(world)
    assert all("LPR-2025-00001" not in page for page in pages)
    assert_nothing_leaks(world, [secret, public], [], caplog)
