"""Reporter notification: a private WhatsApp Cloud API *template* message when a case is done.

When a case's follow-up is published, the reporter who gave a WhatsApp number and did not opt
out gets the ``published`` template (Bahasa Indonesia) with the tracking number and the link to
the case on the public page. A case that was resolved but not published (``rahasia``, blocked,
rejected, or simply nothing published within ``LAPOR_NOTIFY_UNPUBLISHED_AFTER_DAYS``) gets the
``handled`` template: handled, no link. Each case is decided once (``reporter_notifications``
has one row per case): a row is queued, or skipped with its reason (no number, opted out).

The life of a notification (the same discipline as the outbox, :mod:`publisher.outbox.deliveries`)::

    pending --claim--> sending --accepted--> sent --status "failed" webhook--> failed
                          |--provably not sent (connect error, rate limit)--> pending (backoff)
                          |--rejected (template, number, parameters)--> failed
                          '--lost response, 5xx, crash--> unknown --status webhook--> sent|failed

Claim, attempt, call and settle are :mod:`publisher.outbox.sending`'s: the claim is a
conditional UPDATE; ``sending`` and an ``attempts`` row are committed *before* the call, so a
crash leaves evidence. An ``unknown`` row is never re-sent:
each request carries ``biz_opaque_callback_data`` (the row's marker), which Meta echoes in the
status webhook; :func:`handle_webhook` settles it from there.

Opt-out: a number that writes ``STOP`` (or ``BERHENTI``) to our business number is recorded in
``whatsapp_opt_outs`` as its keyed hash only; ``MULAI``/``START`` lifts it. The check runs when
a row is queued and again when it is claimed. The source's own flag
(``reporter.notify_opt_out``) is honoured too.

No phone number is stored outside the encrypted ``cases.reporter``; log lines carry row ids.

Errors: a failed Cloud API call is a :class:`publisher.core.errors.PlatformError` (from
:func:`publisher.outbox.whatsapp.post_message`) whose ``outcome`` (``retry``,
``permanent`` or ``unknown``) decides the row's next state.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import CursorResult, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from publisher.core.backoff import Backoff
from publisher.core.clock import utcnow
from publisher.core.crypto import Vault
from publisher.core.errors import PlatformError
from publisher.core.settings import Settings
from publisher.db import audit
from publisher.db.models import (
    Case,
    Delivery,
    Post,
    ReporterNotification,
    WhatsAppOptOut,
)
from publisher.outbox import sending
from publisher.outbox.whatsapp import post_message
from publisher.privacy.phones import normalise_phone, phone_lookup, phone_lookups
from publisher.runtime.context import AppContext

log = logging.getLogger(__name__)


STOP_WORDS = frozenset({"STOP", "BERHENTI", "UNSUBSCRIBE"})
START_WORDS = frozenset({"MULAI", "START"})
BACKOFF = Backoff(base_s=60.0, max_s=6 * 3600.0)
QUEUE = sending.Queue("notification", ReporterNotification, done="sent")
RESOLVED = ("resolved", "closed")
IN_FLIGHT = ("pending", "sending", "unknown")


@dataclass
class NotifyCounts:
    queued: int = 0
    skipped: int = 0
    sent: int = 0
    retry: int = 0
    failed: int = 0
    unknown: int = 0
    stale_sending: int = 0


# --- the Cloud API call ---------------------------------------------------------------------


class TemplateClient:
    """``POST /{phone-number-id}/messages`` with ``type: template``, errors classified."""

    def __init__(
        self, client: httpx.Client, base_url: str, token: str, phone_number_id: str
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.phone_number_id = phone_number_id

    @classmethod
    def from_context(cls, ctx: AppContext) -> TemplateClient | None:
        s = ctx.settings
        if not (s.whatsapp_access_token and s.whatsapp_phone_number_id):
            return None
        return cls(
            ctx.http, s.whatsapp_graph_url, s.whatsapp_access_token, s.whatsapp_phone_number_id
        )

    def send(
        self, to: str, template: str, language: str, parameters: Sequence[str], marker: str
    ) -> str:
        """Send one template message; returns its ``wamid``. Raises :class:`PlatformError`."""
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": {
                "name": template,
                "language": {"code": language},
                "components": [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": p} for p in parameters],
                    }
                ],
            },
            "biz_opaque_callback_data": marker,
        }
        return post_message(
            self.client,
            f"{self.base_url}/{self.phone_number_id}/messages",
            {"Authorization": f"Bearer {self.token}"},
            payload,
        )


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


# --- deciding who is told what ----------------------------------------------------------------


def public_case_url(settings: Settings, case_id: int) -> str:
    return f"{settings.public_base_url.rstrip('/')}/publik/tl/{case_id}"


def _phone(reporter: Any) -> str:
    if not isinstance(reporter, dict):
        return ""
    for key in ("whatsapp", "phone"):
        value = reporter.get(key)
        if isinstance(value, str) and len(normalise_phone(value)) >= 9:
            return normalise_phone(value)
    return ""


def opted_out(session: Session, secret_keys: Sequence[str], number: str) -> bool:
    lookups = phone_lookups(secret_keys, number)
    return (
        session.scalar(
            select(func.count())
            .select_from(WhatsAppOptOut)
            .where(WhatsAppOptOut.phone_lookup.in_(lookups))
        )
        != 0
    )


def _published_candidates(session: Session, since: datetime, limit: int) -> list[int]:
    first = func.min(Delivery.published_at)
    return list(
        session.scalars(
            select(Post.case_id)
            .join(Delivery, Delivery.post_id == Post.id)
            .where(
                Delivery.state == "published",
                Post.review_state == "approved",
                ~exists().where(ReporterNotification.case_id == Post.case_id),
            )
            .group_by(Post.case_id)
            .having(first >= since)
            .order_by(Post.case_id)
            .limit(limit)
        )
    )


def _handled_candidates(
    session: Session, now: datetime, settings: Settings, limit: int
) -> list[int]:
    wait = timedelta(days=settings.notify_unpublished_after_days)
    oldest = now - wait - timedelta(days=settings.notify_max_age_days)
    resolved = func.coalesce(Case.resolved_at, Case.updated_at)
    in_flight = (
        select(Post.case_id)
        .join(Delivery, Delivery.post_id == Post.id)
        .where(Delivery.state.in_((*IN_FLIGHT, "published")))
    )
    return list(
        session.scalars(
            select(Case.id)
            .where(
                Case.status.in_(RESOLVED),
                resolved >= oldest,
                # rahasia is never published: no reason to wait.
                (Case.privacy_mode == "rahasia") | (resolved <= now - wait),
                Case.id.not_in(in_flight),
                ~exists().where(ReporterNotification.case_id == Case.id),
            )
            .order_by(Case.id)
            .limit(limit)
        )
    )


def enqueue(
    session: Session,
    vault: Vault,
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = 500,
) -> NotifyCounts:
    """Decide, once per case, whether its reporter is told and with which template."""
    now = now or utcnow()
    counts = NotifyCounts()
    since = now - timedelta(days=settings.notify_max_age_days)
    published = _published_candidates(session, since, limit)
    handled = [c for c in _handled_candidates(session, now, settings, limit) if c not in published]
    for kind, case_ids in (("published", published), ("handled", handled)):
        for case_id in case_ids:
            case = session.get(Case, case_id)
            assert case is not None
            row = _decide(session, vault, settings, case, kind)
            session.add(row)
            counts.queued += row.state == "pending"
            counts.skipped += row.state == "skipped"
            audit.record(
                session,
                actor="system",
                action="notify.queued" if row.state == "pending" else "notify.skipped",
                object_type="case",
                object_id=case.id,
                kind=kind,
                reason=row.reason,
            )
    return counts


def _decide(
    session: Session, vault: Vault, settings: Settings, case: Case, kind: str
) -> ReporterNotification:
    reporter = vault.decrypt_json(case.reporter) if case.reporter else {}
    number = _phone(reporter)
    template = (
        settings.notify_template_published
        if kind == "published"
        else settings.notify_template_handled
    )
    row = ReporterNotification(
        case_id=case.id,
        kind=kind,
        template=template,
        link=public_case_url(settings, case.id) if kind == "published" else "",
        marker=uuid.uuid4().hex,
        state="pending",
    )
    if not number:
        row.state, row.reason = "skipped", "no_whatsapp_number"
    elif isinstance(reporter, dict) and reporter.get("notify_opt_out"):
        row.state, row.reason = "skipped", "opted_out_at_source"
    elif opted_out(session, settings.secret_keys, number):
        row.state, row.reason = "skipped", "opted_out"
    return row


# --- sending ------------------------------------------------------------------------------------


Prepare = Callable[[Session, ReporterNotification], Callable[[], str] | None]
OnSettled = Callable[[Session, sending.Settled, str | None, PlatformError | None], None]


def _prepare(ctx: AppContext, client: TemplateClient) -> Prepare:
    language = ctx.settings.notify_template_language

    def prepare(session: Session, row: ReporterNotification) -> Callable[[], str] | None:
        """The call for a claimed row, or None when its reporter opted out meanwhile."""
        case = session.get(Case, row.case_id)
        assert case is not None
        number = _phone(vault_json(ctx.vault, case.reporter))
        if not number or opted_out(session, ctx.settings.secret_keys, number):
            row.state, row.reason = "skipped", "opted_out" if number else "no_whatsapp_number"
            audit.record(
                session,
                actor="system",
                action="notify.skipped",
                object_type="case",
                object_id=case.id,
                reason=row.reason,
            )
            return None
        parameters = (
            (case.tracking_number, row.link) if row.kind == "published" else (case.tracking_number,)
        )
        template, marker = row.template, row.marker
        return lambda: client.send(number, template, language, parameters, marker)

    return prepare


def vault_json(vault: Vault, token: bytes | None) -> Any:
    return vault.decrypt_json(token) if token else {}


def _settled(counts: NotifyCounts) -> OnSettled:
    def on_settled(
        session: Session, settled: sending.Settled, wamid: str | None, error: PlatformError | None
    ) -> None:
        row: ReporterNotification = settled.row
        if error is None:
            row.remote_id, row.sent_at, row.last_error = wamid or "", utcnow(), ""
            counts.sent += 1
        else:
            row.last_error = str(error)
            if row.state == "pending":
                counts.retry += 1
            elif row.state == "unknown":
                counts.unknown += 1
            else:
                row.reason = "gave_up" if error.outcome == "retry" else "rejected"
                counts.failed += 1
        row.claimed_by = ""
        audit.record(
            session,
            actor="system",
            action=f"notify.{row.state}",
            object_type="case",
            object_id=row.case_id,
            notification=row.id,
            attempt=settled.attempt_id,
        )

    return on_settled


def expire_stale_sending(session: Session, now: datetime, lease_s: int) -> int:
    """A row left ``sending`` by a crashed worker may have been sent: ``unknown``, never again."""
    stale = sending.expire_stale(
        session,
        QUEUE,
        now,
        lease_s,
        last_error="worker stopped during the call",
        updated_at=now,
    )
    return len(stale)


def send_due(
    ctx: AppContext,
    client: TemplateClient,
    *,
    now: datetime | None = None,
    limit: int = 100,
) -> NotifyCounts:
    now = now or utcnow()
    counts = NotifyCounts()
    with ctx.sessions() as session, session.begin():
        counts.stale_sending = expire_stale_sending(session, now, ctx.settings.sending_lease_s)
    with ctx.readonly_sessions() as session:
        due = sending.due_ids(session, QUEUE, now, limit)
    policy = sending.Policy(ctx.settings.notify_max_attempts, BACKOFF)
    prepare, on_settled = _prepare(ctx, client), _settled(counts)
    for row_id in due:
        sending.send_one(
            ctx.sessions,
            QUEUE,
            row_id,
            worker=ctx.worker_id,
            now=now,
            policy=policy,
            prepare=prepare,
            on_settled=on_settled,
            claim_values={"updated_at": now},
        )
    return counts


def run(ctx: AppContext, *, now: datetime | None = None) -> NotifyCounts:
    """One pass of the ``notify`` job: queue newly decided cases, send what is due."""
    client = TemplateClient.from_context(ctx)
    if not ctx.settings.notify_enabled or client is None:
        return NotifyCounts()
    with ctx.sessions() as session, session.begin():
        counts = enqueue(session, ctx.vault, ctx.settings, now=now)
    sent = send_due(ctx, client, now=now)
    sent.queued, sent.skipped = counts.queued, counts.skipped
    return sent


# --- the webhook side: STOP / MULAI and message statuses -------------------------------------


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _values(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, dict):
        return []
    return [
        change["value"]
        for entry in _dicts(payload.get("entry"))
        for change in _dicts(entry.get("changes"))
        if change.get("field") == "messages" and isinstance(change.get("value"), dict)
    ]


def handle_webhook(session: Session, secret_keys: Sequence[str], payload: Any) -> dict[str, int]:
    """Opt-outs and opt-ins from text messages, and template statuses. The caller commits."""
    counts = {"opt_out": 0, "opt_in": 0, "status": 0}
    for value in _values(payload):
        for message in _dicts(value.get("messages")):
            sender = message.get("from")
            text = message.get("text")
            body = text.get("body") if isinstance(text, dict) else None
            if not isinstance(sender, str) or not isinstance(body, str):
                continue
            word = body.strip().strip(".!").upper()
            if word in STOP_WORDS:
                counts["opt_out"] += record_opt_out(session, secret_keys, sender)
            elif word in START_WORDS:
                counts["opt_in"] += lift_opt_out(session, secret_keys, sender)
        for status in _dicts(value.get("statuses")):
            counts["status"] += apply_status(session, status)
    return counts


def record_opt_out(session: Session, secret_keys: Sequence[str], number: str) -> int:
    if opted_out(session, secret_keys, number):
        return 0
    try:
        with session.begin_nested():
            session.add(WhatsAppOptOut(phone_lookup=phone_lookup(secret_keys, number)))
    except IntegrityError:
        return 0
    audit.record(
        session, actor="whatsapp", action="notify.opt_out", object_type="phone", object_id="-"
    )
    return 1


def lift_opt_out(session: Session, secret_keys: Sequence[str], number: str) -> int:
    removed = _rowcount(
        session.execute(
            delete(WhatsAppOptOut).where(
                WhatsAppOptOut.phone_lookup.in_(phone_lookups(secret_keys, number))
            )
        )
    )
    if removed:
        audit.record(
            session, actor="whatsapp", action="notify.opt_in", object_type="phone", object_id="-"
        )
    return 1 if removed else 0


STATUS_STATES = {"sent": "sent", "delivered": "sent", "read": "sent", "failed": "failed"}


def apply_status(session: Session, status: dict[str, Any]) -> int:
    """A message status from Meta settles an ``unknown`` row (by its marker) or records a
    late failure of a ``sent`` one (by its wamid)."""
    target = STATUS_STATES.get(str(status.get("status", "")))
    wamid, marker = status.get("id"), status.get("biz_opaque_callback_data")
    if target is None or not isinstance(wamid, str):
        return 0
    row = None
    if isinstance(marker, str) and marker:
        row = session.scalar(
            select(ReporterNotification).where(ReporterNotification.marker == marker)
        )
    if row is None:
        row = session.scalar(
            select(ReporterNotification).where(ReporterNotification.remote_id == wamid)
        )
    if row is None or row.state not in ("unknown", "sent", "sending"):
        return 0
    if row.state == "sent" and target == "sent":
        return 0
    row.state, row.remote_id = target, wamid
    if target == "sent" and row.sent_at is None:
        row.sent_at = utcnow()
    if target == "failed":
        row.reason = "failed_after_acceptance"
    audit.record(
        session,
        actor="whatsapp",
        action=f"notify.status_{target}",
        object_type="case",
        object_id=row.case_id,
        notification=row.id,
    )
    return 1
