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
from publisher.core.settings import Settings
from publisher.db.encrypted import bind_vault
from publisher.db.engine import make_engine, make_sessionmaker
from publisher.media import MediaStore
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
            media=MediaStore(settings.media_dir),
            private_media=MediaStore(settings.private_media_dir),
            worker_id=worker_id,
        )

    def close(self) -> None:
        self.http.close()
        self.engine.dispose()
