"""The application context: every long-lived object built once from settings and passed in.

Jobs, the CLI, the web app and tests receive an :class:`AppContext` rather than reaching for
globals, so a test can build one against its own database and fake servers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from publisher.core.crypto import Vault
from publisher.core.errors import ConfigError
from publisher.core.settings import Settings
from publisher.db.encrypted import bind_vault
from publisher.db.engine import make_engine, make_sessionmaker
from publisher.media import LocalMediaStore, MediaStore
from publisher.runtime.http import make_client


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    readonly_sessions: sessionmaker[Session]
    vault: Vault
    http: httpx.Client
    media: MediaStore
    private_media: MediaStore
    worker_id: str = field(default="worker-1")

    @classmethod
    def from_settings(cls, settings: Settings, *, worker_id: str = "worker-1") -> AppContext:
        engine = make_engine(settings.database_url)
        vault = Vault(settings.secret_keys)
        bind_vault(engine, vault)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            readonly_sessions=make_sessionmaker(engine, readonly=True),
            vault=vault,
            http=make_client(settings.http_timeout_s),
            media=media_store(settings, private=False),
            private_media=media_store(settings, private=True),
            worker_id=worker_id,
        )

    def close(self) -> None:
        self.http.close()
        self.engine.dispose()


def media_store(settings: Settings, *, private: bool) -> MediaStore:
    """The media store the settings choose: the local disk (the default) or an S3-compatible
    bucket. Nothing is contacted here: the first request is made on first use."""
    if settings.media_store == "local":
        return LocalMediaStore(settings.private_media_dir if private else settings.media_dir)
    from publisher.media.s3 import LocalCache, S3Location, S3MediaStore

    if not settings.s3_bucket:
        raise ConfigError("LAPOR_S3_BUCKET is required with LAPOR_MEDIA_STORE=s3")
    bucket = (settings.s3_private_bucket or settings.s3_bucket) if private else settings.s3_bucket
    prefix = settings.s3_private_prefix if private else settings.s3_prefix
    if bucket == settings.s3_bucket and private and _overlap(prefix, settings.s3_prefix):
        # The unblurred originals must never be reachable under the served media's keys.
        raise ConfigError("LAPOR_S3_PRIVATE_PREFIX must not overlap LAPOR_S3_PREFIX")
    cache = settings.media_cache_dir / ("private" if private else "public")
    cache.mkdir(parents=True, exist_ok=True)
    if private:
        cache.chmod(0o700)
    return S3MediaStore(
        S3Location(
            bucket=bucket,
            prefix=prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            part_size=settings.s3_part_size_mb * 1024 * 1024,
            timeout_s=max(settings.http_timeout_s, 30.0),
        ),
        LocalCache(cache, settings.media_cache_mb * 1024 * 1024),
    )


def _overlap(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)
