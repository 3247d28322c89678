"""Backup then restore into an empty folder reproduces the cases, posts and media hashes."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from publisher.db.engine import make_engine
from publisher.db.models import Case, FollowUp, Media, Post
from publisher.ops import BackupError
from publisher.ops.backup import (
    KEYS_FILE,
    PRIVATE,
    create_backup,
    read_manifest,
    restore_backup,
)
from publisher.runtime.context import AppContext
from tests import ops_fixtures as fx
from tests.factories import jpeg, person

ROOT = Path(__file__).resolve().parents[1]


def populate(ctx: AppContext) -> None:
    ids = fx.build(ctx)
    with ctx.sessions() as session, session.begin():
        case = session.get(Case, ids["A1"])
        assert case is not None
        case.reporter = ctx.vault.encrypt_json(person(7))
        follow_up = session.scalar(select(FollowUp).where(FollowUp.case_id == case.id))
        assert follow_up is not None
        for position, colour in enumerate(((200, 10, 10), (10, 200, 10))):
            digest = ctx.media.put(jpeg(colour=colour), ".jpg")
            session.add(
                Media(
                    follow_up_id=follow_up.id,
                    position=position,
                    sha256=digest,
                    mime="image/jpeg",
                    state="ok",
                )
            )
    # The private store: an unblurred master and a reporter's photo (never public).
    ctx.private_media.put(jpeg(colour=(90, 90, 200)), ".jpg")
    ctx.private_media.put(jpeg(colour=(250, 250, 20)), ".jpg")


def snapshot(
    engine_url: str, media_dir: Path, private_dir: Path, ctx: AppContext
) -> dict[str, object]:
    engine = make_engine(engine_url)
    try:
        with engine.connect() as conn:
            cases = conn.execute(
                select(Case.tracking_number, Case.status, Case.reported_at, Case.reporter).order_by(
                    Case.id
                )
            ).all()
            posts = conn.execute(select(Post.case_id, Post.caption).order_by(Post.id)).all()
            media = conn.execute(select(Media.sha256).order_by(Media.id)).scalars().all()
    finally:
        engine.dispose()
    files = {hashlib.sha256(p.read_bytes()).hexdigest() for p in media_dir.rglob("*.jpg")}
    private = {hashlib.sha256(p.read_bytes()).hexdigest() for p in private_dir.rglob("*.jpg")}
    return {
        "private_files": private,
        "cases": [
            (t, s, r, ctx.vault.decrypt_json(rep) if rep else None) for t, s, r, rep in cases
        ],
        "posts": posts,
        "media_rows": media,
        "media_files": files,
    }


@pytest.mark.parametrize("logical", [False, True], ids=["native", "logical"])
def test_a_round_trip_into_an_empty_folder_reproduces_everything(
    any_ctx: AppContext, tmp_path: Path, logical: bool, request: pytest.FixtureRequest
) -> None:
    ctx = any_ctx
    populate(ctx)
    settings = ctx.settings
    before = snapshot(settings.database_url, settings.media_dir, settings.private_media_dir, ctx)
    assert len(before["media_files"]) == 2  # type: ignore[arg-type]
    assert len(before["private_files"]) == 2  # type: ignore[arg-type]
    manifest = create_backup(
        ctx.engine,
        settings.media_dir,
        tmp_path / "backup",
        private_media_dir=settings.private_media_dir,
        logical=logical,
    )
    assert manifest.row_counts["cases"] == len(fx.CASES)

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    if ctx.engine.dialect.name == "sqlite":
        target_url = f"sqlite:///{fresh / 'lapor.db'}"
    else:
        target_url = request.getfixturevalue("second_postgres_url")
    target = make_engine(target_url)
    try:
        restore_backup(
            target, fresh / "media", tmp_path / "backup", private_media_dir=fresh / "private"
        )
    finally:
        target.dispose()
    after = snapshot(target_url, fresh / "media", fresh / "private", ctx)
    assert after == before


@pytest.fixture
def second_postgres_url(postgres_url: str) -> Iterator[str]:
    """Another empty database on the same server (the restore target)."""
    url = make_url(postgres_url)
    name = f"{url.database}_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_restore_refuses_a_database_that_holds_data(ctx: AppContext, tmp_path: Path) -> None:
    populate(ctx)
    create_backup(ctx.engine, ctx.settings.media_dir, tmp_path / "b")
    with pytest.raises(BackupError, match="already holds data"):
        restore_backup(ctx.engine, ctx.settings.media_dir, tmp_path / "b")


def test_a_damaged_media_file_stops_the_restore(ctx: AppContext, tmp_path: Path) -> None:
    populate(ctx)
    manifest = create_backup(ctx.engine, ctx.settings.media_dir, tmp_path / "b")
    victim = tmp_path / "b" / "media" / next(iter(manifest.media))
    victim.write_bytes(b"not the photo")
    target = make_engine(f"sqlite:///{tmp_path / 'new' / 'lapor.db'}")
    with pytest.raises(BackupError, match="missing or damaged"):
        restore_backup(target, tmp_path / "new" / "media", tmp_path / "b")
    target.dispose()


def test_a_backup_never_overwrites_a_folder_in_use(ctx: AppContext, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("x")
    with pytest.raises(BackupError, match="not empty"):
        create_backup(ctx.engine, ctx.settings.media_dir, tmp_path / "b")
    with pytest.raises(BackupError, match="not a lapor backup"):
        read_manifest(tmp_path / "b")


def full_backup(ctx: AppContext, target: Path) -> None:
    settings = ctx.settings
    create_backup(
        ctx.engine, settings.media_dir, target, private_media_dir=settings.private_media_dir
    )


def test_a_backup_keeps_private_media_for_owners_only_and_reminds_of_the_keys(
    ctx: AppContext, tmp_path: Path
) -> None:
    populate(ctx)
    full_backup(ctx, tmp_path / "b")
    assert (tmp_path / "b" / PRIVATE).stat().st_mode & 0o077 == 0
    reminder = (tmp_path / "b" / KEYS_FILE).read_text()
    assert "LAPOR_SECRET_KEY" in reminder
    everything = b"".join(p.read_bytes() for p in (tmp_path / "b").rglob("*") if p.is_file())
    for key in ctx.settings.secret_keys:
        assert key.encode() not in everything


def test_a_backup_with_private_media_is_not_restored_without_a_place_for_it(
    ctx: AppContext, tmp_path: Path
) -> None:
    populate(ctx)
    full_backup(ctx, tmp_path / "b")
    target = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        with pytest.raises(BackupError, match="private media"):
            restore_backup(target, tmp_path / "new" / "media", tmp_path / "b")
    finally:
        target.dispose()


def test_the_retrained_screening_model_is_backed_up_and_restored(
    ctx: AppContext, tmp_path: Path
) -> None:
    """A restored server screens with the model it had learnt, not the committed one until the
    next weekly retrain."""
    model_dir = tmp_path / "model"
    shutil.copytree(ROOT / "classifiers" / "artifacts", model_dir)
    files = sorted(p.relative_to(model_dir) for p in model_dir.rglob("*") if p.is_file())
    assert files
    manifest = create_backup(
        ctx.engine, ctx.settings.media_dir, tmp_path / "b", model_dir=model_dir
    )
    assert sorted(manifest.model) == [f.as_posix() for f in files]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    target = make_engine(f"sqlite:///{fresh / 'lapor.db'}")
    try:
        restore_backup(target, fresh / "media", tmp_path / "b", model_dir=fresh / "model")
    finally:
        target.dispose()
    for rel in files:
        assert (fresh / "model" / rel).read_bytes() == (model_dir / rel).read_bytes()
