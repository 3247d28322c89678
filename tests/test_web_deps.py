"""The web's dependencies and error handlers: a WebError is a LaporError and still gets its own
status (Starlette picks the handler by the class's MRO), any other LaporError is a 409, and the
per-app state a route module keeps is one per app."""

# No ``from __future__ import annotations``: FastAPI must read the probe routes' annotations,
# which name a local alias.
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from publisher.app.factory import create_app
from publisher.core.errors import LaporError, ReviewError
from publisher.runtime.context import AppContext
from publisher.web.auth import NotFound, WebError
from publisher.web.deps import per_app
from tests.web_support import client, make_user, sign_in


def test_every_web_error_is_a_lapor_error() -> None:
    assert issubclass(WebError, LaporError)


def test_a_web_error_keeps_its_own_status_as_json_and_as_a_page(ctx: AppContext) -> None:
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    sign_in(web, "rev")
    api = web.get("/api/v1/posts/999999")
    assert api.status_code == 404
    assert api.json() == {"detail": NotFound.user_message}
    page = web.get("/review/cases/999999")
    assert page.status_code == 404
    assert NotFound.user_message in page.text


def test_an_unauthenticated_page_request_is_still_sent_to_the_login_form(ctx: AppContext) -> None:
    answer = client(ctx).get("/review", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/review"


def test_a_domain_rule_that_refuses_is_a_409_with_its_indonesian_message(ctx: AppContext) -> None:
    app = create_app(ctx, freeze_heap=False)
    refusing = APIRouter()

    @refusing.post("/api/v1/refused")
    def refused() -> None:
        raise ReviewError("post 1 is blocked", "Kiriman diblokir.")

    app.include_router(refusing)
    answer = TestClient(app).post("/api/v1/refused")
    assert answer.status_code == 409
    assert answer.json() == {"detail": "Kiriman diblokir."}


def test_per_app_state_is_built_once_for_each_app(ctx: AppContext) -> None:
    built: list[AppContext] = []

    def build(context: AppContext) -> object:
        built.append(context)
        return object()

    State = Annotated[object, Depends(per_app(build))]
    probe = APIRouter()

    @probe.get("/probe")
    async def probe_route(state: State) -> dict[str, int]:
        return {"id": id(state)}

    first, second = (create_app(ctx, freeze_heap=False) for _ in range(2))
    for app in (first, second):
        app.include_router(probe)
    ids = [TestClient(app).get("/probe").json()["id"] for app in (first, first, second)]
    assert ids[0] == ids[1] != ids[2]
    assert built == [ctx, ctx]


def test_every_stored_state_and_role_has_an_indonesian_label() -> None:
    from publisher.db import models
    from publisher.web.templating import ROLE_LABELS, STATE_LABELS

    states = {
        *models.ACCOUNT_STATUSES,
        *models.CASE_STATUSES,
        *models.MEDIA_STATES,
        *models.SCREENING_DECISIONS,
        *models.REVIEW_STATES,
        *models.DELIVERY_STATES,
        *models.NOTIFICATION_STATES,
    }
    assert sorted(states - set(STATE_LABELS)) == []
    assert sorted(set(models.ROLES) - set(ROLE_LABELS)) == []
