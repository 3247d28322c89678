"""The append-only audit log: every action that changes what may be published writes one row,
in the same transaction as the change. Details hold ids and reasons, never personal data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from publisher.db.models import AuditLog


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: int | str,
    **details: Any,
) -> AuditLog:
    entry = AuditLog(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=details,
    )
    session.add(entry)
    return entry
