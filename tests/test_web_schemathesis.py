"""schemathesis against the app's own OpenAPI document: generated requests to every JSON API
operation, signed in as a reviewer with the CSRF header, must never get a 5xx and every
response must match the documented status codes, content types and schemas."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from publisher.app.factory import create_app
from publisher.runtime.context import AppContext
from publisher.web.auth import SESSION_COOKIE
from tests.factories import feed_record
from tests.flow import add_account, feed_and_draft
from tests.web_support import client, make_user, sign_in

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.slow
def test_the_json_api_never_fails_and_always_matches_its_openapi_document(
    ctx: AppContext,
) -> None:
    # Every endpoint configured, as in production: unconfigured ones answer 503 by design.
    ctx.settings.push_secret = "schemathesis-push-secret-0123456789"
    ctx.settings.whatsapp_app_secret = "schemathesis-app-secret"
    ctx.settings.whatsapp_verify_token = "schemathesis-verify"
    make_user(ctx, "rev", "reviewer")
    add_account(ctx, "folder", "dpupr")
    add_account(ctx, "telegram", "@dpupr_tegal", {"bot_token": "1:x", "chat_id": "@dpupr_tegal"})
    feed_and_draft(ctx, *[feed_record(i) for i in range(1, 6)])
    web = client(ctx)
    csrf = sign_in(web, "rev")
    headers = {
        "Cookie": f"{SESSION_COOKIE}={web.cookies[SESSION_COOKIE]}",
        "X-CSRF-Token": csrf,
    }
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(ctx))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:

        @settings(
            max_examples=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def exercise(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()

    # Generated ids mostly miss; walk the documented operations once more with real ones, so
    # the 2xx and 409 bodies are validated too (approve, edit, reject in that order).
    known = {"post_id": 1, "delivery_id": 1}
    bodies: dict[str, object] = {
        "POST /api/v1/posts/{post_id}/approve": {"manual_screening_note": "Disaring manual."},
        "POST /api/v1/posts/{post_id}/edit": {"caption": "Diperbarui #LaporBupatiTegal"},
        "POST /api/v1/posts/{post_id}/reject": {"reason": "Foto kurang jelas."},
    }
    for operation in operations:
        params = {k: v for k, v in known.items() if "{" + k + "}" in operation.path}
        body = bodies.get(operation.label)
        for _ in range(2):  # the second call meets the state the first one left
            case = (
                operation.Case(path_parameters=params, body=body, media_type="application/json")
                if body is not None
                else operation.Case(path_parameters=params)
            )
            case.call_and_validate(headers=headers, checks=CHECKS)
