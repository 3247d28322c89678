"""Role scoping in the query layer: every route builds its queries from these functions, so a
PIC can only ever read or change its own agency's cases, posts, follow-ups and deliveries, even
if a template or a route forgets. Something outside the scope is reported as absent (404), never
as forbidden, so ids of other agencies' cases do not leak.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from publisher.db.models import Base, Case, Delivery, FollowUp, Post
from publisher.web.auth import NotFound, Viewer

M = TypeVar("M", bound=Base)

# Roles that see every agency; leadership sees figures only, never a case; anyone else sees
# only their own agency.
ALL_AGENCIES = ("reviewer", "admin")
NO_CASES = ("pimpinan",)


def _limit_to_agency(query: Select[Any], viewer: Viewer) -> Select[Any]:
    if viewer.role in ALL_AGENCIES:
        return query
    if viewer.role in NO_CASES or viewer.agency_id is None:
        return query.where(Case.id.is_(None))  # nothing (a PIC without an agency, leadership)
    return query.where(Case.agency_id == viewer.agency_id)


def scoped_cases(viewer: Viewer) -> Select[Any]:
    return _limit_to_agency(select(Case), viewer)


def scoped_follow_ups(viewer: Viewer) -> Select[Any]:
    return _limit_to_agency(select(FollowUp).join(Case, Case.id == FollowUp.case_id), viewer)


def scoped_posts(viewer: Viewer) -> Select[Any]:
    return _limit_to_agency(select(Post).join(Case, Case.id == Post.case_id), viewer)


def scoped_deliveries(viewer: Viewer) -> Select[Any]:
    return _limit_to_agency(
        select(Delivery)
        .join(Post, Post.id == Delivery.post_id)
        .join(Case, Case.id == Post.case_id),
        viewer,
    )


def get_scoped(session: Session, query: Select[Any], model: type[M], object_id: int) -> M:
    """One row by id inside the viewer's scope, or :class:`NotFound`."""
    found = session.scalar(query.where(model.id == object_id))  # type: ignore[attr-defined]
    if not isinstance(found, model):
        raise NotFound(f"{model.__tablename__} {object_id} not found in scope")
    return found
