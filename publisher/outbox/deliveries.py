"""The outbox: deliveries claimed atomically, recorded before each call, settled after.

The life of a delivery::

    pending --claim--> sending --publish ok--> published --takedown--> taken_down
                          |--retryable / rate limited--> pending (later, with backoff)
                          |--needs reconnect, permission--> pending, account paused
                          |--invalid content, policy--> failed (reason for a person)
                          '--lost response, duplicate, crash--> unknown
                                    unknown --reconcile--> published | pending | failed
                                                     '--> (a person decides: Telegram)

Claiming, recording the attempt, calling and settling are :mod:`publisher.outbox.sending`'s, as
for every outbound message. A claim is one conditional ``UPDATE ... WHERE state = 'pending'``
checked by its row count, so two workers can never both win (on PostgreSQL candidates are also
read ``FOR UPDATE SKIP LOCKED`` so workers do not queue on each other, and the account row is
locked the same way while its quota is counted). ``sending`` and the attempt row are committed
*before* the HTTP call: after a crash we know a call may have been made, and only the reconciler
may decide what happened. The claim's attempt number is its lease: every later write (an
adapter's checkpoint, the settlement) is conditional on it, so a worker whose lease was
reconciled away cannot overwrite what the reconciler decided, and an adapter whose checkpoint is
refused stops before its visible call.

Per-account gates, checked at claim time: a publishing window in local time
(``window_start``-``window_end``, e.g. 07:00-21:00 WIB; empty = any time), at most
``max_posts_per_hour`` claims in any hour, and ``min_spacing_s`` between two claims. A gated
delivery is not claimed; its ``next_attempt_at`` moves to when the gate opens.

Errors: those of :mod:`publisher.core.errors`, among them :class:`LeaseLost` (a worker's claim
was taken over by the reconciler; nothing is sent).
"""

from __future__ import annotations

import logging
import threading
import time as _time
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, bindparam, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, joinedload

from publisher.core.backoff import Backoff
from publisher.core.clock import utcnow
from publisher.core.deadline import deadline_scope
from publisher.core.errors import (
    LaporError,
    LeaseLost,
    MediaMissing,
    MediaStoreUnavailable,
    PermanentError,
    PlatformError,
    RetryableError,
    UnknownOutcome,
)
from publisher.core.settings import Settings
from publisher.db import audit
from publisher.db.engine import is_postgres
from publisher.db.models import AuditLog, Delivery, Post, SocialAccount, UTCDateTime
from publisher.media.public_urls import sign_media_url
from publisher.outbox import alerts, sending
from publisher.platforms.base import MediaFile, Platform, PublishRequest, PublishResult
from publisher.platforms.errors import DuplicateContent, PermissionDenied
from publisher.platforms.registry import build_platform
from publisher.privacy.guard import case_identities, describe, unresolved_findings
from publisher.runtime.context import AppContext

log = logging.getLogger(__name__)

BACKOFF = Backoff(base_s=30.0, max_s=3600.0, jitter=0.2)
# How a worker waits out a database or network outage: it keeps its place and tries again.
OUTAGE_BACKOFF = Backoff(base_s=0.5, max_s=15.0, jitter=0.2)
# A settlement is retried this long through an outage: the platform's answer is in hand and
# must not be lost (after it, the lease expires and the reconciler finds the post).
SETTLE_PATIENCE_S = 900.0
QUEUE = sending.Queue("delivery", Delivery, done="published")
CLAIM_BATCH = 8
# Claims that count against an account's hourly quota: the call was (or may have been) made.
COUNTED_STATES = ("sending", "published", "unknown", "taken_down")

NEEDS_PERSON_MESSAGE = (
    "Status tidak diketahui dan platform tidak dapat dicek otomatis. Periksa kanal, lalu "
    "tandai terbit (dengan tautannya) atau kirim ulang."
)
DUPLICATE_NOT_FOUND_MESSAGE = (
    "Platform menyebut isinya duplikat, tetapi kiriman ini tidak ditemukan di akun. Periksa "
    "akun: hapus kiriman lama yang sama atau ubah keterangan, lalu kirim ulang."
)


@dataclass
class PublishCounts:
    claimed: int = 0
    published: int = 0
    retry: int = 0
    failed: int = 0
    unknown: int = 0
    paused: int = 0


# --- per-account gates --------------------------------------------------------------------------


def _parse_hhmm(value: str) -> time | None:
    if not value:
        return None
    hours, minutes = value.split(":")
    return time(int(hours) % 24, int(minutes))


