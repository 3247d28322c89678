"""Run case sources: each batch and its cursor commit together, so a crash mid-run resumes
from the last stored batch and never skips records."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from publisher.clock import utcnow
from publisher.crypto import Vault
from publisher.db.models import SourceState
from publisher.errors import SourceError
from publisher.intake import IntakeCounts, ingest
from publisher.sources.base import CaseSource

log = logging.getLogger(__name__)


def run_source(
    sessions: sessionmaker[Session], vault: Vault, source: CaseSource
) -> tuple[IntakeCounts, str]:
    """Collect everything new from ``source``. Returns the counts and an error ('' if none)."""
    total = IntakeCounts()
    error = ""
    with sessions() as session:
        state = session.get(SourceState, source.name)
        cursor = state.cursor if state else ""
    try:
        for batch in source.fetch(cursor):
            with sessions() as session, session.begin():
                counts = ingest(session, vault, source.name, batch.records)
                state = session.get(SourceState, source.name) or SourceState(name=source.name)
                state.cursor = batch.cursor
                session.add(state)
            total.add(counts)
    except SourceError as exc:
        error = str(exc)
        log.warning("source %s stopped: %s", source.name, error)
    with sessions() as session, session.begin():
        state = session.get(SourceState, source.name) or SourceState(name=source.name)
        state.last_run_at = utcnow()
        state.last_counts = total.as_dict()
        state.last_error = error
        session.add(state)
    return total, error
