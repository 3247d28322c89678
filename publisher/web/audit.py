"""The audit log page: who did what and when, filterable by actor, action and object, newest
first, paged by id (keyset). Reviewers and admins read it; nobody can change it (the table's
triggers refuse UPDATE and DELETE)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.db.models import AuditLog
from publisher.web.deps import Ctx, Pages, ReviewerOrAdmin

PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""


def entries(
    session: Session, filt: AuditFilter, before: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[AuditLog], int | None]:
    """A page of entries, newest first; returns them and the id to continue before."""
    query = select(AuditLog).order_by(AuditLog.id.desc())
    for column, value in (
        (AuditLog.actor, filt.actor),
        (AuditLog.action, filt.action),
        (AuditLog.object_type, filt.object_type),
        (AuditLog.object_id, filt.object_id),
    ):
        if value:
            query = query.where(column == value)
    if before is not None:
        query = query.where(AuditLog.id < before)
    rows = list(session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


router = APIRouter(include_in_schema=False)


@router.get("/audit")
def page(
    ctx: Ctx,
    pages: Pages,
    request: Request,
    user: ReviewerOrAdmin,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    before: int | None = None,
) -> Response:
    filt = AuditFilter(actor, action, object_type, object_id)
    with ctx.readonly_sessions() as session:
        rows, next_before = entries(session, filt, before)
        actions = list(
            session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action))
        )
    return pages.render(
        request,
        "audit/list.html",
        rows=rows,
        filt=filt,
        next_before=next_before,
        actions=actions,
    )