class GatedAccount(Protocol):
    """What the gates read of an account (a :class:`SocialAccount` or a row of its columns)."""

    @property
    def id(self) -> int: ...
    @property
    def window_start(self) -> str: ...
    @property
    def window_end(self) -> str: ...
    @property
    def max_posts_per_hour(self) -> int: ...
    @property
    def min_spacing_s(self) -> int: ...


def window_opens(account: GatedAccount, now: datetime, tz: ZoneInfo) -> datetime | None:
    """None when ``now`` is inside the account's window, else when the window next opens."""
    start, end = _parse_hhmm(account.window_start), _parse_hhmm(account.window_end)
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(tz)
    moment = local.time()
    inside = start <= moment < end if start < end else (moment >= start or moment < end)
    if inside:
        return None
    opens = local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    if opens <= local:
        opens += timedelta(days=1)
    return opens.astimezone(now.tzinfo)


# The claim's statements are built once per process (issue 23: building SQL expressions cost
# more CPU than running them), with bound parameters for what changes per call.
_DELIVERIES = cast(Table, Delivery.__table__)
_ACCOUNTS = cast(Table, SocialAccount.__table__)
_AUDIT = cast(Table, AuditLog.__table__)


@cache
def _statements(postgres: bool) -> dict[str, Any]:
    d, a = _DELIVERIES.c, _ACCOUNTS.c
    # Typed, so that times go through UTCDateTime like any other.
    now, gate = bindparam("now", type_=UTCDateTime()), bindparam("gate", type_=UTCDateTime())
    candidates = (
        select(d.id, d.account_id)
        .join(_ACCOUNTS, a.id == d.account_id)
        .where(d.state == "pending", d.next_attempt_at <= now, a.status == "active")
        .order_by(d.next_attempt_at, d.id)
        .limit(CLAIM_BATCH)
    )
    account = select(
        a.id, a.window_start, a.window_end, a.max_posts_per_hour, a.min_spacing_s
    ).where(a.id == bindparam("account_id"))
    if postgres:
        candidates = candidates.with_for_update(skip_locked=True, of=_DELIVERIES)
        # Another worker counting this account's quota right now: try another one.
        account = account.with_for_update(skip_locked=True)
    counted = (d.account_id == bindparam("account_id"), d.state.in_(COUNTED_STATES))
    since = d.claimed_at >= bindparam("hour_ago", type_=UTCDateTime())
    published = {"state": "published", "last_error": "", "last_error_class": ""}
    return {
        "candidates": candidates,
        "account": account,
        # Two figures, counted by the database (issue 23: the claimed times of a busy
        # account's last hour were loaded on every claim): the hour's claims and the latest.
        "quota": select(func.count().filter(since), func.max(d.claimed_at)).where(*counted),
        "nth": select(d.claimed_at)
        .where(*counted, since)
        .order_by(d.claimed_at.desc())
        .offset(bindparam("offset"))
        .limit(1),
        "postpone": update(_DELIVERIES)
        .where(d.id == bindparam("delivery_id"), d.state == "pending")
        .values(next_attempt_at=gate),
        "renew": update(_DELIVERIES)
        .where(d.id == bindparam("delivery_id"), d.state == "sending")
        .where(d.attempts == bindparam("lease"))
        .values(claimed_at=now),
        # An adapter's checkpoint: the renewal with its progress.
        "checkpoint": update(_DELIVERIES)
        .where(d.id == bindparam("delivery_id"), d.state == "sending")
        .where(d.attempts == bindparam("lease"))
        .values(
            claimed_at=now,
            platform_state=bindparam("new_state", type_=_DELIVERIES.c.platform_state.type),
        ),
        "published": update(_DELIVERIES)
        .where(d.id == bindparam("delivery_id"), d.state == "sending")
        .where(d.attempts == bindparam("lease"))
        .values(
            remote_id=bindparam("new_remote_id"),
            remote_url=bindparam("new_remote_url"),
            published_at=now,
            **published,
        ),
        "audit": insert(_AUDIT),
    }


def account_gate(
    conn: Connection, account: GatedAccount, now: datetime, tz: ZoneInfo
) -> datetime | None:
    """None when the account may post now, else the earliest moment it may."""
    opens = window_opens(account, now, tz)
    if opens is not None:
        return opens
    statements = _statements(conn.dialect.name == "postgresql")
    params = {"account_id": account.id, "hour_ago": now - timedelta(hours=1)}
    in_hour, latest = cast(
        tuple[int, datetime | None], tuple(conn.execute(statements["quota"], params).one())
    )
    limit = max(1, account.max_posts_per_hour)
    if in_hour >= limit:
        # The limit-th latest claim of the hour: an hour after it, a claim is allowed again.
        nth = conn.execute(statements["nth"], {**params, "offset": limit - 1}).scalar()
        if nth is not None:
            return cast(datetime, nth) + timedelta(hours=1)
    if account.min_spacing_s and latest is not None:
        allowed = latest + timedelta(seconds=account.min_spacing_s)
        if allowed > now:
            return allowed
    return None


