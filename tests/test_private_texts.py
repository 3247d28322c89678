"""Complaint texts, PICs' notes and reviewers' notes are encrypted at rest (issue #16), on SQLite
and PostgreSQL: what a database file, a dump or a backup holds is a Fernet token; readers get
the text; the migration encrypts existing rows and its downgrade decrypts them; key rotation
re-encrypts them; a restored backup reads back with the same key and with no other."""

from __future__ import annotations

from pathlib import Path

import pytest
from faker import Faker
from sqlalchemy import select, text

from publisher.core.crypto import new_key
from publisher.core.errors import ConfigError, CryptoError
from publisher.db import migrate
from publisher.db.engine import make_engine
from publisher.db.models import Case, Post
from publisher.ops.backup import create_backup, restore_backup
from publisher.ops.keys import rotate_keys
from publisher.runtime.context import AppContext
from tests import ops_fixtures as fx
from tests.conftest import make_settings


def private_texts(seed: int) -> tuple[str, str, str]:
    fake = Faker("id_ID")
    fake.seed_instance(seed)
    name, other = fake.first_name(), fake.name()
    return (
        f"Jalan depan rumah Pak {name} berlubang, hubungi 0812 {seed:04d} 7890.",
        f"Sudah dicek ke rumah Pak {name}, dikonfirmasi oleh istrinya Bu {other}.",
        f"Ditolak: menyebut {name} di keterangan.",
    )


def store(ctx: AppContext, seed: int = 1) -> tuple[int, tuple[str, str, str]]:
    ids = fx.build(ctx)
    complaint, note, reason = private_texts(seed)
    with ctx.sessions() as session, session.begin():
        case = session.get(Case, ids["A1"])
        assert case is not None
        case.complaint_text = complaint
        case.follow_ups[0].action_text = note
        post = session.scalar(select(Post).where(Post.case_id == case.id))
        assert post is not None
        post.review_note = reason
    return ids["A1"], (complaint, note, reason)


def raw(ctx: AppContext, case_id: int) -> tuple[str, str, str]:
    with ctx.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.complaint_text, f.action_text, p.review_note FROM cases c "
                "JOIN follow_ups f ON f.case_id = c.id JOIN posts p ON p.case_id = c.id "
                "WHERE c.id = :id"
            ),
            {"id": case_id},
        ).one()
    return row[0], row[1], row[2]


def read(ctx: AppContext, case_id: int) -> tuple[str, str, str]:
    with ctx.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        post = session.scalar(select(Post).where(Post.case_id == case_id))
        assert post is not None
        return case.complaint_text, case.follow_ups[0].action_text, post.review_note


def test_the_database_holds_tokens_and_readers_get_the_texts(any_ctx: AppContext) -> None:
    case_id, texts = store(any_ctx)
    stored = raw(any_ctx, case_id)
    for plain, token in zip(texts, stored, strict=True):
        assert token.startswith("gAAAA")  # a Fernet token, version byte 0x80
        assert plain not in token
        assert any_ctx.vault.decrypt(token.encode()) == plain
    assert read(any_ctx, case_id) == texts


def test_empty_texts_stay_empty_so_server_defaults_and_blank_notes_need_no_key(
    ctx: AppContext,
) -> None:
    fx.build(ctx)
    with ctx.engine.connect() as conn:
        # fx.build's posts carry no review note: nothing was encrypted for them.
        assert conn.execute(text("SELECT DISTINCT review_note FROM posts")).scalars().all() == [""]


def test_an_engine_without_the_key_refuses_to_read_or_write_them(ctx: AppContext) -> None:
    case_id, _ = store(ctx)
    bare = make_engine(ctx.settings.database_url)
    try:
        with bare.connect() as conn, pytest.raises(ConfigError, match="no key"):
            conn.execute(select(Case.complaint_text).where(Case.id == case_id)).all()
    finally:
        bare.dispose()


def test_the_migration_decrypts_on_downgrade_and_encrypts_existing_rows_on_upgrade(
    any_ctx: AppContext,
) -> None:
    case_id, texts = store(any_ctx, seed=2)
    migrate.downgrade(any_ctx.engine, "0014_audit_truncate")
    assert raw(any_ctx, case_id) == texts
    migrate.upgrade(any_ctx.engine)
    stored = raw(any_ctx, case_id)
    assert all(t.startswith("gAAAA") and p not in t for p, t in zip(texts, stored, strict=True))
    assert read(any_ctx, case_id) == texts


def test_the_migration_without_a_key_stops_with_a_clear_error_and_changes_nothing(
    ctx: AppContext,
) -> None:
    case_id, texts = store(ctx, seed=3)
    migrate.downgrade(ctx.engine, "0014_audit_truncate")
    bare = make_engine(ctx.settings.database_url)
    try:
        with pytest.raises(ConfigError, match="LAPOR_SECRET_KEY") as caught:
            migrate.upgrade(bare)
        assert texts[0] not in str(caught.value)
    finally:
        bare.dispose()
    assert migrate.current_revision(ctx.engine) == "0014_audit_truncate"
    assert raw(ctx, case_id) == texts


def test_key_rotation_reencrypts_the_texts_so_the_old_key_can_be_dropped(
    any_ctx: AppContext, tmp_path: Path
) -> None:
    case_id, texts = store(any_ctx, seed=4)
    old = any_ctx.settings.secret_keys[0]
    before = raw(any_ctx, case_id)
    newest = new_key()
    both = AppContext.from_settings(
        make_settings(any_ctx.settings.database_url, tmp_path, secret_key=f"{newest},{old}")
    )
    try:
        with both.sessions() as session, session.begin():
            assert rotate_keys(session, both.vault) >= 3
    finally:
        both.close()
    after = raw(any_ctx, case_id)
    assert all(a != b for a, b in zip(before, after, strict=True))
    only_new = AppContext.from_settings(
        make_settings(any_ctx.settings.database_url, tmp_path, secret_key=newest)
    )
    try:
        assert read(only_new, case_id) == texts
    finally:
        only_new.close()
    with pytest.raises(CryptoError):
        read(any_ctx, case_id)  # the old key alone no longer opens them


@pytest.mark.parametrize("logical", [False, True], ids=["native", "logical"])
def test_a_backup_holds_only_tokens_and_restores_readable_with_the_same_key(
    ctx: AppContext, tmp_path: Path, logical: bool
) -> None:
    case_id, texts = store(ctx, seed=5)
    settings = ctx.settings
    create_backup(ctx.engine, settings.media_dir, tmp_path / "b", logical=logical)
    everything = b"".join(p.read_bytes() for p in (tmp_path / "b").rglob("*") if p.is_file())
    name = texts[0].split("Pak ")[1].split(",")[0]
    for plain in (*texts, name):
        assert plain.encode() not in everything
    restored = AppContext.from_settings(
        make_settings(
            f"sqlite:///{tmp_path / 'new' / 'lapor.db'}",
            tmp_path / "new",
            secret_key=settings.secret_keys[0],
        )
    )
    try:
        restore_backup(restored.engine, tmp_path / "new" / "media", tmp_path / "b")
        assert read(restored, case_id) == texts
    finally:
        restored.close()
