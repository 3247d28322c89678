"""The deliveries part of the JSON API: ``GET /api/v1/deliveries`` and
``POST /api/v1/deliveries/{id}/retry``, with the rules, scoping and audit of the deliveries page
(it calls the same functions, :mod:`publisher.outbox.routes`).

Errors are ``{"detail": "..."}`` (see :mod:`publisher.web.api`): 400 an unknown state filter,
404 absent or outside the user's agency, 409 a delivery that is not ``failed``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel

from publisher.db.models import Delivery
from publisher.outbox import routes as delivery_actions
from publisher.web.api import Id, json_api_router
from publisher.web.deps import Ctx, ReviewerOrAdmin, ReviewerOrAdminWrite

router = json_api_router()


class DeliveryOut(BaseModel):
    id: int
    post_id: int
    account_id: int
    state: str
    attempts: int
    remote_url: str
    last_error: str
    last_error_class: str
    published_at: datetime | None


def delivery_out(d: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        post_id=d.post_id,
        account_id=d.account_id,
        state=d.state,
        attempts=d.attempts,
        remote_url=d.remote_url,
        last_error=d.last_error,
        last_error_class=d.last_error_class,
        published_at=d.published_at,
    )


@router.get("/deliveries", response_model=list[DeliveryOut], summary="Deliveries in scope")
def deliveries(
    ctx: Ctx,
    user: ReviewerOrAdmin,
    state: Annotated[str, Query(max_length=20)] = "",
) -> list[DeliveryOut]:
    with ctx.readonly_sessions() as session:
        return [delivery_out(d) for d, _a, _c in delivery_actions.listing(session, user, state)]


@router.post(
    "/deliveries/{delivery_id}/retry", response_model=DeliveryOut, summary="Retry a failed one"
)
def retry(ctx: Ctx, delivery_id: Id, user: ReviewerOrAdminWrite) -> DeliveryOut:
    with ctx.sessions() as session, session.begin():
        return delivery_out(delivery_actions.retry(session, user, delivery_id))
