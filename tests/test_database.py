"""The schema, its migrations and the data model's invariants, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from publisher.db import audit, migrate
from publisher.db.engine import make_engine
from publisher.db.models import Agency, AuditLog, Base, Case, Kecamatan
from publisher.reference import load_reference, seed
from publisher.runtime.context import AppContext
from tests.factories import feed_record, person


def test_migrations_build_exactly_the_schema_the_models_declare(any_ctx: AppContext) -> None:
    with any_ctx.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert migrate.current_revision(any_ctx.engine) == migrate.head_revision()


def test_migration_0014_refuses_truncate_after_upgrade_and_allows_it_after_downgrade(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "0013_attempts")
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
    engine.dispose()


def test_migrations_go_down_to_nothing_and_up_again(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    with engine.connect() as conn:
        assert migrate.current_revision(engine) is None
        assert not engine.dialect.has_table(conn, "cases")
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_seeding_loads_the_18_kecamatan_and_the_agencies_once(any_ctx: AppContext) -> None:
    with any_ctx.sessions() as session, session.begin():
        again = seed(session)  # the fixture already seeded once
    assert (again.kecamatan_added, again.agencies_added, again.agencies_updated) == (0, 0, 0)
    with any_ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Kecamatan)) == 18
        names = set(session.scalars(select(Agency.name)))
    for expected in (
        "Dinas Sosial",
        "Dinas Perumahan dan Permukiman",
        "Satuan Polisi Pamong Praja",
        "Dinas Pendidikan dan Kebudayaan",
        "Dinas Kesehatan",
        "Dinas Lingkungan Hidup",
        "Perumda Air Minum Tirta Ayu",
        "Kantor Pertanahan (ATR/BPN) Kabupaten Tegal",
        "Dinas Pekerjaan Umum dan Penataan Ruang",
        "Kecamatan Slawi",
        "Kecamatan Dukuhwaru",
    ):
        assert expected in names
    assert len(names) == len(load_reference().agencies)


def test_the_audit_log_refuses_updates_deletes_and_truncate(any_ctx: AppContext) -> None:
    with any_ctx.sessions() as session, session.begin():
        entry = audit.record(session, actor="test", action="x", object_type="case", object_id=1)
    with pytest.raises(DBAPIError), any_ctx.sessions() as session, session.begin():
        session.execute(text("UPDATE audit_log SET actor = 'forged'"))
    with pytest.raises(DBAPIError), any_ctx.sessions() as session, session.begin():
        session.execute(text("DELETE FROM audit_log"))
    if any_ctx.engine.dialect.name == "postgresql":  # SQLite has no TRUNCATE statement
        with pytest.raises(DBAPIError, match="append-only"), any_ctx.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
    with any_ctx.sessions() as session:
        assert session.get(AuditLog, entry.id) is not None


def test_a_case_is_unique_per_source_and_external_id(any_ctx: AppContext) -> None:
    with any_ctx.sessions() as session, session.begin():
        session.add(Case(source="app", external_id="A1", tracking_number="LPR-1"))
    with pytest.raises(IntegrityError), any_ctx.sessions() as session, session.begin():
        session.add(Case(source="app", external_id="A1", tracking_number="LPR-2"))


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(ctx: AppContext) -> None:
    with ctx.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_reporter_fields_are_unreadable_in_the_database_file_without_the_key(
    ctx: AppContext, tmp_path: Path
) -> None:
    from publisher.intake.records import ingest

    reporter = person(4242)
    with ctx.sessions() as session, session.begin():
        counts = ingest(session, ctx.vault, "app", [feed_record(1, reporter=reporter)])
    assert counts.new == 1
    ctx.engine.dispose()  # checkpoint the WAL into the main file
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("test.db*"))
    for value in (reporter["name"], reporter["phone"], reporter["nik"], reporter["address"]):
        assert value.encode() not in raw
    assert reporter["name"].split()[-1].encode() not in raw
    with ctx.sessions() as session:
        case = session.scalar(select(Case))
        assert case is not None and case.reporter is not None
        assert ctx.vault.decrypt_json(case.reporter) == {**reporter, "notify_opt_out": False}


def test_migration_0013_moves_every_attempt_into_one_table_and_back(any_ctx: AppContext) -> None:
    from publisher.db.models import Attempt, Delivery, ReporterNotification
    from publisher.outbox import deliveries as outbox
    from tests.flow import add_account
    from tests.publishing_env import approved_posts

    add_account(any_ctx, "folder", "dpupr")
    approved_posts(any_ctx, 1)
    delivery_id = outbox.claim(any_ctx)
    assert delivery_id is not None  # its attempt row is "started"
    with any_ctx.sessions() as session, session.begin():
        case_id = session.get(Delivery, delivery_id).post.case_id  # type: ignore[union-attr]
        notification = ReporterNotification(case_id=case_id, kind="published", state="failed")
        session.add(notification)
        session.flush()
        rows = [
            ("delivery", delivery_id, "wait", "rate_limited"),
            ("delivery", delivery_id, "unknown", "lease_expired"),
            ("delivery", delivery_id, "published", ""),
            ("notification", notification.id, "permanent", "invalid"),
            ("notification", notification.id, "sent", ""),
        ]
        for kind, subject_id, outcome, reason in [*rows, ("digest", 1, "sent", "")]:
            session.add(
                Attempt(
                    kind=kind, subject_id=subject_id, worker="w", outcome=outcome, reason=reason
                )
            )

    migrate.downgrade(any_ctx.engine, "0012_whatsapp_reply_claim")
    with any_ctx.engine.connect() as conn:
        old_deliveries = conn.execute(text("SELECT outcome FROM delivery_attempts ORDER BY id"))
        old_notifications = conn.execute(
            text("SELECT outcome FROM notification_attempts ORDER BY id")
        )
        assert [r[0] for r in old_deliveries] == [
            "started",
            "rate_limited",
            "lease_expired",
            "published",
        ]
        assert [r[0] for r in old_notifications] == ["failed", "sent"]

    migrate.upgrade(any_ctx.engine)
    with any_ctx.sessions() as session, session.begin():
        moved = session.execute(
            select(Attempt.kind, Attempt.subject_id, Attempt.outcome, Attempt.reason).order_by(
                Attempt.kind.desc(), Attempt.id
            )
        ).all()
        # The digest's attempt had no table before 0013; the rest come back as they were.
        assert [tuple(r) for r in moved] == [
            ("notification", notification.id, "permanent", "invalid"),
            ("notification", notification.id, "sent", ""),
            ("delivery", delivery_id, "started", ""),
            *rows[:3],
        ]
        session.add(Attempt(kind="delivery", subject_id=delivery_id, worker="w"))
