"""``lapor backup`` and ``lapor restore``: the database and the media store, as one folder.

A backup folder holds ``manifest.json`` (format, database kind, schema revision, row counts,
media hashes) and one of:

* ``database.sqlite``: SQLite's online backup API, a consistent copy while the app runs;
* ``database.pgdump``: ``pg_dump --format=custom`` when it is installed (PostgreSQL);
* ``database.json``: a logical dump through SQLAlchemy, every table in dependency order
  (PostgreSQL without ``pg_dump``, or ``--logical`` anywhere; it also moves data between
  SQLite and PostgreSQL).

plus ``media/``, a copy of the content-addressed store, and ``private-media/``, a copy of the
private store (``LAPOR_PRIVATE_MEDIA_DIR``: the unblurred masters and the reporters' photos,
without which a restored system cannot re-render or re-blur anything; the folder is made
readable by its owner only). Restore refuses a database that already holds data, checks every
file of both stores against its hash, and for the logical format migrates the empty database to
the backup's revision before loading rows.

The backup holds no keys, on purpose (whoever has the backup would have the reporters' data):
encrypted columns stay encrypted and restoring needs the same ``LAPOR_SECRET_KEY``, every key of
its rotation list. :data:`KEYS_REMINDER` is written next to the manifest and printed by the
commands.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Integer, Table, Text, column, func, inspect, select, text
from sqlalchemy import table as table_clause
from sqlalchemy.engine import make_url
from sqlalchemy.sql.expression import TableClause

from publisher.core.clock import utcnow
from publisher.db import migrate
from publisher.db.encrypted import EncryptedText
from publisher.db.models import Base
from publisher.ops import BackupError

log = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
PRIVATE = "private-media"
MODEL = "model"
KEYS_FILE = "KEYS-README.txt"
KEYS_REMINDER = (
    "This backup holds no keys. Restoring it needs the same LAPOR_SECRET_KEY (every key of its "
    "comma-separated rotation list): the reporters' data, PIC phone numbers and platform tokens "
    "are encrypted or hashed with it. Keep the keys apart from the backup, e.g. in the password "
    "manager of the service's owner. The backup holds reporters' photos and unblurred masters: "
    "store it where only administrators can read it."
)


@dataclass
class Manifest:
    format: int
    created_at: str
    database: str  # sqlite / pg_dump / json
    revision: str | None
    row_counts: dict[str, int] = field(default_factory=dict)
    media: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    # The private store; absent in backups written before it was included.
    private_media: dict[str, str] = field(default_factory=dict)
    # The retrained screening model (LAPOR_MODEL_DIR); absent in older backups. Without it a
    # restored server would screen with the committed model until the next weekly retrain.
    model: dict[str, str] = field(default_factory=dict)


def _row_counts(engine: Engine) -> dict[str, int]:
    names = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in Base.metadata.sorted_tables
            if t.name in names
        }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_media(source: Path, target: Path) -> dict[str, str]:
    hashes: dict[str, str] = {}
    if not source.is_dir():
        return hashes
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.startswith(".tmp-"):
            continue
        rel = path.relative_to(source)
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
        hashes[rel.as_posix()] = _sha256(dest)
    return hashes


def create_backup(
    engine: Engine,
    media_dir: Path,
    target: Path,
    *,
    private_media_dir: Path | None = None,
    model_dir: Path | None = None,
    logical: bool = False,
) -> Manifest:
    """Write a backup of the database behind ``engine``, ``media_dir`` and
    ``private_media_dir`` into ``target``."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"backup folder {target} is not empty; choose a new one")
    target.mkdir(parents=True, exist_ok=True)
    kind = engine.dialect.name
    if logical:
        _dump_json(engine, target / "database.json")
        method = "json"
    elif kind == "sqlite":
        _sqlite_backup(engine, target / "database.sqlite")
        method = "sqlite"
    elif shutil.which("pg_dump") and _pg_dump(engine, target / "database.pgdump"):
        method = "pg_dump"
    else:
        _dump_json(engine, target / "database.json")
        method = "json"
    manifest = Manifest(
        format=FORMAT,
        created_at=utcnow().isoformat(),
        database=method,
        revision=migrate.current_revision(engine),
        row_counts=_row_counts(engine),
        media=_copy_media(media_dir, target / "media"),
    )
    if private_media_dir is not None:
        (target / PRIVATE).mkdir(mode=0o700)
        manifest.private_media = _copy_media(private_media_dir, target / PRIVATE)
    if model_dir is not None:
        manifest.model = _copy_media(model_dir, target / MODEL)
    (target / KEYS_FILE).write_text(KEYS_REMINDER + "\n")
    (target / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1, sort_keys=True))
    log.info(
        "backup written to %s (%s, %d media files, %d private)",
        target,
        method,
        len(manifest.media),
        len(manifest.private_media),
    )
    return manifest


def _sqlite_backup(engine: Engine, dest: Path) -> None:
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        out = sqlite3.connect(dest)
        try:
            source.backup(out)
        finally:
            out.close()
    finally:
        raw.close()


def _pg_args(engine: Engine) -> tuple[list[str], dict[str, str]]:
    url = engine.url
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    env = {"PGPASSWORD": url.password} if url.password else {}
    return args, env


