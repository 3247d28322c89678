"""A bounded fuzz of what strangers can send: the signed push endpoint (hypothesis, and
schemathesis from its OpenAPI document with a hook that signs each generated body), the
WhatsApp webhook (signed, any JSON where Meta's notification has its fields) and Open311
answers. Over real HTTP; no answer may be a 5xx and no Open311 run may stay unfinished."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from publisher.app.factory import create_app
from publisher.core.settings import SourceConfig
from publisher.db.models import SourceRun
from publisher.fakes.open311 import FakeOpen311
from publisher.fakes.server import ServerThread
from publisher.fakes.whatsapp import meta_signature
from publisher.intake.collect import run_source
from publisher.intake.sources.open311 import Open311Source
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.intake_support import signed_push

# A few seconds each on a quiet machine, many times that under load: in the slow runs.
pytestmark = pytest.mark.slow

PUSH_SECRET = "push-secret-for-the-fuzz"
APP_SECRET = "app-secret-for-the-fuzz"
FUZZ = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)

# Any text, lone surrogates and NUL included (hypothesis' default alphabet has both).
text = st.text(max_size=40)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)
# Nesting as deep as a sender likes, as bytes (building it as a value would overflow the
# test's own stack): "[[[...]]]" alone or where a record goes.
deep = st.integers(min_value=1, max_value=5000).map(lambda n: b"[" * n + b"]" * n)


def encode(value: Any) -> bytes:
    # ensure_ascii keeps lone surrogates as \ud800 escapes, the way a hostile sender sends them.
    return json.dumps(value).encode()


def bodies(values: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    in_records = deep.map(lambda d: b'{"records": [' + d + b"]}")
    return values.map(encode) | deep | in_records


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppContext, str]]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    ctx = make_context(
        f"sqlite:///{folder / 'lapor.db'}",
        folder,
        push_secret=PUSH_SECRET,
        whatsapp_app_secret=APP_SECRET,
    )
    with ServerThread(create_app(ctx)) as running:
        yield ctx, running.url
    ctx.close()


def push(url: str, body: bytes) -> httpx.Response:
    return signed_push(url, body, PUSH_SECRET)


def test_signed_pushes_of_any_json_never_get_a_5xx(world: tuple[AppContext, str]) -> None:
    _, url = world

    @FUZZ
    @given(
        body=bodies(
            json_values
            | st.fixed_dictionaries({"records": st.lists(json_values, max_size=3)})
            | st.fixed_dictionaries(
                {"records": st.lists(st.dictionaries(text, json_values, max_size=6), max_size=3)}
            )
        )
    )
    def exercise(body: bytes) -> None:
        answer = push(url, body)
        assert answer.status_code < 500, answer.text

    exercise()


def test_raw_bytes_and_odd_timestamps_on_the_push_endpoint_never_get_a_5xx(
    world: tuple[AppContext, str],
) -> None:
    _, url = world

    # A header value is visible Latin-1: digits of every kind, 5,000 of them, signs, exponents.
    latin1 = st.characters(min_codepoint=0x21, max_codepoint=0xFF)
    stamps = (
        st.text(latin1, min_size=1, max_size=80)
        | st.text("0123456789\u00b2\u00b3\u00b9+-.eE", min_size=1, max_size=5000)
        | st.integers().map(str)
    ).map(lambda t: t.encode("latin-1"))

    @FUZZ
    @given(body=st.binary(max_size=200), stamp=stamps)
    def exercise(body: bytes, stamp: bytes) -> None:
        answer = httpx.post(
            f"{url}/api/v1/cases",
            content=body,
            headers=[(b"X-Lapor-Timestamp", stamp), (b"X-Lapor-Signature", b"sha256=00")],
            timeout=30,
        )
        assert answer.status_code < 500, answer.text

    exercise()


def test_signed_whatsapp_notifications_of_any_shape_never_get_a_5xx(
    world: tuple[AppContext, str],
) -> None:
    _, url = world
    message = st.fixed_dictionaries(
        {},
        optional={
            "from": text | json_values,
            "id": text | json_values,
            "timestamp": text | json_values,
            "type": st.sampled_from(["text", "image", "video", "document"]) | json_values,
            "text": st.fixed_dictionaries({"body": text}) | json_values,
            "image": st.fixed_dictionaries({"id": text, "caption": text}) | json_values,
        },
    )
    notification = st.fixed_dictionaries(
        {
            "object": st.just("whatsapp_business_account") | json_values,
            "entry": st.lists(
                st.fixed_dictionaries(
                    {
                        "changes": st.lists(
                            st.fixed_dictionaries(
                                {
                                    "field": st.just("messages") | json_values,
                                    "value": st.fixed_dictionaries(
                                        {
                                            "messages": st.lists(message, max_size=3) | json_values,
                                            "statuses": json_values,
                                        }
                                    )
                                    | json_values,
                                }
                            ),
                            max_size=2,
                        )
                        | json_values
                    }
                ),
                max_size=2,
            )
            | json_values,
        }
    )

    @FUZZ
    @given(body=bodies(notification | json_values))
    def exercise(body: bytes) -> None:
        answer = httpx.post(
            f"{url}/webhooks/whatsapp",
            content=body,
            headers={"X-Hub-Signature-256": meta_signature(APP_SECRET, body)},
            timeout=30,
        )
        assert answer.status_code < 500, answer.text

    exercise()


def test_schemathesis_pushes_signed_by_a_hook_never_get_a_5xx(
    world: tuple[AppContext, str],
) -> None:
    schemathesis = pytest.importorskip("schemathesis")
    ctx, url = world
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(ctx))
    operation = schema["/api/v1/cases"]["POST"]
    seen: set[int] = set()

    @FUZZ
    @given(case=operation.as_strategy())
    def exercise(case: Any) -> None:
        # The signing hook: sign exactly the bytes sent, as a pushing system does.
        body = b"" if type(case.body).__name__ == "NotSet" else encode(case.body)
        answer = push(url, body)
        seen.add(answer.status_code)
        assert answer.status_code < 500, answer.text

    exercise()
    assert seen - {401}, "the hook's signatures must get the bodies past the signature check"


def test_open311_answers_of_any_shape_never_crash_a_run_or_leave_it_open(
    world: tuple[AppContext, str],
) -> None:
    ctx, _ = world
    fake = FakeOpen311(services=[{"service_code": "006", "service_name": "Jalan Rusak"}])
    field = st.sampled_from(
        [
            "service_request_id",
            "status",
            "status_notes",
            "description",
            "requested_datetime",
            "updated_datetime",
            "address",
            "media_url",
            "agency_responsible",
            "service_code",
            "lat",
        ]
    )
    request = st.dictionaries(field | text, json_values, max_size=8)
    answers = bodies(st.lists(request | json_values, max_size=4) | json_values)
    config = SourceConfig(
        name="kota", kind="open311", url="http://unused", agency_map={"Dinas PU": "dpupr"}
    )
    with ServerThread(fake.app()) as server:
        config.url = server.url

        @FUZZ
        @given(answer=answers)
        def exercise(answer: bytes) -> None:
            fake.raw_requests = answer
            run_source(ctx.sessions, ctx.vault, Open311Source(config, ctx.http))

        exercise()
    with ctx.sessions() as session:
        runs = list(session.scalars(select(SourceRun).where(SourceRun.source == "kota")))
    assert runs and all(run.finished_at is not None for run in runs)