# --- claiming ---------------------------------------------------------------------------------


def claim(ctx: AppContext, now: datetime | None = None) -> int | None:
    """Claim one due delivery for this worker; commits ``sending`` and the attempt row.

    On a plain connection with statements built once (:func:`_statements`): it runs once
    per delivery, and the ORM's session and expression building were most of its cost."""
    now = now or utcnow()
    statements = _statements(is_postgres(ctx.engine))
    tz = ctx.settings.tz
    with ctx.engine.begin() as conn:
        gates: dict[int, datetime | None] = {}
        for delivery_id, account_id in cast(
            list[tuple[int, int]], conn.execute(statements["candidates"], {"now": now}).all()
        ):
            if account_id not in gates:
                account = conn.execute(statements["account"], {"account_id": account_id}).first()
                gates[account_id] = (
                    now + timedelta(seconds=1)
                    if account is None
                    else account_gate(conn, cast(GatedAccount, account), now, tz)
                )
                if account is None:
                    continue
            gate = gates[account_id]
            if gate is not None:
                if gate > now + timedelta(seconds=1):
                    conn.execute(statements["postpone"], {"delivery_id": delivery_id, "gate": gate})
                continue
            if sending.claim_on(conn, QUEUE, delivery_id, ctx.worker_id, now):
                sending.record_attempt_on(conn, QUEUE.kind, delivery_id, ctx.worker_id)
                return int(delivery_id)
    return None


# --- delivering -------------------------------------------------------------------------------


def _media(ctx: AppContext, post: Post) -> tuple[MediaFile, ...]:
    secret = ctx.settings.secret_keys[0] if ctx.settings.secret_keys else ""
    files = []
    for m in post.media:
        if m.get("left_out"):
            # Drafting left it out: the platform cannot take it with the rest (posts/fitting.py).
            continue
        suffix = str(m.get("suffix") or (".mp4" if m.get("kind") == "video" else ".jpg"))
        url = (
            sign_media_url(ctx.settings.public_base_url, secret, str(m["sha256"]), suffix)
            if secret
            else ""
        )
        files.append(
            MediaFile(_local(ctx, str(m["sha256"]), suffix), str(m["kind"]), str(m["mime"]), url)
        )
    return tuple(files)


def _local(ctx: AppContext, sha256: str, suffix: str) -> Path:
    """A file on this machine for the upload (a cached copy when the store is a bucket)."""
    try:
        return ctx.media.local_path(sha256, suffix)
    except MediaMissing as exc:
        raise PermanentError(
            str(exc),
            user_message="Berkas media kiriman ini tidak ditemukan di penyimpanan media; "
            "tinjau ulang.",
        ) from None
    except MediaStoreUnavailable as exc:
        raise RetryableError(str(exc)) from None


def _renew(ctx: AppContext, delivery_id: int, lease: int, **values: Any) -> bool:
    """Renew a claim's lease (and save ``values``) while it is still this claim's. One
    statement on a plain connection (no ORM session): it runs at every adapter checkpoint."""
    statement = _statements(is_postgres(ctx.engine))["renew"]
    if values:
        statement = statement.values(**values)
    with ctx.engine.begin() as conn:
        result = conn.execute(
            statement, {"delivery_id": delivery_id, "lease": lease, "now": utcnow()}
        )
        return sending.rowcount(result) == 1


