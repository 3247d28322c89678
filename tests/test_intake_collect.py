"""The collect job, the published schema, concurrent collectors, and media download faults
for every polled source."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from jobs.pipeline import run_job
from publisher.core.errors import RecordInvalid
from publisher.core.settings import SourceConfig
from publisher.db.models import Case, FollowUp, Media, SourceRun, SourceState
from publisher.fakes.case_feed import FakeCaseFeed
from publisher.fakes.open311 import FakeOpen311
from publisher.fakes.server import ServerThread
from publisher.fakes.sp4n import FakeSp4n, report
from publisher.intake.collect import run_source
from publisher.intake.records import parse_record, schema_errors
from publisher.intake.sources.base import case_record_schema
from publisher.intake.sources.download import Limits, fetch_pending_media
from publisher.intake.sources.json_feed import JsonFeedSource
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.factories import feed_record, person
from tests.intake_support import bad_file_host

ROOT = Path(__file__).resolve().parents[1]


def test_the_published_schema_is_exactly_the_models() -> None:
    published = json.loads((ROOT / "docs" / "case-feed.schema.json").read_text())
    assert published == case_record_schema()


@pytest.mark.parametrize(
    ("change", "model_ok", "schema_ok"),
    [
        ({}, True, True),
        ({"updated_at": 1700000000}, False, False),
        ({"updated_at": "kemarin"}, False, False),
        ({"privacy": "publik"}, False, False),
        ({"reporter": {"nama": "x"}}, False, False),
        ({"tracking_number": 12345}, False, False),
        (
            {"follow_up": {"id": "f", "text": "ok", "submitted_at": "2025-01-01T00:00:00Z"}},
            False,
            False,
        ),
        # JSON Schema's date-time cannot demand an offset-free time be refused; the model does.
        ({"history": [{"status": "resolved", "at": "2025-01-01T00:00:00"}]}, False, False),
    ],
)
def test_the_schema_and_the_model_agree_on_what_is_a_valid_record(
    change: dict[str, Any], model_ok: bool, schema_ok: bool
) -> None:
    record = {**feed_record(1), **change}
    try:
        parse_record(record)
        accepted = True
    except RecordInvalid:
        accepted = False
    assert (accepted, schema_errors(record) == []) == (model_ok, schema_ok)


def session_reason(ctx: AppContext, source: str, external_id: str) -> str | None:
    from publisher.db.models import Quarantine

    with ctx.sessions() as session:
        return session.scalar(
            select(Quarantine.reason).where(
                Quarantine.source == source, Quarantine.external_id == external_id
            )
        )


@pytest.fixture
def feed() -> Iterator[tuple[FakeCaseFeed, str]]:
    fake = FakeCaseFeed()
    with ServerThread(fake.app()) as server:
        yield fake, server.url


def test_each_source_runs_on_its_own_interval_and_every_run_is_recorded(
    tmp_path: Path, sqlite_url: str, feed: tuple[FakeCaseFeed, str]
) -> None:
    fake, url = feed
    fake.add(feed_record(1), {"id": "broken"})
    sources = [
        SourceConfig(name="app", url=url, interval_minutes=10),
        SourceConfig(name="lain", url=url, interval_minutes=60),
    ]
    ctx = make_context(sqlite_url, tmp_path, sources=sources)
    try:
        first = run_job(ctx, "collect")
        # "lain" serves the same case again: its tracking number belongs to app's case.
        assert (first["sources_run"], first["new"], first["quarantined"]) == (2, 1, 3)
        second = run_job(ctx, "collect")
        assert (second["sources_run"], second["sources_not_due"]) == (0, 2)
        with ctx.sessions() as session, session.begin():
            session.execute(
                update(SourceState)
                .where(SourceState.name == "app")
                .values(last_run_at=datetime.now(UTC) - timedelta(minutes=11))
            )
        third = run_job(ctx, "collect")
        assert (third["sources_run"], third["sources_not_due"]) == (1, 1)
        with ctx.sessions() as session:
            runs = session.scalars(select(SourceRun).order_by(SourceRun.id)).all()
        assert [r.source for r in runs] == ["app", "lain", "app"]
        assert runs[0].counts == {
            "fetched": 2,
            "new": 1,
            "updated": 0,
            "unchanged": 0,
            "stale": 0,
            "quarantined": 1,
            "errors": 0,
        }
        assert "tracking_number: already used" in str(session_reason(ctx, "lain", "T-1"))
        assert all(r.finished_at is not None for r in runs)
    finally:
        ctx.close()


def test_sources_status_and_runs_show_the_counts(
    ctx: AppContext, feed: tuple[FakeCaseFeed, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from publisher.cli.main import app
    from publisher.core.settings import get_settings

    fake, url = feed
    fake.add(feed_record(1))
    run_source(ctx.sessions, ctx.vault, JsonFeedSource("app", url, ctx.http))
    monkeypatch.setenv("LAPOR_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("LAPOR_SECRET_KEY", ctx.settings.secret_key)
    get_settings.cache_clear()
    try:
        status = CliRunner().invoke(app, ["sources", "status"])
        runs = CliRunner().invoke(app, ["sources", "runs"])
    finally:
        get_settings.cache_clear()
    assert status.exit_code == 0 and "app" in status.output and '"new": 1' in status.output
    assert runs.exit_code == 0 and "app" in runs.output


def test_two_collectors_at_once_store_each_case_once_on_both_databases(
    any_ctx: AppContext, feed: tuple[FakeCaseFeed, str]
) -> None:
    fake, url = feed
    fake.add(*(feed_record(n, media_urls=[f"{url}/media/{n}.jpg"]) for n in range(1, 151)))
    errors: list[BaseException] = []
    results: list[int] = []

    def collect() -> None:
        try:
            counts, error = run_source(
                any_ctx.sessions, any_ctx.vault, JsonFeedSource("app", url, any_ctx.http)
            )
            assert error == ""
            results.append(counts.new)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=collect) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with any_ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 150
        assert session.scalar(select(func.count()).select_from(FollowUp)) == 150
        assert session.scalar(select(func.count()).select_from(Media)) == 150
    assert sum(results) == 150  # each case was new for exactly one of them


# --- media faults, for every polled source --------------------------------------------------

FAULTS = [
    ("big.jpg", "rejected", "byte cap"),
    ("endless.jpg", "rejected", "byte cap"),
    ("slow.jpg", "pending", "timed out"),
    ("login.jpg", "pending", "text/html page"),
]


def _feed_world(files: str, urls: list[str]) -> tuple[Any, Any]:
    fake = FakeCaseFeed()
    fake.add(feed_record(1, media_urls=urls), feed_record(2))
    return fake, lambda ctx, url: JsonFeedSource("app", url, ctx.http)


def _open311_world(files: str, urls: list[str]) -> tuple[Any, Any]:
    fake = FakeOpen311()
    now = datetime.now(UTC) - timedelta(days=2)
    for n, media in ((1, urls[0]), (2, "")):
        fake.add(
            {
                "service_request_id": str(n),
                "status": "closed",
                "service_code": "1",
                "description": "Jalan rusak.",
                "status_notes": "Sudah diperbaiki.",
                "requested_datetime": now.isoformat(),
                "address": "Jl. Raya, Slawi",
                "media_url": media or None,
            }
        )
    cfg = SourceConfig(
        name="kota", kind="open311", url="x", default_agency="dpupr", history_days=10
    )
    from publisher.intake.sources.open311 import Open311Source

    return fake, lambda ctx, url: Open311Source(cfg.model_copy(update={"url": url}), ctx.http)


def _sp4n_world(files: str, urls: list[str]) -> tuple[Any, Any]:
    fake = FakeSp4n()
    now = datetime.now(UTC)
    fake.add(
        report(
            1,
            reporter=person(1),
            updated=now,
            attachments=[{"url": u, "oleh": "instansi"} for u in urls],
        ),
        report(2, reporter=person(2), updated=now),
    )
    from publisher.intake.sources.sp4n import Sp4nSource

    cfg = SourceConfig(name="sp4n", kind="sp4n", url="x", token=fake.token)
    return fake, lambda ctx, url: Sp4nSource(cfg.model_copy(update={"url": url}), ctx.http)


@pytest.fixture
def files() -> Iterator[str]:
    with ServerThread(bad_file_host()) as server:
        yield server.url


@pytest.mark.parametrize(
    "world", [_feed_world, _open311_world, _sp4n_world], ids=["json_feed", "open311", "sp4n"]
)
@pytest.mark.parametrize(("name", "state", "reason"), FAULTS, ids=[f[0] for f in FAULTS])
def test_a_bad_media_file_never_blocks_the_case_and_says_why(
    ctx: AppContext, files: str, world: Any, name: str, state: str, reason: str
) -> None:
    fake, build = world(files, [f"{files}/{name}"])
    with ServerThread(fake.app()) as server:
        counts, error = run_source(ctx.sessions, ctx.vault, build(ctx, server.url))
    assert (error, counts.new) == ("", 2)  # both cases' text is stored before any download
    limits = Limits(max_bytes=200_000, deadline_s=5.0, read_timeout_s=0.5)
    with ctx.sessions() as session, session.begin():
        fetch_pending_media(session, ctx.http, ctx.media, ctx.private_media, limits=limits)
    with ctx.sessions() as session:
        media = session.scalar(select(Media))
    assert media is not None and media.state == state and reason in media.reject_reason
