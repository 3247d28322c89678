"""The one send path: what each outcome leads to, and the attempt row that precedes every call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from publisher.core.backoff import Backoff
from publisher.core.errors import (
    NeedsReconnect,
    PermanentError,
    PlatformError,
    RateLimited,
    RetryableError,
    UnknownOutcome,
)
from publisher.db.models import Attempt
from publisher.outbox import sending
from publisher.runtime.context import AppContext

NOW = datetime(2025, 5, 14, 9, 0, tzinfo=UTC)
POLICY = sending.Policy(max_attempts=3, backoff=Backoff(base_s=60.0, max_s=3600.0))


@pytest.mark.parametrize(
    ("error", "attempts", "expected"),
    [
        (None, 1, sending.Verdict("sent")),
        (RetryableError("refused"), 1, sending.Verdict("pending", NOW + timedelta(minutes=1))),
        (RetryableError("refused"), 2, sending.Verdict("pending", NOW + timedelta(minutes=2))),
        (RetryableError("refused"), 3, sending.Verdict("failed")),
        (
            RateLimited("429", retry_at=NOW + timedelta(hours=1)),
            3,
            sending.Verdict("pending", NOW + timedelta(hours=1), counted=False),
        ),
        (NeedsReconnect("401"), 3, sending.Verdict("pending", counted=False)),
        (PermanentError("400"), 1, sending.Verdict("failed")),
        (UnknownOutcome("dropped"), 1, sending.Verdict("unknown")),
    ],
)
def test_each_outcome_leads_to_its_next_state_and_an_unknown_is_never_pending_again(
    error: PlatformError | None, attempts: int, expected: sending.Verdict
) -> None:
    assert sending.verdict(error, attempts, POLICY, NOW, "sent") == expected


def _attempts(ctx: AppContext) -> list[tuple[str, str, str]]:
    with ctx.readonly_sessions() as session:
        rows = session.execute(
            select(Attempt.kind, Attempt.outcome, Attempt.reason).order_by(Attempt.id)
        )
        return [(kind, outcome, reason) for kind, outcome, reason in rows]


def test_the_attempt_is_committed_before_the_call_and_settled_after_it(ctx: AppContext) -> None:
    seen_during_the_call: list[list[tuple[str, str, str]]] = []

    def call() -> str:
        seen_during_the_call.append(_attempts(ctx))
        return "ok"

    assert sending.send_untracked(ctx.sessions, "digest", 7, "w1", call) == "ok"
    assert seen_during_the_call == [[("digest", "started", "")]]
    assert _attempts(ctx) == [("digest", "sent", "")]


def test_an_unexpected_error_in_the_call_counts_as_an_unknown_outcome(ctx: AppContext) -> None:
    def call() -> str:
        raise RuntimeError("a bug after the request left")

    outcome = sending.send_untracked(ctx.sessions, "digest", 7, "w1", call)
    assert isinstance(outcome, UnknownOutcome)
    assert _attempts(ctx) == [("digest", "unknown", "unknown")]