class LeaseKeeper:
    """Renews a delivery's lease while its publish runs, so a slow publish (ten photos over a
    slow uplink) is never expired and re-sent by the reconciler; a lease found lost, or not
    renewed in time because the database was unreachable, stops the publish at its next
    checkpoint, before anything is made visible."""

    def __init__(self, ctx: AppContext, delivery_id: int, lease: int) -> None:
        self.ctx, self.delivery_id, self.lease = ctx, delivery_id, lease
        self.lease_s = float(ctx.settings.sending_lease_s)
        self.lost = threading.Event()
        self.renewed = _time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{delivery_id}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.lease_s / 4):
            try:
                held = _renew(self.ctx, self.delivery_id, self.lease)
            except SQLAlchemyError as exc:
                log.warning("delivery %s: lease not renewed (%s)", self.delivery_id, exc)
                continue
            if not held:
                self.lost.set()
                return
            self.renewed = _time.monotonic()

    def sending_deadline(self) -> float:
        """The monotonic instant after which nothing more of a request may be sent: a quarter
        of the lease before it would expire, so a request we stop sending is over before the
        reconciler may hand the delivery on; at once when the lease is lost. Each renewal moves
        it forward, so an upload that takes longer than a lease goes on while the lease holds."""
        if self.lost.is_set():
            return float("-inf")
        return self.renewed + self.lease_s * 3 / 4

    def checkpoint(self, state: dict[str, str]) -> None:
        """Save an adapter's progress right before a visible step, refused once the lease is
        lost or too old to last through the step (half the lease is kept as the margin)."""
        what = f"delivery {self.delivery_id}: lease {self.lease}"
        if self.lost.is_set():
            raise LeaseLost(f"{what} lost before checkpoint")
        if _time.monotonic() - self.renewed > self.lease_s / 2:
            raise LeaseLost(f"{what} not renewed for over half its length")
        try:
            held = _renew(self.ctx, self.delivery_id, self.lease, platform_state=dict(state))
        except SQLAlchemyError as exc:
            # Nothing visible was sent yet; the lease expires and the reconciler decides.
            raise LeaseLost(f"{what}: database unreachable at checkpoint") from exc
        if not held:
            self.lost.set()
            raise LeaseLost(f"{what} lost before checkpoint")
        self.renewed = _time.monotonic()


# What a case may be when its post goes out. Approval checked these once; the case can change
# afterwards (made ``rahasia``, reopened) and so can the post (withdrawn), so each call re-reads.
PUBLISHABLE_CASE_STATUSES = frozenset({"resolved", "closed"})


def _case_still_publishable(delivery: Delivery) -> None:
    post, case = delivery.post, delivery.post.case
    problem, message = "", ""
    if post.review_state != "approved":
        problem = f"post {post.id} is {post.review_state}, no longer approved"
        message = "Kiriman tidak lagi berstatus disetujui; kiriman dihentikan."
    elif case.privacy_mode == "rahasia":
        problem = f"case {case.id} was made rahasia after approval"
        message = "Laporan kini bersifat rahasia; kiriman dihentikan."
    elif case.status not in PUBLISHABLE_CASE_STATUSES:
        problem = f"case {case.id} is {case.status} again (reopened after approval)"
        message = "Laporan dibuka kembali; kiriman dihentikan sampai ditinjau ulang."
    if problem:
        raise PermanentError(f"delivery {delivery.id}: {problem}", user_message=message)


def _last_privacy_check(ctx: AppContext, delivery: Delivery) -> None:
    """The last gate before the world: nothing goes out for a case that may no longer be
    public, and a caption with personal data is never sent."""
    _case_still_publishable(delivery)
    post = delivery.post
    found = unresolved_findings(
        post.caption, case_identities(post.case, ctx.vault), post.pii_allowed
    )
    if found:
        raise PermanentError(
            f"delivery {delivery.id}: caption holds personal data ({describe(found)})",
            user_message="Keterangan memuat data pribadi; kiriman dihentikan. Perbaiki lalu "
            "tinjau ulang.",
        )


def deliver(ctx: AppContext, delivery_id: int) -> str:
    """Make the platform call for a claimed delivery and settle it. Returns the new state."""
    # Read-only: on SQLite a write session here would hold the lock that settling needs.
    with ctx.readonly_sessions() as session:
        # The delivery with its post, case and account in one query (four lazy loads before).
        delivery = session.scalar(
            select(Delivery)
            .where(Delivery.id == delivery_id)
            .options(
                joinedload(Delivery.post).joinedload(Post.case),
                joinedload(Delivery.account),
            )
        )
        if delivery is None or delivery.state != "sending":
            return delivery.state if delivery is not None else "missing"
        lease = delivery.attempts
        keeper = LeaseKeeper(ctx, delivery.id, lease)
        try:
            _last_privacy_check(ctx, delivery)
            platform = build_platform(
                delivery.account, ctx.vault, ctx.http, ctx.settings, sessions=ctx.sessions
            )
            request = PublishRequest(
                delivery_id=delivery.id,
                marker=delivery.marker,
                caption=delivery.post.caption,
                media=_media(ctx, delivery.post),
                state=dict(delivery.platform_state or {}),
                checkpoint=keeper.checkpoint,
            )
        except PlatformError as exc:
            return _settle_patiently(ctx, delivery_id, lease, exc)
    try:
        with keeper, deadline_scope(keeper.sending_deadline):
            outcome = sending.call(lambda: platform.publish(request), f"delivery {delivery_id}")
    except LeaseLost as exc:
        log.warning("%s", exc)
        return "lease_lost"
    return _settle_patiently(ctx, delivery_id, lease, outcome)


