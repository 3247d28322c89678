"""The scheduler lease: one row per lock name, taken and renewed by a conditional UPDATE.

Only the holder of an unexpired lease may tick, so two ``lapor scheduler`` processes on one
database never both run jobs (the second waits and takes over when the first stops renewing).
A conditional UPDATE checked by its row count works the same on SQLite and PostgreSQL and
needs no session-bound advisory lock that a pooled connection could silently drop.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from publisher.core.clock import utcnow
from publisher.db.models import SchedulerLock

SCHEDULER = "scheduler"


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Lease:
    """A named lease held by ``holder`` for ``ttl_s`` seconds after each renewal."""

    sessions: sessionmaker[Session]
    holder: str
    ttl_s: int
    name: str = SCHEDULER

    def acquire(self, now: datetime | None = None) -> bool:
        """Take or renew the lease; True when this holder has it until ``now + ttl``."""
        now = now or utcnow()
        expires = now + timedelta(seconds=self.ttl_s)
        with self.sessions() as session, session.begin():
            result = session.execute(
                update(SchedulerLock)
                .where(
                    SchedulerLock.name == self.name,
                    or_(
                        SchedulerLock.holder == self.holder,
                        SchedulerLock.holder == "",
                        SchedulerLock.expires_at.is_(None),
                        SchedulerLock.expires_at < now,
                    ),
                )
                .values(holder=self.holder, heartbeat_at=now, expires_at=expires)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                row = session.get(SchedulerLock, self.name)
                if row is not None and row.acquired_at is None:
                    row.acquired_at = now
                return True
            if session.get(SchedulerLock, self.name) is not None:
                return False
        return self._create(now, expires)

    def _create(self, now: datetime, expires: datetime) -> bool:
        try:
            with self.sessions() as session, session.begin():
                session.add(
                    SchedulerLock(
                        name=self.name,
                        holder=self.holder,
                        acquired_at=now,
                        heartbeat_at=now,
                        expires_at=expires,
                    )
                )
        except IntegrityError:  # another process created it first: it holds the lease
            return False
        return True

    def release(self) -> None:
        with self.sessions() as session, session.begin():
            session.execute(
                update(SchedulerLock)
                .where(SchedulerLock.name == self.name, SchedulerLock.holder == self.holder)
                .values(holder="", expires_at=None, acquired_at=None)
                .execution_options(synchronize_session=False)
            )


@dataclass(frozen=True)
class LeaseState:
    holder: str
    heartbeat_at: datetime | None
    expires_at: datetime | None

    def alive(self, now: datetime) -> bool:
        return bool(self.holder) and self.expires_at is not None and self.expires_at >= now


def read(session: Session, name: str = SCHEDULER) -> LeaseState | None:
    row = session.scalar(select(SchedulerLock).where(SchedulerLock.name == name))
    if row is None:
        return None
    return LeaseState(row.holder, row.heartbeat_at, row.expires_at)
