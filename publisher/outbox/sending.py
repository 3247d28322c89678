"""One way to send anything outbound: claim, record the attempt, call, settle.

Every outbound message goes through here: a post's delivery to a platform account
(:mod:`publisher.outbox.deliveries`), an answer to a PIC on WhatsApp
(:mod:`publisher.intake.sources.whatsapp`), a reporter's notification
(:mod:`publisher.public.notify`) and an agency's daily digest
(:mod:`publisher.monitoring.digest`)::

    pending --claim--> sending --call ok--> published / sent
                          |--retry------> pending at the backoff (failed when out of attempts)
                          |--wait-------> pending at the time the other side gave (not counted)
                          |--reconnect--> pending (not counted); the caller pauses the account
                          |--permanent--> failed: a person acts
                          '--unknown----> unknown: reconciled or settled by a person,
                                          never sent again by this module

1. **Claim**: one conditional ``UPDATE ... SET state = 'sending' WHERE state = 'pending'``
   checked by its row count, so two workers never both win. The attempt count after the claim
   is the claim's *lease*: settling is conditional on it.
2. **Record**: an :class:`publisher.db.models.Attempt` row, committed together with the claim
   *before* the call: after a crash we know a call may have been made.
3. **Call**: a failure is a :class:`publisher.core.errors.PlatformError` whose ``outcome`` is
   one of ``retry / wait / reconnect / permanent / unknown``; any other exception escaping the
   call may have come after the request left, so it counts as ``unknown``.
4. **Settle**: :func:`verdict` turns the outcome into the row's next state, in one
   transaction with the attempt's end. A success settles even a row whose lease expired
   meanwhile (we know it went out); a failure is recorded only while the lease holds.

A row left ``sending`` longer than its lease (a crashed worker) becomes ``unknown``
(:func:`expire_stale`), never ``pending``. A message without a queue row (a digest) is sent
with :func:`send_untracked`: its attempt is recorded before the call all the same.

Errors: :class:`publisher.core.errors.LeaseLost` passes through :func:`call` (a worker whose
claim was taken over stops before its visible call); the call's own failures are returned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypeVar, cast

import httpx
from sqlalchemy import Connection, CursorResult, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from publisher.core.backoff import Backoff
from publisher.core.clock import utcnow
from publisher.core.errors import (
    LeaseLost,
    PlatformError,
    RateLimited,
    RetryableError,
    UnknownOutcome,
)
from publisher.db.models import Attempt, UTCDateTime

log = logging.getLogger(__name__)

R = TypeVar("R")
ATTEMPTS = cast(Table, Attempt.__table__)
# Attempt.reason of a call cut off by a crash: its lease ran out while ``sending``.
LEASE_EXPIRED = "lease_expired"


@dataclass(frozen=True)
class Queue:
    """Where one kind of outbound message waits: its table and the names of its columns."""

    kind: str  # Attempt.kind
    table: Any  # the ORM class
    done: str = "sent"  # the state of a message that went out
    state: str = "state"
    attempts: str = "attempts"
    claimed_at: str = "claimed_at"
    claimed_by: str | None = "claimed_by"
    next_attempt_at: str | None = "next_attempt_at"  # None: a retry is due at once

    def column(self, name: str) -> Any:
        return getattr(self.table, name)


@dataclass(frozen=True)
class Policy:
    """How many tries a message gets and how far apart (``retry`` outcomes only)."""

    max_attempts: int
    backoff: Backoff | None = None


@dataclass(frozen=True)
class Settled:
    """A row settled by :func:`settle`, its verdict and its attempt, for the caller's records."""

    row: Any
    verdict: Verdict
    attempt_id: int | None


@dataclass(frozen=True)
class Verdict:
    state: str
    next_attempt_at: datetime | None = None
    counted: bool = True  # False: the try is handed back (the other side's pace, not ours)


def verdict(
    error: PlatformError | None, attempts: int, policy: Policy, now: datetime, done: str
) -> Verdict:
    """The next state of a message after try number ``attempts`` ended with ``error``."""
    if error is None:
        return Verdict(done)
    if error.outcome == "unknown":
        return Verdict("unknown")
    if error.outcome == "reconnect":
        return Verdict("pending", counted=False)
    if error.outcome == "wait":
        retry_at = error.retry_at if isinstance(error, RateLimited) else now
        return Verdict("pending", max(retry_at, now), counted=False)
    if error.outcome == "retry" and attempts < policy.max_attempts:
        due = policy.backoff.after(attempts, now) if policy.backoff else None
        return Verdict("pending", due)
    return Verdict("failed")


def rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def move(
    session: Session,
    queue: Queue,
    row_ids: Sequence[int],
    from_states: Sequence[str],
    **values: Any,
) -> int:
    """One conditional ``UPDATE ... WHERE state IN from_states`` of ``row_ids``; returns how
    many rows moved, so the caller sees a row another process changed in between."""
    if not row_ids:
        return 0
    moved = session.execute(
        update(queue.table)
        .where(queue.table.id.in_(list(row_ids)), queue.column(queue.state).in_(from_states))
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(moved)


def claim(
    session: Session, queue: Queue, row_id: int, worker: str, now: datetime, **values: Any
) -> bool:
    """Move one ``pending`` row to ``sending`` (plus ``values``); False when another won."""
    return claim_on(session.connection(), queue, row_id, worker, now, **values)


def claim_on(
    conn: Connection, queue: Queue, row_id: int, worker: str, now: datetime, **values: Any
) -> bool:
    """:func:`claim` on a plain connection. Plain Core, none of the ORM's bulk-update
    bookkeeping (the claimed row is not in a session; whoever needs it loads it after)."""
    changes: dict[str, Any] = {
        queue.state: "sending",
        queue.attempts: queue.column(queue.attempts) + 1,
        queue.claimed_at: now,
        **values,
    }
    if queue.claimed_by:
        changes[queue.claimed_by] = worker
    won = conn.execute(
        update(queue.table)
        .where(queue.table.id == row_id, queue.column(queue.state) == "pending")
        .values(changes)
    )
    return rowcount(won) == 1


def record_attempt(session: Session, kind: str, subject_id: int, worker: str) -> int:
    """The attempt row of a claimed message; the caller commits it before the call. Returns
    its id."""
    return record_attempt_on(session.connection(), kind, subject_id, worker)


@cache
def _attempt_statements() -> tuple[Any, Any]:
    # Built once: they run for every message sent, and building them cost more than running.
    # (A bound parameter may not bear the name of a column the statement sets.)
    latest = (
        select(func.max(ATTEMPTS.c.id))
        .where(ATTEMPTS.c.kind == bindparam("of_kind"), ATTEMPTS.c.subject_id == bindparam("sid"))
        .scalar_subquery()
    )
    start = insert(ATTEMPTS).returning(ATTEMPTS.c.id)
    end = (
        update(ATTEMPTS)
        .where(ATTEMPTS.c.id == latest, ATTEMPTS.c.finished_at.is_(None))
        .values(
            finished_at=bindparam("now", type_=UTCDateTime()),
            outcome=bindparam("new_outcome"),
            reason=bindparam("new_reason"),
            error=bindparam("new_error"),
        )
        .returning(ATTEMPTS.c.id)
    )
    return start, end


def record_attempt_on(conn: Connection, kind: str, subject_id: int, worker: str) -> int:
    """:func:`record_attempt` on a plain connection: one INSERT."""
    start, _end = _attempt_statements()
    values = {"kind": kind, "subject_id": subject_id, "worker": worker, "started_at": utcnow()}
    return int(conn.execute(start, values).scalar_one())


def finish_attempt(
    session: Session, kind: str, subject_id: int, outcome: str, reason: str = "", error: str = ""
) -> int | None:
    """End the latest open attempt of a message (none is open after a lease expired); returns
    its id."""
    return finish_attempt_on(session.connection(), kind, subject_id, outcome, reason, error)


def finish_attempt_on(
    conn: Connection, kind: str, subject_id: int, outcome: str, reason: str = "", error: str = ""
) -> int | None:
    """:func:`finish_attempt` on a plain connection: one conditional UPDATE of the latest
    attempt."""
    _start, end = _attempt_statements()
    ended = conn.execute(
        end,
        {
            "of_kind": kind,
            "sid": subject_id,
            "now": utcnow(),
            "new_outcome": outcome,
            "new_reason": reason,
            "new_error": error[:2000],
        },
    ).scalar_one_or_none()
    return None if ended is None else int(ended)


def call(send: Callable[[], R], what: str) -> R | PlatformError:
    """Make the call; its failure is returned as a :class:`PlatformError`, never raised."""
    try:
        return send()
    except LeaseLost:
        raise
    except PlatformError as exc:
        return exc
    except Exception as exc:
        # A bug or an unexpected failure mid-call: the request may have gone out.
        log.exception("%s: unexpected error while sending", what)
        return UnknownOutcome(f"unexpected {type(exc).__name__}")


def settle(
    session: Session,
    queue: Queue,
    row_id: int,
    lease: int,
    error: PlatformError | None,
    policy: Policy,
) -> Settled | None:
    """Apply the verdict on a claimed row and end its attempt; the caller commits.

    Returns what was settled, for the caller's own bookkeeping, or None when the row is no
    longer this claim's (the caller logs it; nothing is written)."""
    row = session.get(queue.table, row_id)
    if row is None:
        return None
    state = getattr(row, queue.state)
    ours = state == "sending" and getattr(row, queue.attempts) == lease
    if not ours and not (error is None and state in ("unknown", "pending")):
        return None
    now = utcnow()
    result = verdict(error, getattr(row, queue.attempts), policy, now, queue.done)
    setattr(row, queue.state, result.state)
    if not result.counted:
        setattr(row, queue.attempts, getattr(row, queue.attempts) - 1)
    if result.next_attempt_at is not None and queue.next_attempt_at:
        setattr(row, queue.next_attempt_at, result.next_attempt_at)
    # Not flushed here: the row's changes and the caller's (remote id, reasons) go out as one
    # UPDATE when the caller commits.
    with session.no_autoflush:
        if error is None:
            attempt_id = finish_attempt(session, queue.kind, row_id, queue.done)
        else:
            attempt_id = finish_attempt(
                session, queue.kind, row_id, error.outcome, error.reason, str(error)
            )
    return Settled(row, result, attempt_id)


def expire_stale(
    session: Session, queue: Queue, now: datetime, lease_s: float, **values: Any
) -> list[int]:
    """Rows left ``sending`` past their lease may have been sent: ``unknown``, never again."""
    stale: list[int] = list(
        session.scalars(
            select(queue.table.id).where(
                queue.column(queue.state) == "sending",
                queue.column(queue.claimed_at) < now - timedelta(seconds=lease_s),
            )
        )
    )
    if not stale:
        return []
    session.execute(
        update(queue.table)
        .where(queue.table.id.in_(stale), queue.column(queue.state) == "sending")
        .values({queue.state: "unknown", **values})
        .execution_options(synchronize_session=False)
    )
    for row_id in stale:
        finish_attempt(session, queue.kind, row_id, "unknown", LEASE_EXPIRED)
    return stale


@dataclass(frozen=True)
class Sent:
    """What :func:`send_one` did with one row: its new state and the verdict's details."""

    state: str
    error: PlatformError | None = None


def send_one(
    sessions: sessionmaker[Session],
    queue: Queue,
    row_id: int,
    *,
    worker: str,
    now: datetime,
    policy: Policy,
    prepare: Callable[[Session, Any], Callable[[], R] | None],
    on_settled: Callable[[Session, Settled, R | None, PlatformError | None], None],
    claim_values: dict[str, Any] | None = None,
) -> Sent | None:
    """Claim, record, call and settle one row. None when another process claimed it first.

    ``prepare`` runs in the claim's transaction and returns the call to make, or None when the
    claimed row cannot be sent at all (it has then set the row's final state itself).
    ``on_settled`` runs in the settling transaction (remote ids, reasons, audit)."""
    with sessions() as session, session.begin():
        if not claim(session, queue, row_id, worker, now, **(claim_values or {})):
            return None
        row = session.get(queue.table, row_id)
        assert row is not None
        send = prepare(session, row)
        if send is None:
            return Sent(getattr(row, queue.state))
        lease = getattr(row, queue.attempts)
        record_attempt(session, queue.kind, row_id, worker)
    outcome = call(send, f"{queue.kind} {row_id}")
    error = outcome if isinstance(outcome, PlatformError) else None
    with sessions() as session, session.begin():
        settled = settle(session, queue, row_id, lease, error, policy)
        if settled is None:
            log.warning("%s %s: lease lost, the call's end not recorded", queue.kind, row_id)
            row = session.get(queue.table, row_id)
            return Sent(getattr(row, queue.state) if row is not None else "missing", error)
        on_settled(session, settled, None if error else cast(R, outcome), error)
    state = settled.verdict.state
    if error is not None:
        log.warning("%s %s: %s -> %s", queue.kind, row_id, error, state)
    return Sent(state, error)


def send_untracked(
    sessions: sessionmaker[Session], kind: str, subject_id: int, worker: str, send: Callable[[], R]
) -> R | PlatformError:
    """A one-off message without a queue row (a digest): recorded before the call, never
    retried here; returns the call's result or its failure."""
    with sessions() as session, session.begin():
        record_attempt(session, kind, subject_id, worker)
    outcome = call(send, f"{kind} {subject_id}")
    with sessions() as session, session.begin():
        if isinstance(outcome, PlatformError):
            finish_attempt(session, kind, subject_id, outcome.outcome, outcome.reason, str(outcome))
        else:
            finish_attempt(session, kind, subject_id, "sent")
    return outcome


# --- HTTP -------------------------------------------------------------------------------------


def post(
    client: httpx.Client,
    url: str,
    *,
    json: Any = None,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One POST whose transport failure says whether the request can have arrived.

    Raises :class:`RetryableError` when no connection was made (it cannot have reached the
    other side) and :class:`UnknownOutcome` when it was sent, or partly, without an answer."""
    try:
        return client.post(url, json=json, data=data, headers=headers)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise RetryableError(f"not connected: {type(exc).__name__}") from None
    except httpx.HTTPError as exc:
        raise UnknownOutcome(f"no answer: {type(exc).__name__}") from None


def due_ids(
    session: Session, queue: Queue, now: datetime, limit: int, *where: Any
) -> Sequence[int]:
    """Ids of ``pending`` rows that are due, oldest first."""
    query = select(queue.table.id).where(queue.column(queue.state) == "pending", *where)
    if queue.next_attempt_at:
        query = query.where(queue.column(queue.next_attempt_at) <= now).order_by(
            queue.column(queue.next_attempt_at)
        )
    return list(session.scalars(query.order_by(queue.table.id).limit(limit)))