def _settle_patiently(
    ctx: AppContext, delivery_id: int, lease: int, outcome: PublishResult | PlatformError
) -> str:
    """Settle through a database outage: the platform's answer is retried into the database
    with backoff instead of being dropped with the worker."""
    started, tries = _time.monotonic(), 0
    while True:
        try:
            return _settle(ctx, delivery_id, lease, outcome)
        except SQLAlchemyError as exc:
            tries += 1
            if _time.monotonic() - started > SETTLE_PATIENCE_S:
                raise
            wait = OUTAGE_BACKOFF.delay(tries).total_seconds()
            log.warning(
                "delivery %s: database unreachable while settling (%s); retry in %.1f s",
                delivery_id,
                type(exc).__name__,
                wait,
            )
            _time.sleep(wait)


def _pause_account(
    session: Session, settings: Settings, account: SocialAccount, exc: PlatformError, actor: str
) -> None:
    if account.status != "active":
        return
    account.status = "paused" if isinstance(exc, PermissionDenied) else "needs_reconnect"
    account.status_reason = exc.user_message
    entry = audit.record(
        session,
        actor=actor,
        action="account.paused",
        object_type="account",
        object_id=account.id,
        error_class=exc.reason,
        reason=str(exc),
    )
    session.flush()
    # The admins are told at once (sent by the ``alert`` job, which would find it anyway); no
    # more posts are tried on this account until it is resumed.
    alerts.raise_alert(session, settings, alerts.account_paused(account, entry.id))
    log.warning(
        "ALERT account %s (%s %s) paused: %s",
        account.id,
        account.platform,
        account.handle,
        exc.reason,
    )


def _settle_published(ctx: AppContext, delivery_id: int, lease: int, result: PublishResult) -> bool:
    """The common settlement, a delivery published under its own lease, as three statements
    on a plain connection (issue 23: the ORM's load, flushes and unit of work were a third of
    the outbox's CPU per delivery): the conditional UPDATE of the delivery (still ``sending``
    with this lease), the end of its attempt and the audit entry, in one transaction. False
    when the lease no longer holds: nothing is written and :func:`_settle` decides."""
    now = utcnow()
    statements = _statements(is_postgres(ctx.engine))
    with ctx.engine.begin() as conn:
        moved = conn.execute(
            statements["published"],
            {
                "delivery_id": delivery_id,
                "lease": lease,
                "new_remote_id": result.remote_id,
                "new_remote_url": result.url,
                "now": now,
            },
        )
        if sending.rowcount(moved) != 1:
            return False
        sending.finish_attempt_on(conn, QUEUE.kind, delivery_id, QUEUE.done)
        conn.execute(
            statements["audit"],
            {
                "at": now,
                "actor": f"worker:{ctx.worker_id}",
                "action": "delivery.published",
                "object_type": "delivery",
                "object_id": str(delivery_id),
                "details": {"remote_id": result.remote_id},
            },
        )
    return True


def _settle(
    ctx: AppContext, delivery_id: int, lease: int, outcome: PublishResult | PlatformError
) -> str:
    error = outcome if isinstance(outcome, PlatformError) else None
    if error is None and _settle_published(ctx, delivery_id, lease, cast(PublishResult, outcome)):
        log.info("delivery %s published as %s", delivery_id, cast(PublishResult, outcome).remote_id)
        return "published"
    policy = sending.Policy(ctx.settings.max_delivery_attempts, BACKOFF)
    actor = f"worker:{ctx.worker_id}"
    with ctx.sessions() as session, session.begin():
        settled = sending.settle(session, QUEUE, delivery_id, lease, error, policy)
        if settled is None:
            current = session.get(Delivery, delivery_id)
            state = current.state if current is not None else "missing"
            if error is not None:
                log.warning("delivery %s: lease lost, %s not recorded", delivery_id, error.reason)
            else:
                # Someone else already settled or re-claimed it; the platform has two posts
                # only if that someone sent again, which only a reconciler that could not see
                # ours does.
                log.error(
                    "delivery %s published as %s after its lease was lost (now %s)",
                    delivery_id,
                    cast(PublishResult, outcome).remote_id,
                    state,
                )
            return state
        delivery, verdict = settled.row, settled.verdict
        if error is None:
            result = cast(PublishResult, outcome)
            delivery.remote_id, delivery.remote_url = result.remote_id, result.url
            delivery.published_at = utcnow()
            delivery.last_error = delivery.last_error_class = ""
            audit.record(
                session,
                actor=actor,
                action="delivery.published",
                object_type="delivery",
                object_id=delivery_id,
                remote_id=result.remote_id,
            )
        else:
            delivery.last_error, delivery.last_error_class = error.user_message, error.reason
            if error.outcome == "reconnect":
                _pause_account(session, ctx.settings, delivery.account, error, actor)
            audit.record(
                session,
                actor=actor,
                action=f"delivery.{verdict.state}",
                object_type="delivery",
                object_id=delivery_id,
                error_class=error.reason,
                error=str(error),
            )
    if error is None:
        log.info("delivery %s published as %s", delivery_id, cast(PublishResult, outcome).remote_id)
    else:
        log.warning("delivery %s -> %s: %s", delivery_id, verdict.state, error)
    return verdict.state


