"""New cases of a batch go in with one multi-row INSERT per table (issue 23), and whatever that
cannot insert still gets the per-record outcome it had before: a tracking number another case
owns is quarantined with its reason, an id twice in a batch is new then updated.

Asserted on the statements sent to the database (SQLAlchemy's ``before_cursor_execute``
event), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select, update

from publisher.db.models import Case, FollowUp, Media
from publisher.intake.records import ingest_report
from publisher.runtime.context import AppContext
from tests.factories import feed_record


def test_a_batch_of_new_cases_is_stored_with_one_insert_per_table(any_ctx: AppContext) -> None:
    urls = ["https://app.example/m/1.jpg", "https://app.example/m/2.jpg"]
    batch = [feed_record(n, media_urls=urls) for n in range(1, 41)]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split("(")[0].strip().upper())

    event.listen(any_ctx.engine, "before_cursor_execute", seen)
    try:
        with any_ctx.sessions() as session, session.begin():
            result = ingest_report(session, any_ctx.vault, "app", batch)
    finally:
        event.remove(any_ctx.engine, "before_cursor_execute", seen)
    assert result.counts.new == 40
    assert [r.outcome for r in result.records] == ["new"] * 40
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert inserts == ["INSERT INTO CASES", "INSERT INTO FOLLOW_UPS", "INSERT INTO MEDIA"]
    with any_ctx.readonly_sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 40
        assert session.scalar(select(func.count()).select_from(FollowUp)) == 40
        media = session.execute(select(Media.position, Media.source_url, Media.state)).all()
        assert sorted(media)[:2] == [(0, urls[0], "pending"), (0, urls[0], "pending")]
        assert len(media) == 80


def test_what_the_bulk_insert_cannot_take_keeps_its_per_record_outcome(
    any_ctx: AppContext,
) -> None:
    with any_ctx.sessions() as session, session.begin():
        ingest_report(session, any_ctx.vault, "app", [feed_record(1)])
    taken = feed_record(2, tracking_number="LPR-2025-00001")  # case 1's tracking number
    twice_old = feed_record(3)
    twice_new = feed_record(3, category="drainase", updated_at="2099-01-01T00:00:00+00:00")
    with any_ctx.sessions() as session, session.begin():
        result = ingest_report(
            session, any_ctx.vault, "app", [feed_record(4), taken, twice_old, twice_new]
        )
    assert [(r.external_id, r.outcome, r.reason) for r in result.records] == [
        ("T-4", "new", ""),
        ("T-2", "quarantined", "tracking_number: already used by another case"),
        ("T-3", "new", ""),
        ("T-3", "updated", ""),
    ]
    with any_ctx.readonly_sessions() as session:
        assert session.scalar(select(Case.category).where(Case.external_id == "T-3")) == "drainase"


def _statements(ctx: AppContext) -> tuple[list[str], Any]:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split("(")[0].strip().upper())

    return statements, seen


def test_a_batch_of_changed_cases_is_updated_with_one_upsert_per_table(
    any_ctx: AppContext,
) -> None:
    old = ["https://app.example/m/a.jpg", "https://app.example/m/b.jpg"]
    with any_ctx.sessions() as session, session.begin():
        ingest_report(
            session, any_ctx.vault, "app", [feed_record(n, media_urls=old) for n in range(1, 31)]
        )
        # Every photo was downloaded meanwhile: a re-feed must not fetch an unchanged one again.
        session.execute(update(Media).values(state="ok", sha256="f" * 64, attempts=1))
        received = {
            ext: at for ext, at in session.execute(select(Case.external_id, Case.reported_at))
        }
    changed = []
    for n in range(1, 31):
        urls = old if n % 2 else [old[0], f"https://app.example/m/new-{n}.jpg"]
        record = feed_record(
            n, media_urls=urls, category="drainase", updated_at="2099-01-01T00:00:00+00:00"
        )
        record["history"] = [h for h in record["history"] if h["status"] != "received"]
        changed.append(record)
    statements, seen = _statements(any_ctx)
    event.listen(any_ctx.engine, "before_cursor_execute", seen)
    try:
        with any_ctx.sessions() as session, session.begin():
            result = ingest_report(session, any_ctx.vault, "app", changed)
    finally:
        event.remove(any_ctx.engine, "before_cursor_execute", seen)
    assert [r.outcome for r in result.records] == ["updated"] * 30
    writes = [s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == ["INSERT INTO CASES", "INSERT INTO FOLLOW_UPS", "INSERT INTO MEDIA"]
    with any_ctx.readonly_sessions() as session:
        cases = session.execute(select(Case.external_id, Case.category, Case.reported_at)).all()
        assert {category for _e, category, _r in cases} == {"drainase"}
        # A status time the record no longer gives keeps the stored one.
        assert all(at == received[ext] and at is not None for ext, _c, at in cases)
        assert session.scalar(select(func.count()).select_from(FollowUp)) == 30
        media = session.execute(
            select(Case.external_id, Media.position, Media.source_url, Media.state)
            .join(FollowUp, FollowUp.case_id == Case.id)
            .join(Media, Media.follow_up_id == FollowUp.id)
        ).all()
    assert len(media) == 60
    for ext, position, url, state in media:
        n = int(ext.split("-")[1])
        replaced = position == 1 and n % 2 == 0
        assert url == (f"https://app.example/m/new-{n}.jpg" if replaced else old[position])
        assert state == ("pending" if replaced else "ok")


def test_an_older_version_of_a_stored_case_is_stale_and_changes_nothing_in_bulk(
    any_ctx: AppContext,
) -> None:
    newer = [
        feed_record(n, category="drainase", updated_at="2099-01-01T00:00:00+00:00") for n in (1, 2)
    ]
    with any_ctx.sessions() as session, session.begin():
        ingest_report(session, any_ctx.vault, "app", newer)
    with any_ctx.sessions() as session, session.begin():
        result = ingest_report(
            session, any_ctx.vault, "app", [feed_record(1), feed_record(2), feed_record(3)]
        )
    assert [(r.external_id, r.outcome) for r in result.records] == [
        ("T-1", "stale"),
        ("T-2", "stale"),
        ("T-3", "new"),
    ]
    with any_ctx.readonly_sessions() as session:
        categories = dict(session.execute(select(Case.external_id, Case.category)).all())
    assert categories == {"T-1": "drainase", "T-2": "drainase", "T-3": "jalan"}
