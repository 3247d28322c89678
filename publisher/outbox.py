"""The outbox: deliveries claimed atomically, recorded before each call, settled after.

The life of a delivery::

    pending --claim--> sending --publish ok--> published
                          |--retryable / rate limited--> pending (later, with backoff)
                          |--needs reconnect--> pending, account paused
                          |--permanent--> failed (reason for a person)
                          '--lost response, crash--> unknown --reconcile--> published | pending
                                                                       '--> (a person decides)

A claim is one conditional ``UPDATE ... WHERE state = 'pending'`` checked by its row count, so
two workers can never both win (on PostgreSQL candidates are also read ``FOR UPDATE SKIP
LOCKED`` so workers do not queue on each other). ``sending`` and the attempt row are committed
*before* the HTTP call: after a crash we know a call may have been made, and only the
reconciler may decide what happened.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from publisher import audit
from publisher.clock import utcnow
from publisher.context import AppContext
from publisher.db.engine import is_postgres
from publisher.db.models import Delivery, DeliveryAttempt, SocialAccount
from publisher.errors import (
    LaporError,
    NeedsReconnect,
    PermanentError,
    PlatformError,
    RateLimited,
    UnknownOutcome,
)
from publisher.platforms.base import MediaFile, Platform, PublishRequest, PublishResult
from publisher.platforms.registry import build_platform
from publisher.privacy.guard import case_identities, describe, unresolved_findings

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 30.0
BACKOFF_MAX_S = 3600.0


@dataclass
class PublishCounts:
    claimed: int = 0
    published: int = 0
    retry: int = 0
    failed: int = 0
    unknown: int = 0
    paused: int = 0


def backoff(attempts: int, now: datetime) -> datetime:
    delay = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1))
    return now + timedelta(seconds=delay * random.uniform(0.8, 1.2))


def claim(ctx: AppContext, now: datetime | None = None) -> int | None:
    """Claim one due delivery for this worker; commits ``sending`` and the attempt row."""
    now = now or utcnow()
    with ctx.sessions() as session, session.begin():
        query = (
            select(Delivery.id)
            .join(SocialAccount, SocialAccount.id == Delivery.account_id)
            .where(
                Delivery.state == "pending",
                Delivery.next_attempt_at <= now,
                SocialAccount.status == "active",
            )
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(8)
        )
        if is_postgres(ctx.engine):
            query = query.with_for_update(skip_locked=True, of=Delivery)
        for delivery_id in session.scalars(query).all():
            result = session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.state == "pending")
                .values(
                    state="sending",
                    claimed_by=ctx.worker_id,
                    claimed_at=now,
                    attempts=Delivery.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                session.add(DeliveryAttempt(delivery_id=delivery_id, worker=ctx.worker_id))
                return delivery_id
    return None


def _request(ctx: AppContext, delivery: Delivery) -> PublishRequest:
    media = tuple(
        MediaFile(ctx.media.path(m["sha256"], m["suffix"]), m["kind"], m["mime"])
        for m in delivery.post.media
    )
    return PublishRequest(
        delivery_id=delivery.id, marker=delivery.marker, caption=delivery.post.caption, media=media
    )


def _last_privacy_check(ctx: AppContext, delivery: Delivery) -> None:
    """The last gate before the world: a caption with personal data is never sent."""
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
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None and delivery.state == "sending"
        account = delivery.account
        try:
            _last_privacy_check(ctx, delivery)
            platform = build_platform(account, ctx.vault, ctx.http, ctx.settings)
            request = _request(ctx, delivery)
        except PlatformError as exc:
            early: PlatformError | None = exc
        else:
            early = None
    if early is not None:
        return _settle_error(ctx, delivery_id, early)
    try:
        result = platform.publish(request)
    except PlatformError as exc:
        return _settle_error(ctx, delivery_id, exc)
    except Exception as exc:
        # A bug or an unexpected failure mid-call: the request may have gone out.
        log.exception("delivery %s: unexpected error while publishing", delivery_id)
        return _settle_error(
            ctx, delivery_id, UnknownOutcome(f"unexpected {type(exc).__name__} while publishing")
        )
    return _settle_published(ctx, delivery_id, result)


def _finish_attempt(session: Session, delivery_id: int, outcome: str, error: str = "") -> None:
    attempt = session.scalar(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery_id)
        .order_by(DeliveryAttempt.id.desc())
    )
    if attempt is not None and attempt.finished_at is None:
        attempt.finished_at, attempt.outcome, attempt.error = utcnow(), outcome, error


def _settle_published(ctx: AppContext, delivery_id: int, result: PublishResult) -> str:
    with ctx.sessions() as session, session.begin():
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        delivery.state = "published"
        delivery.remote_id, delivery.remote_url = result.remote_id, result.url
        delivery.published_at = utcnow()
        delivery.last_error = delivery.last_error_class = ""
        _finish_attempt(session, delivery_id, "published")
        audit.record(
            session,
            actor=f"worker:{ctx.worker_id}",
            action="delivery.published",
            object_type="delivery",
            object_id=delivery_id,
            remote_id=result.remote_id,
        )
    log.info("delivery %s published as %s", delivery_id, result.remote_id)
    return "published"


def _settle_error(ctx: AppContext, delivery_id: int, exc: LaporError) -> str:
    now = utcnow()
    message = str(exc)
    with ctx.sessions() as session, session.begin():
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        error_class = getattr(exc, "error_class", "unknown")
        delivery.last_error = exc.user_message
        delivery.last_error_class = error_class
        if isinstance(exc, UnknownOutcome):
            state = "unknown"
        elif isinstance(exc, NeedsReconnect):
            state = "pending"
            delivery.attempts -= 1  # not the post's fault; it waits for the account
            account = delivery.account
            account.status, account.status_reason = "needs_reconnect", exc.user_message
            audit.record(
                session,
                actor=f"worker:{ctx.worker_id}",
                action="account.paused",
                object_type="account",
                object_id=account.id,
                reason=message,
            )
        elif isinstance(exc, RateLimited):
            state = "pending"
            delivery.next_attempt_at = exc.retry_at
        elif isinstance(exc, PlatformError) and not exc.permanent:
            if delivery.attempts >= ctx.settings.max_delivery_attempts:
                state = "failed"
            else:
                state = "pending"
                delivery.next_attempt_at = backoff(delivery.attempts, now)
        else:
            state = "failed"
        delivery.state = state
        _finish_attempt(session, delivery_id, error_class, message)
        audit.record(
            session,
            actor=f"worker:{ctx.worker_id}",
            action=f"delivery.{state}",
            object_type="delivery",
            object_id=delivery_id,
            error_class=error_class,
            error=message,
        )
    log.warning("delivery %s -> %s: %s", delivery_id, state, message)
    return state


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
    return counts


@dataclass
class ReconcileCounts:
    lease_expired: int = 0
    found_published: int = 0
    requeued: int = 0
    needs_person: int = 0


def reconcile(ctx: AppContext, now: datetime | None = None) -> ReconcileCounts:
    """Settle ``unknown`` deliveries and expired ``sending`` leases without re-sending."""
    now = now or utcnow()
    counts = ReconcileCounts()
    lease_cutoff = now - timedelta(seconds=ctx.settings.sending_lease_s)
    with ctx.sessions() as session, session.begin():
        stale = session.scalars(
            select(Delivery).where(Delivery.state == "sending", Delivery.claimed_at < lease_cutoff)
        ).all()
        for delivery in stale:
            delivery.state = "unknown"
            delivery.last_error_class = "unknown"
            delivery.last_error = UnknownOutcome.user_message
            _finish_attempt(session, delivery.id, "lease_expired")
            counts.lease_expired += 1
    with ctx.sessions() as session:
        unknown_ids = session.scalars(select(Delivery.id).where(Delivery.state == "unknown")).all()
    for delivery_id in unknown_ids:
        with ctx.sessions() as session, session.begin():
            candidate = session.get(Delivery, delivery_id)
            if candidate is None or candidate.state != "unknown":
                continue
            delivery = candidate
            try:
                platform: Platform = build_platform(
                    delivery.account, ctx.vault, ctx.http, ctx.settings
                )
                found = platform.find_by_marker(delivery.marker)
            except PlatformError as exc:
                log.info("reconcile %s: lookup failed, later: %s", delivery_id, exc)
                continue
            if found is not None:
                delivery.state, delivery.remote_id, delivery.remote_url = (
                    "published",
                    found.remote_id,
                    found.url,
                )
                delivery.published_at = now
                counts.found_published += 1
                action = "delivery.reconciled_published"
            elif platform.searchable:
                delivery.state, delivery.next_attempt_at = "pending", now
                counts.requeued += 1
                action = "delivery.reconciled_absent"
            else:
                delivery.last_error = (
                    "Status tidak diketahui dan platform tidak dapat dicek otomatis. Periksa "
                    "kanal, lalu tandai terbit atau kirim ulang."
                )
                counts.needs_person += 1
                continue
            audit.record(
                session,
                actor=f"worker:{ctx.worker_id}",
                action=action,
                object_type="delivery",
                object_id=delivery_id,
            )
    return counts


def settle_manually(
    session: Session, delivery_id: int, actor: str, *, published_url: str | None
) -> Delivery:
    """A person's verdict on an ``unknown`` delivery: published (with its link) or resend."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.state != "unknown":
        raise LaporError(f"delivery {delivery_id} is not awaiting a decision")
    if published_url:
        delivery.state, delivery.remote_url, delivery.published_at = (
            "published",
            published_url,
            utcnow(),
        )
    else:
        delivery.state, delivery.next_attempt_at = "pending", utcnow()
    audit.record(
        session,
        actor=actor,
        action="delivery.settled_manually",
        object_type="delivery",
        object_id=delivery_id,
        published=bool(published_url),
    )
    return delivery
