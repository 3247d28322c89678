"""The signed push endpoint POST /api/v1/cases, over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from publisher.app.factory import create_app
from publisher.db.models import Case, Quarantine
from publisher.fakes.server import ServerThread
from publisher.intake.routes import sign_push
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.factories import feed_record, person
from tests.flow import add_account
from tests.intake_support import case_by_tracking, draft, plaintext_everywhere

SECRET = "push-secret-for-tests"


@pytest.fixture
def app_ctx(sqlite_url: str, tmp_path: Path) -> Iterator[AppContext]:
    ctx = make_context(sqlite_url, tmp_path, push_secret=f"new-key,{SECRET}")
    yield ctx
    ctx.close()


@pytest.fixture
def server(app_ctx: AppContext) -> Iterator[str]:
    with ServerThread(create_app(app_ctx)) as running:
        yield running.url


def push(
    url: str,
    records: Any,
    *,
    secret: str = SECRET,
    at: int | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    raw = body if body is not None else json.dumps({"records": records}).encode()
    stamp = int(time.time()) if at is None else at
    sent = {
        "Content-Type": "application/json",
        "X-Lapor-Timestamp": str(stamp),
        "X-Lapor-Signature": sign_push(secret, stamp, raw),
    }
    sent.update(headers or {})
    return httpx.post(f"{url}/api/v1/cases", content=raw, headers=sent)


def cases(ctx: AppContext) -> int:
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def test_a_signed_push_is_accepted_with_each_records_outcome(
    app_ctx: AppContext, server: str
) -> None:
    response = push(server, [feed_record(1), feed_record(2)])
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["quarantined"]) == (2, 0)
    assert [r["outcome"] for r in body["records"]] == ["new", "new"]
    assert cases(app_ctx) == 2


def test_pushing_the_same_records_again_stores_each_case_once(
    app_ctx: AppContext, server: str
) -> None:
    records = [feed_record(1), feed_record(2)]
    push(server, records)
    again = push(server, records, at=int(time.time()) + 1)  # a new request, same content
    assert again.status_code == 202
    assert [r["outcome"] for r in again.json()["records"]] == ["unchanged", "unchanged"]
    assert cases(app_ctx) == 2


def test_bad_records_are_quarantined_and_the_rest_of_the_push_is_stored(
    app_ctx: AppContext, server: str
) -> None:
    response = push(
        server,
        [
            feed_record(1),
            feed_record(2, kecamatan="Atlantis"),
            {"id": 5},
            feed_record(3, updated_at=1700000000),
            feed_record(4),
        ],
    )
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["quarantined"]) == (2, 3)
    reasons = [r["reason"] for r in body["records"] if r["outcome"] == "quarantined"]
    assert "not a kecamatan of Kabupaten Tegal" in reasons[0]
    assert "Field required" in reasons[1]
    assert "updated_at" in reasons[2]
    assert cases(app_ctx) == 2


def test_an_older_version_arriving_late_does_not_overwrite_the_newer_one(
    app_ctx: AppContext, server: str
) -> None:
    old = feed_record(1, desa="Procot")
    new = feed_record(1, desa="Kagok")
    new["updated_at"] = "2099-01-01T00:00:00+00:00"
    push(server, [new])
    response = push(server, [old])
    assert response.json()["records"][0]["outcome"] == "stale"
    assert case_by_tracking(app_ctx, "LPR-2025-00001").desa == "Kagok"


@pytest.mark.parametrize(
    ("kwargs", "status", "detail"),
    [
        ({"secret": "someone-else"}, 401, "bad signature"),
        ({"headers": {"X-Lapor-Signature": ""}}, 401, "missing"),
        ({"headers": {"X-Lapor-Timestamp": "yesterday"}}, 401, "Unix seconds"),
        ({"at": int(time.time()) - 301}, 401, "5-minute window"),
        ({"at": int(time.time()) + 3600}, 401, "5-minute window"),
        ({"body": b"{not json"}, 400, "not valid JSON"),
        ({"body": b'[{"id": "x"}]'}, 400, "records"),
        ({"body": json.dumps({"records": [{}] * 501}).encode()}, 413, "more than 500"),
    ],
)
def test_a_bad_push_is_refused_with_a_clear_4xx(
    app_ctx: AppContext, server: str, kwargs: dict[str, Any], status: int, detail: str
) -> None:
    response = push(server, [feed_record(1)], **kwargs)
    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert cases(app_ctx) == 0


def test_a_replayed_push_is_refused(app_ctx: AppContext, server: str) -> None:
    raw = json.dumps({"records": [feed_record(1)]}).encode()
    stamp = int(time.time())
    first = push(server, None, body=raw, at=stamp)
    replay = push(server, None, body=raw, at=stamp)
    assert (first.status_code, replay.status_code) == (202, 409)


def test_without_a_push_secret_the_endpoint_is_closed(ctx: AppContext) -> None:
    with ServerThread(create_app(ctx)) as running:
        response = push(running.url, [feed_record(1)])
    assert response.status_code == 503


def test_the_openapi_document_describes_the_push_and_its_schema_validates_a_record(
    server: str,
) -> None:
    document = httpx.get(f"{server}/openapi.json").json()
    operation = document["paths"]["/api/v1/cases"]["post"]
    assert "202" in operation["responses"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    # The record's parts are components (ReDoc follows no embedded $defs): validate with them.
    assert "$defs" not in json.dumps(document)
    assert {"FollowUpIn", "MediaIn", "ReporterIn", "StatusEvent"} <= set(
        document["components"]["schemas"]
    )
    validator = Draft202012Validator({**schema, "components": document["components"]})
    assert list(validator.iter_errors({"records": [feed_record(1)]})) == []
    assert list(validator.iter_errors({"records": [{"id": "x"}]}))
    names = {p["name"] for p in operation["parameters"]}
    assert {"X-Lapor-Timestamp", "X-Lapor-Signature"} <= names


def test_pushed_rahasia_never_reaches_a_post_and_anonim_never_names_the_reporter(
    app_ctx: AppContext, server: str
) -> None:
    who = person(5)
    add_account(app_ctx, "folder", "dpupr-folder")
    anonim = feed_record(
        1,
        privacy="anonim",
        reporter=who,
        complaint=f"Saya {who['name']}, HP {who['phone']}, jalan rusak.",
    )
    push(server, [anonim, feed_record(2, privacy="rahasia")])
    posts = draft(app_ctx)
    assert len(posts) == 1 and posts[0].case_id == case_by_tracking(app_ctx, "LPR-2025-00001").id
    stored = plaintext_everywhere(app_ctx)
    for value in who.values():
        assert value not in stored and value not in posts[0].caption
    with app_ctx.sessions() as session:
        assert session.scalar(select(Quarantine.id)) is None
