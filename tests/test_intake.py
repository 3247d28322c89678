"""Case intake from the JSON feed over real HTTP: idempotent, quarantining what is broken."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from jobs.pipeline import run_job
from publisher.db.models import Case, FollowUp, Media, Quarantine, SourceState
from publisher.fakes.case_feed import FakeCaseFeed
from publisher.fakes.server import ServerThread
from publisher.intake.collect import run_source
from publisher.intake.records import ingest
from publisher.intake.sources.json_feed import JsonFeedSource
from publisher.runtime.context import AppContext
from tests.factories import feed_record, jpeg


@pytest.fixture
def feed() -> Iterator[tuple[FakeCaseFeed, str]]:
    fake = FakeCaseFeed()
    with ServerThread(fake.app()) as server:
        yield fake, server.url


def count(ctx: AppContext, model: type) -> int:
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_case_fed_twice_is_stored_once(ctx: AppContext) -> None:
    record = feed_record(1)
    with ctx.sessions() as session, session.begin():
        first = ingest(session, ctx.vault, "app", [record])
    with ctx.sessions() as session, session.begin():
        second = ingest(session, ctx.vault, "app", [record])
    assert (first.new, second.new, second.unchanged) == (1, 0, 1)
    assert count(ctx, Case) == 1 and count(ctx, FollowUp) == 1


def test_a_changed_record_updates_the_stored_case(ctx: AppContext) -> None:
    with ctx.sessions() as session, session.begin():
        ingest(session, ctx.vault, "app", [feed_record(1)])
    with ctx.sessions() as session, session.begin():
        counts = ingest(session, ctx.vault, "app", [feed_record(1, desa="Kagok")])
    assert counts.updated == 1
    with ctx.sessions() as session:
        assert session.scalar(select(Case.desa)) == "Kagok"


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ("not an object", "record is a str"),
        ({"id": "X1"}, "Field required"),
        (feed_record(9, kecamatan="Atlantis"), "not a kecamatan of Kabupaten Tegal"),
        (feed_record(9, agency="dinas-rahasia"), "unknown agency"),
        (feed_record(9, status=42), "status"),
        (feed_record(9, updated_at="kemarin"), "updated_at"),
    ],
)
def test_a_malformed_record_is_quarantined_with_its_reason_and_the_batch_goes_on(
    ctx: AppContext, broken: object, reason: str
) -> None:
    with ctx.sessions() as session, session.begin():
        counts = ingest(session, ctx.vault, "app", [feed_record(1), broken, feed_record(2)])
    assert (counts.new, counts.quarantined) == (2, 1)
    with ctx.sessions() as session:
        row = session.scalar(select(Quarantine))
        assert row is not None and reason in row.reason
        assert row.payload is not None  # kept, encrypted, for a person to fix


def test_a_quarantine_reason_never_echoes_the_reporters_data(ctx: AppContext) -> None:
    record = feed_record(3)
    record["reporter"]["phone"] = ["0812", "3456", "7890"]  # wrong type, personal value
    with ctx.sessions() as session, session.begin():
        ingest(session, ctx.vault, "app", [record])
    with ctx.sessions() as session:
        reason = session.scalar(select(Quarantine.reason))
    assert reason is not None and "reporter.phone" in reason and "0812" not in reason


def test_the_feed_is_polled_over_http_page_by_page_with_a_stored_cursor(
    ctx: AppContext, feed: tuple[FakeCaseFeed, str]
) -> None:
    fake, url = feed
    fake.add(*(feed_record(n) for n in range(1, 451)))
    source = JsonFeedSource("app", url, ctx.http)
    counts, error = run_source(ctx.sessions, ctx.vault, source)
    assert (error, counts.fetched, counts.new) == ("", 450, 450)
    assert fake.pages_served == 3  # 200 + 200 + 50
    newest = feed_record(451)
    fake.add(newest)
    counts, _ = run_source(ctx.sessions, ctx.vault, source)
    assert (counts.fetched, counts.new) == (1, 1)  # only what changed since the cursor
    with ctx.sessions() as session:
        state = session.get(SourceState, "app")
        assert state is not None and state.cursor == newest["updated_at"]


def test_two_collectors_at_once_store_each_case_once(
    ctx: AppContext, feed: tuple[FakeCaseFeed, str]
) -> None:
    fake, url = feed
    fake.add(*(feed_record(n) for n in range(1, 121)))
    errors: list[BaseException] = []

    def collect() -> None:
        try:
            # Each collector starts from an empty cursor, as two fresh processes would.
            with ctx.sessions() as session:
                records = JsonFeedSource("app", url, ctx.http).fetch("")
                for batch in records:
                    with session.begin():
                        ingest(session, ctx.vault, "app", batch.records)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=collect) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert count(ctx, Case) == 120 and count(ctx, FollowUp) == 120


def test_an_unreachable_feed_is_recorded_as_the_sources_error(ctx: AppContext) -> None:
    source = JsonFeedSource("app", "http://127.0.0.1:9", ctx.http)
    counts, error = run_source(ctx.sessions, ctx.vault, source)
    assert counts.fetched == 0 and "ConnectError" in error


def test_the_collect_job_downloads_sanitised_media_and_retries_a_failed_download(
    tmp_path: object, feed: tuple[FakeCaseFeed, str], sqlite_url: str
) -> None:
    from pathlib import Path

    from publisher.core.settings import SourceConfig
    from tests.conftest import make_context

    fake, url = feed
    fake.add_media("a.jpg", jpeg())
    fake.add(feed_record(1, media_urls=[f"{url}/media/a.jpg", f"{url}/media/missing.jpg"]))
    assert isinstance(tmp_path, Path)
    ctx = make_context(sqlite_url, tmp_path, sources=[SourceConfig(name="app", url=url)])
    try:
        counts = run_job(ctx, "collect")
        assert (counts["new"], counts["media_stored"], counts["media_retry_later"]) == (1, 1, 1)
        with ctx.sessions() as session:
            ok, missing = session.scalars(select(Media).order_by(Media.position)).all()
        assert ok.state == "ok" and ctx.media.exists(ok.sha256, ".jpg")
        assert missing.state == "pending" and "HTTP 404" in missing.reject_reason
    finally:
        ctx.close()


def test_a_downloaded_face_photo_is_stored_blurred_and_its_original_kept_private(
    tmp_path: object, feed: tuple[FakeCaseFeed, str], sqlite_url: str
) -> None:
    from pathlib import Path

    from publisher.core.settings import SourceConfig
    from tests.conftest import make_context, shared_path

    face = shared_path("fixtures", "media", "faces", "astronaut.png").read_bytes()
    fake, url = feed
    fake.add_media("face.png", face, "image/png")
    fake.add(feed_record(1, media_urls=[f"{url}/media/face.png"]))
    assert isinstance(tmp_path, Path)
    ctx = make_context(sqlite_url, tmp_path, sources=[SourceConfig(name="app", url=url)])
    try:
        run_job(ctx, "collect")
        with ctx.sessions() as session:
            media = session.scalars(select(Media)).one()
        assert media.state == "ok" and media.face_boxes
        assert media.unblurred_sha256 and media.unblurred_sha256 != media.sha256
        assert ctx.private_media.exists(media.unblurred_sha256, ".jpg")
        assert not ctx.media.exists(media.unblurred_sha256, ".jpg")  # never in the served store
    finally:
        ctx.close()
