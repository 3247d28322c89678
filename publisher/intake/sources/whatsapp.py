"""WhatsApp Cloud API intake: PICs send follow-up photos or videos to our business number.

A registered PIC (``users.phone_lookup``) sends e.g. a photo captioned
``TL LPR-2025-00123 jalan sudah ditambal``. Meta posts the message to our webhook
(:mod:`publisher.intake.routes`), signed with ``X-Hub-Signature-256: sha256=HMAC(app secret, raw
body)``. We attach it to that case as a WhatsApp follow-up, download the media through the
Graph API media endpoint (``GET /{media-id}`` -> ``url``, then ``GET url`` with the bearer
token), and answer the PIC in Bahasa Indonesia with ``POST /{phone-number-id}/messages``.

WhatsApp delivers an album as one message per photo with the caption on the first only, so a
photo without a code joins the case the same PIC named in the last :data:`ALBUM_WINDOW`.
Meta redelivers webhooks; ``whatsapp_messages.message_id`` is unique, so each message is
handled once. Unknown numbers get no answer (we keep no number of theirs).

Phone numbers are never stored in clear: a PIC's number is in ``users.phone_encrypted`` and
looked up by :func:`publisher.privacy.phones.phone_lookup`, a keyed hash (every configured key
is tried, so key rotation keeps look-ups working).

Our answers to PICs are sent by :mod:`publisher.outbox.sending` (:func:`send_replies`): a reply
is claimed and committed as ``sending`` with its attempt before the call, so a crash or a lost
answer leaves it ``unknown``, never sent twice::

    pending --claim--> sending --accepted--> sent
                          |--provably not sent (no connection, rate limit)--> pending
                          |--refused, or out of attempts--> failed
                          '--lost answer, server error, crash--> unknown

Errors (:mod:`publisher.core.errors`): a failed ``/messages`` call is a
:class:`~publisher.core.errors.RetryableError`, :class:`~publisher.core.errors.PermanentError`
or :class:`~publisher.core.errors.UnknownOutcome`
(:func:`publisher.outbox.whatsapp.post_message`, shared with :mod:`publisher.public.notify`).
Media problems surface as
:class:`~publisher.core.errors.MediaRejected` / :class:`~publisher.core.errors.DownloadFailed`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from publisher.core.clock import utcnow
from publisher.core.crypto import Vault
from publisher.core.errors import (
    DownloadFailed,
    MediaRejected,
)
from publisher.db import audit
from publisher.db.models import Case, FollowUp, Media, User, WhatsAppMessage
from publisher.intake.followups import Phase, case_phase, record_material
from publisher.intake.sources.download import WHATSAPP_SCHEME, Limits, download
from publisher.outbox import sending
from publisher.outbox.whatsapp import post_message
from publisher.privacy.phones import normalise_phone, phone_lookup, phone_lookups

log = logging.getLogger(__name__)

ALBUM_WINDOW = timedelta(minutes=30)
MAX_REPLY_ATTEMPTS = 5
MEDIA_KINDS = {"image": "photo", "video": "video"}
COMMAND = re.compile(r"^\s*TL[\s:.-]+([A-Za-z0-9][A-Za-z0-9/-]{2,59})\b[\s:.,-]*(.*)$", re.S | re.I)

# What we answer, per outcome. {tn} is the tracking number, {why} the media problem.
REPLIES: dict[str, str] = {
    "accepted": "Terima kasih. Tindak lanjut untuk laporan {tn} sudah kami terima.",
    "accepted_media": "Terima kasih. Foto/video tindak lanjut untuk laporan {tn} sudah diterima.",
    "unknown_case": "Laporan {tn} tidak ditemukan. Periksa kembali nomor laporannya.",
    "not_your_agency": "Laporan {tn} bukan milik instansi Anda, jadi tidak dapat kami lampirkan.",
    "no_case_code": (
        "Mohon sertakan nomor laporan, contoh: TL LPR-2025-00123 jalan sudah ditambal."
    ),
    "unreadable_media": "Berkas untuk laporan {tn} tidak dapat dibaca: {why} Mohon kirim ulang.",
    "unsupported": "Jenis pesan ini tidak didukung. Kirim foto atau video dengan keterangan.",
    # Issue 20: material for a case that already has posts says what became of it.
    "resubmission": (
        "Terima kasih. Tindak lanjut baru untuk laporan {tn} diterima dan menggantikan yang "
        "ditolak; akan ditinjau ulang."
    ),
    "before_publication": (
        "Terima kasih. Tambahan untuk laporan {tn} diterima; draf kiriman yang belum terbit "
        "diperbarui dan akan ditinjau ulang."
    ),
    "after_publication": (
        "Terima kasih. Kiriman laporan {tn} sudah terbit, jadi tambahan ini tidak mengubahnya: "
        "disimpan dan ditawarkan kepada peninjau sebagai kiriman lanjutan."
    ),
}


# Issue 20: what a PIC is told without having written first (sent like any answer, through
# publisher.outbox.sending). {tn} tracking number, {why} the reviewer's reason (scrubbed).
NOTICES: dict[str, str] = {
    "rejected": (
        "Tindak lanjut laporan {tn} ditolak peninjau. Alasan: {why} Kirim ulang dengan membalas "
        "TL {tn} disertai keterangan dan foto baru, atau lewat menu Kasus saya di aplikasi."
    ),
}


def notify_pic(
    session: Session, user_id: int | None, case: Case, kind: str, key: str, why: str = ""
) -> WhatsAppMessage | None:
    """Queue a notice to the PIC (:data:`NOTICES`); None when the PIC has no WhatsApp number
    or the same notice for the case still waits to be sent (several posts of a case rejected
    together make one message). The caller commits; the ``collect`` job (or the next webhook)
    sends it through :func:`send_replies`."""
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.active or user.phone_lookup is None:
        return None
    waiting = session.scalar(
        select(WhatsAppMessage.id).where(
            WhatsAppMessage.case_id == case.id,
            WhatsAppMessage.kind == "notice",
            WhatsAppMessage.outcome == kind,
            WhatsAppMessage.reply_state == "pending",
        )
    )
    if waiting is not None:
        return None
    row = WhatsAppMessage(
        message_id=f"notice:{kind}:{key}:{uuid.uuid4().hex}"[:200],
        sender_lookup=user.phone_lookup,
        user_id=user.id,
        case_id=case.id,
        kind="notice",
        outcome=kind,
        reply_text=NOTICES[kind].format(tn=case.tracking_number, why=why),
        reply_state="pending",
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def set_pic_phone(user: User, vault: Vault, secret_keys: Sequence[str], number: str) -> None:
    user.phone_encrypted = vault.encrypt(normalise_phone(number))
    user.phone_lookup = phone_lookup(secret_keys, number)


# --- webhook payloads ----------------------------------------------------------------------------


def signature_ok(app_secret: str, body: bytes, header: str | None) -> bool:
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


@dataclass(frozen=True)
class Inbound:
    message_id: str
    sender: str
    kind: str  # text, image, video, document, audio, sticker, location, ...
    text: str
    media_id: str = ""
    mime: str = ""


def inbound_messages(payload: Any) -> list[Inbound]:
    """The messages of a Cloud API webhook (statuses and other fields are ignored)."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise ValueError("not a whatsapp_business_account notification")
    found: list[Inbound] = []
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            for message in _dicts(value.get("messages")):
                inbound = _inbound(message)
                if inbound is not None:
                    found.append(inbound)
    return found


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _inbound(message: dict[str, Any]) -> Inbound | None:
    message_id, sender, kind = message.get("id"), message.get("from"), message.get("type")
    if not (isinstance(message_id, str) and isinstance(sender, str) and isinstance(kind, str)):
        return None
    body = message.get(kind)
    body = body if isinstance(body, dict) else {}
    text = body.get("body") if kind == "text" else body.get("caption")
    media_id = body.get("id") if kind in ("image", "video", "document") else ""
    return Inbound(
        message_id=message_id,
        sender=sender,
        kind=kind,
        text=text.strip() if isinstance(text, str) else "",
        media_id=media_id if isinstance(media_id, str) else "",
        mime=str(body.get("mime_type") or ""),
    )


