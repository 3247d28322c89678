"""Alerts that reach a person: the admins are told, once per event, on Telegram and WhatsApp.

The events (:data:`publisher.db.models.ALERT_KINDS`)::

    account_paused          an account the outbox paused (token revoked, permission lost)
    delivery_needs_person   an ``unknown`` delivery the platform cannot be searched for
    source_failing          LAPOR_ALERT_FAILURES_IN_A_ROW failed runs of one case source
    job_failing             as many failed runs of one scheduled job
    token_expiring          a token that cannot renew itself expires within LAPOR_ALERT_TOKEN_DAYS

An event has a *dedupe key* naming it (``account_paused:<account>:<audit id>``: the same
account paused again after a resume is a new event). Raising it is a conditional insert of one
row per recipient (``INSERT ... ON CONFLICT DO NOTHING`` on the unique key, channel and
recipient), so an event is told once however often it is raised: where it happens (the outbox
pausing an account, the reconciler handing a delivery to a person) and again by the ``alert``
job's scan, which also finds what has no such place (failing runs, expiring tokens).

Sending is :mod:`publisher.outbox.sending`'s, like every outbound message: claim by a
conditional UPDATE, the attempt committed before the call, an unknown outcome never re-sent.
Telegram gets ``sendMessage``; WhatsApp gets the approved template
``LAPOR_ALERT_WHATSAPP_TEMPLATE`` (business-initiated messages outside the 24-hour window must
be templates: https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates).

Texts are Bahasa Indonesia and carry ids, platform names and the agency's public account
handle, never a reporter's data; each ends with the absolute link (``LAPOR_PUBLIC_BASE_URL``)
to the page that fixes it. Log lines carry row ids, never recipients.

Errors: a failed call is a :class:`publisher.core.errors.PlatformError`; its ``outcome``
decides the row's next state (:func:`publisher.outbox.sending.verdict`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from publisher.core.backoff import Backoff
from publisher.core.clock import utcnow
from publisher.core.crypto import Vault
from publisher.core.errors import (
    PermanentError,
    PlatformError,
    RateLimited,
    UnknownOutcome,
)
from publisher.core.settings import Settings
from publisher.db import audit
from publisher.db.models import Alert, AuditLog, Delivery, JobRun, SocialAccount, SourceRun
from publisher.outbox import sending
from publisher.outbox.whatsapp import post_message
from publisher.runtime.context import AppContext

log = logging.getLogger(__name__)

QUEUE = sending.Queue("alert", Alert, done="sent")
BACKOFF = Backoff(base_s=30.0, max_s=3600.0)
# How far back the scan looks for pauses and hand-overs (older ones were raised back then).
LOOKBACK = timedelta(days=7)
# Pages that fix each kind (paths under LAPOR_PUBLIC_BASE_URL).
PAGES = {
    "account_paused": "/admin",
    "token_expiring": "/admin",
    "delivery_needs_person": "/deliveries",
    "source_failing": "/audit",
    "job_failing": "/audit",
}


@dataclass(frozen=True)
class Event:
    kind: str
    key: str
    text: str  # Bahasa Indonesia, no personal data
    anchor: str = ""  # appended to the page's path ("?state=unknown", "#akun-3")

    def link(self, settings: Settings) -> str:
        return f"{settings.public_base_url.rstrip('/')}{PAGES[self.kind]}{self.anchor}"


@dataclass
class AlertCounts:
    raised: int = 0
    sent: int = 0
    retry: int = 0
    failed: int = 0
    unknown: int = 0
    stale_sending: int = 0


# --- raising ---------------------------------------------------------------------------------


def recipients(settings: Settings) -> list[tuple[str, str]]:
    """(channel, recipient) pairs configured; a channel without its credentials is off."""
    out: list[tuple[str, str]] = []
    if settings.alert_telegram_bot_token:
        out += [("telegram", chat) for chat in settings.alert_telegram_chats if chat]
    if settings.whatsapp_access_token and settings.whatsapp_phone_number_id:
        out += [("whatsapp", number) for number in settings.alert_whatsapp_numbers if number]
    return out


def raise_alert(session: Session, settings: Settings, event: Event) -> int:
    """Queue ``event`` for every recipient unless it was raised before; returns how many rows
    were new (0: told already). With no recipient configured the event is still recorded
    (state ``skipped``), so /metrics counts it and it is not told later by surprise.
    The caller commits."""
    targets = recipients(settings) or [("none", "")]
    now = utcnow()
    link = event.link(settings)
    rows = [
        {
            "dedupe_key": event.key,
            "kind": event.kind,
            "channel": channel,
            "recipient": recipient,
            "text": event.text,
            "link": link,
            "state": "pending" if channel != "none" else "skipped",
            "attempts": 0,
            "next_attempt_at": now,
            "claimed_by": "",
            "remote_id": "",
            "last_error": "",
            "created_at": now,
            "updated_at": now,
        }
        for channel, recipient in targets
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not the row count: psycopg reports -1 for a multi-row VALUES.
    new = len(
        session.execute(
            insert(Alert)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["dedupe_key", "channel", "recipient"])
            .returning(Alert.id)
        ).all()
    )
    if new:
        # The operations side ships warning lines too; ids only, never a recipient.
        log.warning("ALERT %s (%s): %d recipient(s)", event.kind, event.key, len(targets))
    return new


def account_paused(account: SocialAccount, audit_id: int | str) -> Event:
    return Event(
        "account_paused",
        f"account_paused:{account.id}:{audit_id}",
        f"⚠️ Akun {account.platform} {account.handle} dijeda: "
        f"{account.status_reason or account.status} Tidak ada kiriman ke akun ini sampai "
        "admin menyambungkan ulang dan melanjutkannya.",
        f"#akun-{account.id}",
    )


def delivery_needs_person(delivery_id: int, platform: str, audit_id: int | str) -> Event:
    return Event(
        "delivery_needs_person",
        f"delivery_needs_person:{delivery_id}:{audit_id}",
        f"⚠️ Kiriman #{delivery_id} ke {platform} tidak diketahui nasibnya dan platform tidak "
        "dapat dicari otomatis. Periksa akun, lalu tandai terbit (dengan tautannya) atau kirim "
        "ulang.",
        "?state=unknown",
    )


def _runs_failing(name: str, label: str, kind: str, streak: int, first_id: int) -> Event:
    return Event(
        kind,
        f"{kind}:{name}:{first_id}",
        f"⚠️ {label} {name} gagal {streak} kali berturut-turut. Periksa log dan catatan audit.",
    )


def token_expiring(account: SocialAccount, expires_at: datetime, now: datetime) -> Event:
    days = max(0, (expires_at - now).days)
    when = "sudah berakhir" if expires_at <= now else f"berakhir dalam {days} hari"
    return Event(
        "token_expiring",
        f"token_expiring:{account.id}:{int(expires_at.timestamp())}",
        f"⏳ Token akun {account.platform} {account.handle} {when} "
        f"({expires_at.strftime('%d-%m-%Y %H:%M')} UTC) dan tidak dapat diperbarui otomatis. "
        "Sambungkan ulang akun sebelum itu.",
        f"#akun-{account.id}",
    )


# --- the scan ----------------------------------------------------------------------------------


def _latest_audit(session: Session, action: str, since: datetime) -> dict[str, AuditLog]:
    """The latest audit entry of ``action`` per object since ``since``."""
    latest: dict[str, AuditLog] = {}
    for entry in session.scalars(
        select(AuditLog)
        .where(AuditLog.action == action, AuditLog.at >= since)
        .order_by(AuditLog.id)
    ):
        latest[entry.object_id] = entry
    return latest


def _failing_streaks(
    session: Session, table: Any, name_column: Any, in_a_row: int, since: datetime
) -> list[tuple[str, int, int]]:
    """(name, failed runs in a row, id of the first of them) for each name whose latest
    ``in_a_row`` finished runs all failed."""
    out: list[tuple[str, int, int]] = []
    names: list[Any] = list(
        session.scalars(select(name_column).where(table.started_at >= since).group_by(name_column))
    )
    for name in names:
        last_ok = session.scalar(
            select(func.max(table.id)).where(
                name_column == name, table.finished_at.is_not(None), table.error == ""
            )
        )
        failed = session.execute(
            select(func.count(), func.min(table.id)).where(
                name_column == name,
                table.finished_at.is_not(None),
                table.error != "",
                table.id > (last_ok or 0),
            )
        ).one()
        if failed[0] >= in_a_row:
            out.append((str(name), int(failed[0]), int(failed[1])))
    return out


def _expires_at(credentials: Any) -> datetime | None:
    """When a token that cannot renew itself expires (X with a refresh token renews itself)."""
    if not isinstance(credentials, dict) or credentials.get("refresh_token"):
        return None
    for key in ("token_expires_at", "expires_at"):
        raw = str(credentials.get(key) or "")
        if raw.isdigit() and int(raw) > 0:
            return datetime.fromtimestamp(int(raw), tz=UTC)
    return None


def scan(session: Session, settings: Settings, vault: Vault, now: datetime) -> list[Event]:
    """Every alert-worthy event standing now (raising them again is harmless)."""
    events: list[Event] = []
    since = now - LOOKBACK
    paused = _latest_audit(session, "account.paused", since)
    handed = _latest_audit(session, "delivery.needs_person", since)
    for account in session.scalars(select(SocialAccount).order_by(SocialAccount.id)):
        if account.status != "active":
            # Only a pause the outbox made (an admin's own "Jeda" is no news to the admins).
            entry = paused.get(str(account.id))
            if entry is not None:
                events.append(account_paused(account, entry.id))
        elif account.credentials:
            expires = _expires_at(vault.decrypt_json(account.credentials))
            if expires is not None and expires <= now + timedelta(days=settings.alert_token_days):
                events.append(token_expiring(account, expires, now))
    if handed:
        for delivery, platform in session.execute(
            select(Delivery.id, SocialAccount.platform)
            .join(SocialAccount, SocialAccount.id == Delivery.account_id)
            .where(
                Delivery.state == "unknown",
                Delivery.id.in_([int(i) for i in handed if i.isdigit()]),
            )
        ):
            events.append(delivery_needs_person(delivery, platform, handed[str(delivery)].id))
    in_a_row = settings.alert_failures_in_a_row
    for name, streak, first in _failing_streaks(
        session, SourceRun, SourceRun.source, in_a_row, since
    ):
        events.append(_runs_failing(name, "Sumber laporan", "source_failing", streak, first))
    for name, streak, first in _failing_streaks(session, JobRun, JobRun.job, in_a_row, since):
        if name != "alert":  # the alert job's own failures cannot be told by itself
            events.append(_runs_failing(name, "Tugas terjadwal", "job_failing", streak, first))
    return events


# --- sending -----------------------------------------------------------------------------------


def telegram_fields(chat: str, text: str) -> dict[str, str]:
    """``sendMessage`` fields; no link preview (a card of our login page helps no one)."""
    return {
        "chat_id": chat,
        "text": text,
        "link_preview_options": json.dumps({"is_disabled": True}),
    }


def telegram_send(client: httpx.Client, url: str, chat: str, text: str) -> str:
    """Bot API ``sendMessage``; returns the message id. Raises :class:`PlatformError` whose
    message names the status, never the URL (it holds the bot token) nor the chat.

    https://core.telegram.org/bots/api#making-requests: a failed answer is ``ok: false`` with
    ``error_code``; 429 carries ``parameters.retry_after`` (seconds)."""
    response = sending.post(client, url, data=telegram_fields(chat, text))
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 200 and isinstance(body, dict) and body.get("ok"):
        result = body.get("result")
        return str(result.get("message_id", "")) if isinstance(result, dict) else ""
    if response.status_code == 429:
        params = body.get("parameters") if isinstance(body, dict) else None
        after = params.get("retry_after") if isinstance(params, dict) else None
        seconds = float(after) if isinstance(after, int | float) else 30.0
        return_at = utcnow() + timedelta(seconds=seconds)
        raise RateLimited("Telegram: HTTP 429", retry_at=return_at)
    if response.status_code >= 500:
        raise UnknownOutcome(f"Telegram: HTTP {response.status_code}")
    raise PermanentError(f"refused by Telegram: HTTP {response.status_code}")


def whatsapp_send(ctx: AppContext, number: str, text: str, link: str) -> str:
    s = ctx.settings
    payload = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": number,
        "type": "template",
        "template": {
            "name": s.alert_whatsapp_template,
            "language": {"code": s.notify_template_language},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": p} for p in (text, link)],
                }
            ],
        },
    }
    return post_message(
        ctx.http,
        f"{s.whatsapp_graph_url.rstrip('/')}/{s.whatsapp_phone_number_id}/messages",
        {"Authorization": f"Bearer {s.whatsapp_access_token}"},
        payload,
    )


def message_text(row: Alert) -> str:
    return f"{row.text}\n\n🔗 {row.link}" if row.link else row.text


def _prepare(ctx: AppContext) -> Callable[[Session, Alert], Callable[[], str] | None]:
    s = ctx.settings
    telegram_url = f"{s.alert_telegram_api_base.rstrip('/')}/bot{s.alert_telegram_bot_token}"

    def prepare(session: Session, row: Alert) -> Callable[[], str] | None:
        if (row.channel, row.recipient) not in recipients(s):
            # The recipient was removed from the settings meanwhile: nobody to tell.
            row.state, row.last_error = "skipped", "recipient no longer configured"
            return None
        if row.channel == "telegram":
            return partial(
                telegram_send,
                ctx.http,
                f"{telegram_url}/sendMessage",
                row.recipient,
                message_text(row),
            )
        return partial(whatsapp_send, ctx, row.recipient, row.text, row.link)

    return prepare


def _settled(
    counts: AlertCounts,
) -> Callable[[Session, sending.Settled, str | None, PlatformError | None], None]:
    def on_settled(
        session: Session, settled: sending.Settled, remote: str | None, error: PlatformError | None
    ) -> None:
        row: Alert = settled.row
        row.claimed_by = ""
        if error is None:
            row.remote_id, row.sent_at, row.last_error = remote or "", utcnow(), ""
            counts.sent += 1
            return
        row.last_error = str(error)[:2000]
        if row.state == "pending":
            counts.retry += 1
            return
        counts.unknown += row.state == "unknown"
        counts.failed += row.state == "failed"
        audit.record(
            session,
            actor="system",
            action=f"alert.{row.state}",
            object_type="alert",
            object_id=row.id,
            kind=row.kind,
            channel=row.channel,
            error_class=error.reason,
        )

    return on_settled


def send_due(ctx: AppContext, *, now: datetime | None = None, limit: int = 100) -> AlertCounts:
    now = now or utcnow()
    counts = AlertCounts()
    with ctx.sessions() as session, session.begin():
        counts.stale_sending = len(
            sending.expire_stale(session, QUEUE, now, ctx.settings.sending_lease_s, updated_at=now)
        )
    with ctx.readonly_sessions() as session:
        due = sending.due_ids(session, QUEUE, now, limit)
    policy = sending.Policy(ctx.settings.alert_max_attempts, BACKOFF)
    prepare, on_settled = _prepare(ctx), _settled(counts)
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


def raise_all(session: Session, settings: Settings, events: Iterable[Event]) -> int:
    return sum(raise_alert(session, settings, event) for event in events)


def run(ctx: AppContext, *, now: datetime | None = None) -> AlertCounts:
    """One pass of the ``alert`` job: raise what stands now, send what is due."""
    now = now or utcnow()
    with ctx.sessions() as session, session.begin():
        raised = raise_all(session, ctx.settings, scan(session, ctx.settings, ctx.vault, now))
    counts = send_due(ctx)  # a fresh clock: what was just raised is due
    counts.raised = raised
    return counts