def publish_due(ctx: AppContext, *, limit: int = 100, now: datetime | None = None) -> PublishCounts:
    counts = PublishCounts()
    for _ in range(limit):
        delivery_id = claim(ctx, now)
        if delivery_id is None:
            break
        counts.claimed += 1
        state = deliver(ctx, delivery_id)
        if state == "published":
            counts.published += 1
        elif state == "failed":
            counts.failed += 1
        elif state == "unknown":
            counts.unknown += 1
        else:
            counts.retry += 1
    with ctx.readonly_sessions() as session:
        counts.paused = len(
            session.scalars(select(SocialAccount.id).where(SocialAccount.status != "active")).all()
        )
    return counts


# --- reconciliation ---------------------------------------------------------------------------


@dataclass
class ReconcileCounts:
    lease_expired: int = 0
    found_published: int = 0
    requeued: int = 0
    needs_person: int = 0
    failed: int = 0
    lookup_failed: int = 0


def reconcile(ctx: AppContext, now: datetime | None = None) -> ReconcileCounts:
    """Settle ``unknown`` deliveries and expired ``sending`` leases without re-sending.

    Platform look-ups happen outside any transaction (SQLite's write lock is never held over
    HTTP); each verdict is written only if the delivery is still ``unknown``.
    """
    now = now or utcnow()
    counts = ReconcileCounts()
    actor = f"worker:{ctx.worker_id}"
    with ctx.sessions() as session, session.begin():
        stale = sending.expire_stale(
            session,
            QUEUE,
            now,
            ctx.settings.sending_lease_s,
            last_error_class=UnknownOutcome.reason,
            last_error=UnknownOutcome.user_message,
        )
        for delivery_id in stale:
            audit.record(
                session,
                actor=actor,
                action="delivery.lease_expired",
                object_type="delivery",
                object_id=delivery_id,
            )
            counts.lease_expired += 1
    with ctx.sessions() as session:
        rows: list[tuple[int, str, dict[str, Any], SocialAccount]] = [
            (d.id, d.marker, dict(d.platform_state or {}), a)
            for d, a in session.execute(
                select(Delivery, SocialAccount)
                .join(SocialAccount, SocialAccount.id == Delivery.account_id)
                .where(Delivery.state == "unknown")
                .order_by(Delivery.id)
            ).all()
        ]
        session.expunge_all()
    platforms: dict[int, Platform] = {}
    for delivery_id, marker, platform_state, account in rows:
        try:
            if account.id not in platforms:
                platforms[account.id] = build_platform(
                    account, ctx.vault, ctx.http, ctx.settings, sessions=ctx.sessions
                )
            platform = platforms[account.id]
            found = platform.find_by_marker(marker, platform_state) if platform.searchable else None
        except PlatformError as exc:
            log.info("reconcile %s: lookup failed, later: %s", delivery_id, exc)
            counts.lookup_failed += 1
            continue
        _reconcile_one(ctx, delivery_id, platform.searchable, found, now, counts)
    return counts