def parse_command(text: str) -> tuple[str, str] | None:
    """``TL LPR-2025-00123 jalan sudah ditambal`` -> ("LPR-2025-00123", "jalan sudah ...")."""
    match = COMMAND.match(text)
    if match is None:
        return None
    return match.group(1).upper(), match.group(2).strip()


# --- handling -------------------------------------------------------------------------------------


def handle_inbound(
    session: Session, vault: Vault, secret_keys: Sequence[str], inbound: Inbound
) -> WhatsAppMessage | None:
    """Record and act on one message; None if it was handled before. The caller commits."""
    lookups = phone_lookups(secret_keys, inbound.sender)
    row = WhatsAppMessage(
        message_id=inbound.message_id, sender_lookup=lookups[0], kind=inbound.kind
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None  # Meta redelivered a message we already have
    user = session.scalar(select(User).where(User.phone_lookup.in_(lookups), User.active.is_(True)))
    if user is None or user.role != "pic":
        row.outcome, row.reply_state = "unknown_pic", "none"
        log.info("whatsapp message %s from an unregistered number ignored", row.id)
        return row
    row.user_id = user.id
    media_kind = _media_kind(inbound)
    if inbound.kind not in ("text", "image", "video", "document") or (
        inbound.kind != "text" and media_kind is None
    ):
        return _answer(row, "unsupported", "")
    command = parse_command(inbound.text)
    case: Case | None
    if command is None:
        case = _album_case(session, user) if media_kind else None
        if case is None:
            return _answer(row, "no_case_code", "")
        action = ""
    else:
        tracking, action = command
        case = session.scalar(select(Case).where(func.upper(Case.tracking_number) == tracking))
        if case is None:
            return _answer(row, "unknown_case", tracking)
    row.case_id = case.id
    if case.agency_id != user.agency_id:
        row.case_id = None
        return _answer(row, "not_your_agency", case.tracking_number)
    phase = case_phase(session, case.id)
    follow_up = _follow_up(session, case, user, inbound, action, phase)
    applied = record_material(
        session,
        case.id,
        follow_up,
        phase,
        actor=f"user:{user.id}",
        channel="whatsapp",
        media=1 if media_kind is not None else 0,
        note=bool(action),
    )
    if media_kind is not None:
        position = session.scalar(
            select(func.count()).select_from(Media).where(Media.follow_up_id == follow_up.id)
        )
        media = Media(
            follow_up_id=follow_up.id,
            position=position or 0,
            source_url=f"{WHATSAPP_SCHEME}{inbound.media_id}",
            kind=media_kind,
            supplied_by="pic",
            state="pending",
        )
        session.add(media)
        session.flush()
        row.media_row_id = media.id
        # The answer waits for the download: accepted, or why the file is unreadable.
        row.outcome, row.reply_state = "accepted", "waiting"
        key = "accepted_media" if applied == "new" else applied
        row.reply_text = REPLIES[key].format(tn=case.tracking_number)
    else:
        _answer(row, "accepted", case.tracking_number)
        if applied != "new":
            row.reply_text = REPLIES[applied].format(tn=case.tracking_number)
    audit.record(
        session,
        actor=f"user:{user.id}",
        action="followup.whatsapp",
        object_type="case",
        object_id=case.id,
        follow_up_id=follow_up.id,
        message=row.id,
    )
    return row


def _media_kind(inbound: Inbound) -> str | None:
    if inbound.kind in MEDIA_KINDS:
        return MEDIA_KINDS[inbound.kind]
    if inbound.kind == "document" and inbound.mime.startswith(("image/", "video/")):
        return "photo" if inbound.mime.startswith("image/") else "video"
    return None


def _answer(row: WhatsAppMessage, outcome: str, tracking: str, why: str = "") -> WhatsAppMessage:
    row.outcome = outcome
    key = outcome if outcome in REPLIES else "unsupported"
    row.reply_text = REPLIES[key].format(tn=tracking, why=why)
    row.reply_state = "pending"
    return row


def _album_case(session: Session, user: User) -> Case | None:
    since = utcnow() - ALBUM_WINDOW
    case_id = session.scalar(
        select(WhatsAppMessage.case_id)
        .where(
            WhatsAppMessage.user_id == user.id,
            WhatsAppMessage.case_id.is_not(None),
            WhatsAppMessage.outcome == "accepted",
            WhatsAppMessage.received_at >= since,
        )
        .order_by(WhatsAppMessage.id.desc())
        .limit(1)
    )
    return session.get(Case, case_id) if case_id is not None else None


def _follow_up(
    session: Session, case: Case, user: User, inbound: Inbound, action: str, phase: Phase
) -> FollowUp:
    """The PIC's follow-up of the last :data:`ALBUM_WINDOW` this message joins, or a new one.
    A resubmission always starts a new one; after publication only material kept aside is
    joined, so nothing is added to what was published."""
    since = utcnow() - ALBUM_WINDOW
    follow_up = session.scalar(
        select(FollowUp)
        .where(
            FollowUp.case_id == case.id,
            FollowUp.pic_user_id == user.id,
            FollowUp.channel == "whatsapp",
            FollowUp.submitted_at >= since,
            FollowUp.replaced_by_id.is_(None),
            FollowUp.after_publication.is_(phase == "after_publication"),
        )
        .order_by(FollowUp.id.desc())
        .limit(1)
    )
    if phase == "resubmission":
        follow_up = None
    if follow_up is None:
        follow_up = FollowUp(
            case_id=case.id,
            external_id=f"wa:{inbound.message_id}"[:120],
            pic_user_id=user.id,
            action_text=action,
            submitted_at=utcnow(),
            channel="whatsapp",
        )
        session.add(follow_up)
        session.flush()
    elif action:
        follow_up.action_text = action
    return follow_up


# --- the Graph API --------------------------------------------------------------------------------


class Graph:
    """The two Cloud API calls we make: fetch a media file, send a text message."""

    def __init__(
        self, client: httpx.Client, base_url: str, token: str, limits: Limits | None = None
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.limits = limits or Limits()

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def media_bytes(self, media_id: str) -> bytes:
        """``GET /{media-id}`` for the short-lived URL, then the file with the same token."""
        try:
            response = self.client.get(f"{self.base_url}/{media_id}", headers=self._auth)
        except httpx.HTTPError as exc:
            raise DownloadFailed(f"media lookup: {type(exc).__name__}") from None
        if response.status_code in (400, 404):
            raise MediaRejected(
                f"media id unknown to the Graph API (HTTP {response.status_code})",
                "Berkas sudah tidak tersedia di WhatsApp.",
            )
        if response.status_code != 200:
            raise DownloadFailed(f"media lookup: HTTP {response.status_code}")
        try:
            info = response.json()
        except ValueError:
            raise DownloadFailed("media lookup answered something other than JSON") from None
        url = info.get("url") if isinstance(info, dict) else None
        if not isinstance(url, str):
            raise DownloadFailed("media lookup answered no url")
        size = str(info.get("file_size", ""))
        if size.isdigit() and int(size) > self.limits.max_bytes:
            raise MediaRejected(
                f"file_size {size} is over the {self.limits.max_bytes} byte cap",
                "Berkas terlalu besar.",
            )
        return download(self.client, url, headers=self._auth, limits=self.limits)

    def send_text(self, phone_number_id: str, to: str, body: str) -> str:
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": False, "body": body},
        }
        return post_message(
            self.client, f"{self.base_url}/{phone_number_id}/messages", self._auth, payload
        )


def finish_media_messages(session: Session) -> int:
    """Turn messages whose media download settled into their final answer. Returns how many."""
    rows = session.execute(
        select(WhatsAppMessage, Media, Case)
        .join(Media, Media.id == WhatsAppMessage.media_row_id)
        .join(Case, Case.id == WhatsAppMessage.case_id)
        .where(WhatsAppMessage.reply_state == "waiting", Media.state != "pending")
    ).all()
    for message, media, case in rows:
        if media.state == "ok":
            message.reply_state = "pending"
        else:
            text = media.reject_message or _user_reason(media.reject_reason)
            _answer(message, "unreadable_media", case.tracking_number, text)
    return len(rows)


def _user_reason(reason: str) -> str:
    """Media reasons in English (logs) -> what the PIC reads."""
    table = (
        ("byte cap", "berkas terlalu besar."),
        ("format", "format berkas tidak didukung."),
        ("not a readable", "berkas bukan foto/video yang dapat dibaca."),
        ("unknown to the Graph", "berkas sudah tidak tersedia di WhatsApp."),
    )
    for needle, text in table:
        if needle in reason:
            return text
    return "berkas tidak dapat diunduh."


# A reply left ``sending`` longer than this was cut off by a crash (a Graph call gives up long
# before: the shared client's timeout).
REPLY_LEASE = timedelta(minutes=5)


REPLY_QUEUE = sending.Queue(
    "whatsapp_reply",
    WhatsAppMessage,
    state="reply_state",
    attempts="reply_attempts",
    claimed_at="reply_claimed_at",
    claimed_by=None,
    next_attempt_at=None,
)


def send_replies(
    sessions: sessionmaker[Session],
    vault: Vault,
    graph: Graph,
    phone_number_id: str,
    *,
    limit: int = 100,
    worker: str = "whatsapp",
) -> dict[str, int]:
    """Send pending answers to their PICs, each claimed and committed before its call.

    Returns counts: ``sent``, ``failed``, ``retry_later``, ``unknown`` (this pass's lost
    answers and server errors, and replies a crashed process left ``sending``)."""
    counts = {"sent": 0, "failed": 0, "retry_later": 0, "unknown": 0}
    now = utcnow()
    with sessions() as session, session.begin():
        stale = sending.expire_stale(session, REPLY_QUEUE, now, REPLY_LEASE.total_seconds())
        counts["unknown"] += len(stale)
        due = sending.due_ids(
            session, REPLY_QUEUE, now, limit, WhatsAppMessage.user_id.is_not(None)
        )

    def prepare(session: Session, message: WhatsAppMessage) -> Callable[[], str] | None:
        user = session.get(User, message.user_id) if message.user_id is not None else None
        if user is None or user.phone_encrypted is None:
            message.reply_state = "failed"
            return None
        to, text = vault.decrypt(user.phone_encrypted), message.reply_text
        return lambda: graph.send_text(phone_number_id, to, text)

    policy = sending.Policy(MAX_REPLY_ATTEMPTS)
    for message_id in due:
        sent = sending.send_one(
            sessions,
            REPLY_QUEUE,
            message_id,
            worker=worker,
            now=utcnow(),
            policy=policy,
            prepare=prepare,
            on_settled=lambda *_: None,
        )
        if sent is not None:  # None: another process took it
            counts["retry_later" if sent.state == "pending" else sent.state] += 1
    return counts