def _pg_dump(engine: Engine, dest: Path) -> bool:
    import os

    args, env = _pg_args(engine)
    result = subprocess.run(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--file",
            str(dest),
            *args,
            "--dbname",
            str(engine.url.database),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=3600,
    )
    if result.returncode != 0:
        # A client older than the server refuses to dump: the logical dump still works.
        log.warning("pg_dump failed (%s); using the logical dump", result.stderr.strip()[:200])
        dest.unlink(missing_ok=True)
        return False
    return True


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        if "$b64" in value:
            return base64.b64decode(value["$b64"])
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
    return value


def _as_stored(table: Table) -> TableClause:
    """``table`` with its encrypted texts typed as plain TEXT: a logical dump copies the tokens
    as they are stored (never the decrypted texts), and a restore writes them back unchanged."""
    return table_clause(
        table.name,
        *(
            column(c.name, Text() if isinstance(c.type, EncryptedText) else c.type)
            for c in table.columns
        ),
    )


def _dump_json(engine: Engine, dest: Path) -> None:
    names = set(inspect(engine).get_table_names())
    with dest.open("w", encoding="utf-8") as out, engine.connect() as conn:
        out.write("{")
        for i, table in enumerate(t for t in Base.metadata.sorted_tables if t.name in names):
            key = table.primary_key.columns.values()
            stored = _as_stored(table)
            rows = conn.execute(select(stored).order_by(*(stored.c[k.name] for k in key)))
            out.write(("," if i else "") + json.dumps(table.name) + ":[")
            for j, row in enumerate(rows.mappings()):
                out.write(("," if j else "") + json.dumps({k: _encode(v) for k, v in row.items()}))
            out.write("]")
        out.write("}")


def read_manifest(source: Path) -> Manifest:
    try:
        return Manifest(**json.loads((source / MANIFEST).read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(f"{source} is not a lapor backup ({type(exc).__name__})") from None


def _database_is_empty(engine: Engine) -> bool:
    names = set(inspect(engine).get_table_names())
    if not names:
        return True
    with engine.connect() as conn:
        for table in ("cases", "agencies", "posts"):
            if table in names and conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first():
                return False
    return True


def restore_backup(
    engine: Engine,
    media_dir: Path,
    source: Path,
    *,
    private_media_dir: Path | None = None,
    model_dir: Path | None = None,
) -> Manifest:
    """Restore ``source`` into the (empty) database behind ``engine``, ``media_dir`` and
    ``private_media_dir`` (required when the backup holds private media)."""
    manifest = read_manifest(source)
    if manifest.format != FORMAT:
        raise BackupError(f"backup format {manifest.format} is not supported (need {FORMAT})")
    if not _database_is_empty(engine):
        raise BackupError("the target database already holds data; restore into an empty one")
    _check_media(source / "media", manifest.media)
    _check_media(source / PRIVATE, manifest.private_media)
    _check_media(source / MODEL, manifest.model)
    if manifest.private_media and private_media_dir is None:
        raise BackupError("the backup holds private media; name the private media folder")
    if manifest.database == "sqlite":
        if engine.dialect.name != "sqlite":
            raise BackupError("a SQLite backup restores into SQLite; use --logical backups to move")
        _sqlite_restore(engine, source / "database.sqlite")
    elif manifest.database == "pg_dump":
        _pg_restore(engine, source / "database.pgdump")
    else:
        migrate.upgrade(engine, manifest.revision or "head")
        _load_json(engine, source / "database.json")
    _put_media(source / "media", manifest.media, media_dir)
    if private_media_dir is not None:
        _put_media(source / PRIVATE, manifest.private_media, private_media_dir)
    if model_dir is not None and manifest.model:
        _put_media(source / MODEL, manifest.model, model_dir)
    restored = _row_counts(engine)
    missing = {t: n for t, n in manifest.row_counts.items() if restored.get(t) != n}
    if missing:
        raise BackupError(f"restored row counts differ from the backup: {sorted(missing)}")
    log.info(
        "restored %s (%d media files, %d private)",
        source,
        len(manifest.media),
        len(manifest.private_media),
    )
    return manifest


def _put_media(folder: Path, files: dict[str, str], store: Path) -> None:
    store.mkdir(parents=True, exist_ok=True)
    for rel in files:
        dest = store / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / rel, dest)


def _check_media(folder: Path, files: dict[str, str]) -> None:
    for rel, digest in files.items():
        path = folder / rel
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"media file {rel} in the backup is missing or damaged")


def _sqlite_restore(engine: Engine, backup_file: Path) -> None:
    engine.dispose()
    database = make_url(str(engine.url)).database
    if not database:
        raise BackupError("the SQLite URL names no file")
    source = sqlite3.connect(backup_file)
    try:
        target = sqlite3.connect(database)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def _pg_restore(engine: Engine, dump: Path) -> None:
    import os

    args, env = _pg_args(engine)
    result = subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            *args,
            "--dbname",
            str(engine.url.database),
            str(dump),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=3600,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()[:300]}")


def _load_json(engine: Engine, dump: Path) -> None:
    data: dict[str, list[dict[str, Any]]] = json.loads(dump.read_text(encoding="utf-8"))
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            rows = data.get(table.name)
            if not rows:
                continue
            decoded = [
                {k: _decode(v) for k, v in row.items() if k in table.columns} for row in rows
            ]
            conn.execute(_as_stored(table).insert(), decoded)
        if engine.dialect.name == "postgresql":
            for table in Base.metadata.sorted_tables:
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, Integer):
                    name, col = table.name, pk[0].name
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', '{col}'), "
                            f"COALESCE((SELECT MAX({col}) FROM {name}), 0) + 1, false)"
                        )
                    )
