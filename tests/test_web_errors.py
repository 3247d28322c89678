"""Error answers never echo what was sent: a bad value may be a reporter's phone number."""

from __future__ import annotations

from publisher.runtime.context import AppContext
from tests.web_support import client, make_user, sign_in


def test_a_malformed_api_request_is_refused_without_echoing_its_values(ctx: AppContext) -> None:
    make_user(ctx, "rev", "reviewer")
    web = client(ctx)
    csrf = sign_in(web, "rev")
    answer = web.post(
        "/api/v1/posts/1/reject",
        json={"reason": ["Bu Sri Wahyuni", "0812-3456-7890"], "as_conflict": "3328014108900002"},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 422
    body = answer.text
    for value in ("Wahyuni", "0812", "3328014108900002"):
        assert value not in body
    assert any(err["loc"][-1] == "reason" for err in answer.json()["detail"])