def _reconcile_one(
    ctx: AppContext,
    delivery_id: int,
    searchable: bool,
    found: PublishResult | None,
    now: datetime,
    counts: ReconcileCounts,
) -> None:
    with ctx.sessions() as session, session.begin():
        delivery = session.get(Delivery, delivery_id)
        if delivery is None or delivery.state != "unknown":
            return
        values: dict[str, Any]
        if found is not None:
            values = {
                "state": "published",
                "remote_id": found.remote_id,
                "remote_url": found.url,
                "published_at": now,
                "last_error": "",
                "last_error_class": "",
            }
            action = "delivery.reconciled_published"
        elif not searchable:
            if delivery.last_error != NEEDS_PERSON_MESSAGE and sending.move(
                session, QUEUE, [delivery_id], ("unknown",), last_error=NEEDS_PERSON_MESSAGE
            ):
                entry = audit.record(
                    session,
                    actor=f"worker:{ctx.worker_id}",
                    action="delivery.needs_person",
                    object_type="delivery",
                    object_id=delivery_id,
                )
                session.flush()
                alerts.raise_alert(
                    session,
                    ctx.settings,
                    alerts.delivery_needs_person(delivery_id, delivery.account.platform, entry.id),
                )
            counts.needs_person += 1
            return
        elif delivery.last_error_class == DuplicateContent.reason:
            values = {"state": "failed", "last_error": DUPLICATE_NOT_FOUND_MESSAGE}
            action = "delivery.reconciled_duplicate"
        else:
            values = {"state": "pending", "next_attempt_at": now}
            action = "delivery.reconciled_absent"
        # A late settlement by the worker itself may have got there first: then it stands.
        if not sending.move(session, QUEUE, [delivery_id], ("unknown",), **values):
            return
        if values["state"] == "published":
            counts.found_published += 1
        elif values["state"] == "failed":
            counts.failed += 1
        else:
            counts.requeued += 1
        audit.record(
            session,
            actor=f"worker:{ctx.worker_id}",
            action=action,
            object_type="delivery",
            object_id=delivery_id,
        )


def settle_manually(
    session: Session, delivery_id: int, actor: str, *, published_url: str | None
) -> Delivery:
    """A person's verdict on an ``unknown`` delivery: published (with its link) or resend."""
    values: dict[str, Any] = (
        {"state": "published", "remote_url": published_url, "published_at": utcnow()}
        if published_url
        else {"state": "pending", "next_attempt_at": utcnow()}
    )
    if not sending.move(session, QUEUE, [delivery_id], ("unknown",), **values):
        raise LaporError(f"delivery {delivery_id} is not awaiting a decision")
    audit.record(
        session,
        actor=actor,
        action="delivery.settled_manually",
        object_type="delivery",
        object_id=delivery_id,
        published=bool(published_url),
    )
    delivery = session.get(Delivery, delivery_id, populate_existing=True)
    assert delivery is not None
    return delivery


# --- accounts, takedown, status ------------------------------------------------------------------


def resume_account(session: Session, account_id: int, actor: str) -> SocialAccount:
    """An admin's word that the account is fixed (reconnected, permission given)."""
    account = session.get(SocialAccount, account_id)
    if account is None:
        raise LaporError(f"unknown account {account_id}")
    previous = account.status
    account.status, account.status_reason = "active", ""
    audit.record(
        session,
        actor=actor,
        action="account.resumed",
        object_type="account",
        object_id=account_id,
        previous=previous,
    )
    return account


def check_account(ctx: AppContext, account_id: int) -> str:
    """A dry, harmless authenticated call; raises the platform's error when it fails."""
    with ctx.sessions() as session:
        account = session.get(SocialAccount, account_id)
        if account is None:
            raise LaporError(f"unknown account {account_id}")
        platform = build_platform(account, ctx.vault, ctx.http, ctx.settings, sessions=ctx.sessions)
    return platform.check()


@dataclass
class TakedownLine:
    delivery_id: int
    account: str
    before: str
    after: str
    note: str = ""


@dataclass
class TakedownReport:
    post_id: int
    lines: list[TakedownLine] = field(default_factory=list)


def takedown(ctx: AppContext, post_id: int, actor: str, reason: str) -> TakedownReport:
    """Delete a post from every platform that allows it, cancel what has not gone out, and
    record everything. ``sending``/``unknown`` deliveries are left for the reconciler and
    reported, never guessed about."""
    report = TakedownReport(post_id)
    with ctx.sessions() as session, session.begin():
        post = session.get(Post, post_id)
        if post is None:
            raise LaporError(f"unknown post {post_id}")
        post.review_state = "withdrawn"
        audit.record(
            session,
            actor=actor,
            action="post.takedown",
            object_type="post",
            object_id=post_id,
            reason=reason,
        )
        unsent = ("pending", "failed")
        for delivery in session.scalars(
            select(Delivery).where(Delivery.post_id == post_id, Delivery.state.in_(unsent))
        ):
            label = f"{delivery.account.platform}:{delivery.account.handle}"
            # Only what is still unsent is cancelled: a worker's claim in between wins and the
            # row is reported below as being sent.
            if sending.move(session, QUEUE, [delivery.id], unsent, state="cancelled"):
                report.lines.append(TakedownLine(delivery.id, label, delivery.state, "cancelled"))
        fresh = {"populate_existing": True}
        ids = [
            (d.id, d.remote_id)
            for d in session.scalars(
                select(Delivery)
                .where(Delivery.post_id == post_id, Delivery.state == "published")
                .execution_options(**fresh)
            )
        ]
        for delivery in session.scalars(
            select(Delivery)
            .where(Delivery.post_id == post_id, Delivery.state.in_(("sending", "unknown")))
            .execution_options(**fresh)
        ):
            label = f"{delivery.account.platform}:{delivery.account.handle}"
            report.lines.append(
                TakedownLine(delivery.id, label, delivery.state, delivery.state, "reconcile first")
            )
    for delivery_id, remote_id in ids:
        report.lines.append(takedown_delivery(ctx, delivery_id, remote_id, actor))
    return report


def takedown_delivery(
    ctx: AppContext, delivery_id: int, remote_id: str, actor: str
) -> TakedownLine:
    """Delete one published delivery on its platform (when the platform allows it)."""
    with ctx.sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        account = delivery.account
        label = f"{account.platform}:{account.handle}"
        try:
            platform = build_platform(
                account, ctx.vault, ctx.http, ctx.settings, sessions=ctx.sessions
            )
        except PlatformError as exc:
            return TakedownLine(delivery_id, label, "published", "published", str(exc))
    note = ""
    try:
        deleted = platform.takedown(remote_id) if remote_id else False
        if not deleted:
            note = "platform could not delete it: remove it by hand"
    except PlatformError as exc:
        deleted, note = False, str(exc)
    with ctx.sessions() as session, session.begin():
        if deleted and not sending.move(
            session,
            QUEUE,
            [delivery_id],
            ("published",),
            state="taken_down",
            taken_down_at=utcnow(),
        ):
            note = "already changed by someone else; deleted on the platform all the same"
        audit.record(
            session,
            actor=actor,
            action="delivery.taken_down" if deleted else "delivery.takedown_failed",
            object_type="delivery",
            object_id=delivery_id,
            remote_id=remote_id,
            note=note,
        )
    return TakedownLine(
        delivery_id, label, "published", "taken_down" if deleted else "published", note
    )


def post_status(session: Session, post_id: int) -> list[dict[str, Any]]:
    """Each account's state for a post, with its link or its error (partial success)."""
    rows = session.execute(
        select(Delivery, SocialAccount)
        .join(SocialAccount, SocialAccount.id == Delivery.account_id)
        .where(Delivery.post_id == post_id)
        .order_by(Delivery.id)
    ).all()
    return [
        {
            "delivery_id": d.id,
            "account": f"{a.platform}:{a.handle}",
            "account_status": a.status,
            "state": d.state,
            "attempts": d.attempts,
            "link": d.remote_url,
            "error": d.last_error,
            "error_class": d.last_error_class,
        }
        for d, a in rows
    ]


# --- the worker loop ---------------------------------------------------------------------------


@dataclass
class WorkerStats:
    delivered: int = 0
    reconciled: int = 0
    loops: int = 0
    outages: int = 0  # database errors waited out


def run_worker(
    ctx: AppContext,
    stop: threading.Event,
    *,
    idle_s: float = 1.0,
    reconcile_every_s: float = 30.0,
    max_deliveries: int | None = None,
) -> WorkerStats:
    """Claim and deliver until ``stop`` is set (SIGTERM): the delivery in hand is finished and
    settled first, so a graceful stop never leaves a ``sending`` lease behind."""
    stats = WorkerStats()
    last_reconcile = 0.0
    outages = 0
    while not stop.is_set():
        stats.loops += 1
        if _time.monotonic() - last_reconcile >= reconcile_every_s:
            last_reconcile = _time.monotonic()
            try:
                result = reconcile(ctx)
                stats.reconciled += result.found_published + result.requeued + result.failed
            except Exception:
                log.exception("reconcile pass failed; the next pass retries")
        try:
            delivery_id = claim(ctx)
            if delivery_id is not None:
                deliver(ctx, delivery_id)
        except SQLAlchemyError as exc:
            # The database is away (restart, network): keep the place and come back. A claim
            # that was made stays ``sending`` and the reconciler settles it without re-sending.
            outages += 1
            wait = OUTAGE_BACKOFF.delay(outages).total_seconds()
            log.warning(
                "worker %s: database unreachable (%s); retry in %.1f s",
                ctx.worker_id,
                type(exc).__name__,
                wait,
            )
            stats.outages += 1
            stop.wait(wait)
            continue
        outages = 0
        if delivery_id is None:
            stop.wait(idle_s)
            continue
        stats.delivered += 1
        if max_deliveries is not None and stats.delivered >= max_deliveries:
            break
    return stats
