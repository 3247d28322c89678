"""The data model. Every table the product uses is declared here, typed.

States are plain strings checked against the tuples below (portable across SQLite and
PostgreSQL, readable in SQL); the state machines live in the modules that change them
(``publisher.review.actions``, ``publisher.outbox.deliveries``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from publisher.core.clock import utcnow
from publisher.db.encrypted import EncryptedText

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ACCOUNT_STATUSES = ("active", "needs_reconnect", "paused")
# pimpinan: leadership (the regent and her staff) reads figures only, never personal data.
ROLES = ("pic", "reviewer", "admin", "pimpinan")
PRIVACY_MODES = ("normal", "anonim", "rahasia")
CASE_STATUSES = ("received", "in_progress", "resolved", "closed")
SUPPLIERS = ("pic", "reporter")
MEDIA_STATES = ("pending", "ok", "rejected")
SCREENING_DECISIONS = ("pass", "review", "block", "manual")
REVIEW_STATES = ("pending_review", "approved", "rejected", "blocked", "withdrawn")
DELIVERY_STATES = (
    "pending",
    "sending",
    "published",
    "failed",
    "unknown",
    "cancelled",
    "taken_down",  # issue 8: deleted from the platform by `lapor post takedown`
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which stores naive) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use publisher.core.clock.utcnow()")
        from datetime import UTC

        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        from datetime import UTC

        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Kecamatan(Base):
    __tablename__ = "kecamatan"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # Kemendagri code, e.g. 33.28.01
    name: Mapped[str] = mapped_column(String(80), unique=True)


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # dinas / badan / kecamatan / bumd / vertikal
    kecamatan_id: Mapped[int | None] = mapped_column(ForeignKey("kecamatan.id"))

    accounts: Mapped[list[SocialAccount]] = relationship(back_populates="agency")


class SocialAccount(Base):
    __tablename__ = "social_accounts"
    __table_args__ = (UniqueConstraint("platform", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    handle: Mapped[str] = mapped_column(String(120))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    # Encrypted JSON (Vault): tokens, chat ids, API base URL overrides.
    credentials: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="active")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    max_posts_per_hour: Mapped[int] = mapped_column(Integer, default=10)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # --- publishing (issue 8): spacing and a daily window in local time ("" = any time) ---
    min_spacing_s: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    window_start: Mapped[str] = mapped_column(String(5), default="", server_default="")
    window_end: Mapped[str] = mapped_column(String(5), default="", server_default="")

    agency: Mapped[Agency] = relationship(back_populates="accounts")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Encrypted: a PIC's WhatsApp number identifies them; kept with a keyed hash for look-ups.
    phone_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_lookup: Mapped[str | None] = mapped_column(String(64), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_cases_agency_status", "agency_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(120))
    tracking_number: Mapped[str] = mapped_column(String(60), unique=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    category: Mapped[str] = mapped_column(String(80), default="")
    kecamatan: Mapped[str] = mapped_column(String(80), default="")
    desa: Mapped[str] = mapped_column(String(80), default="")
    # Encrypted at rest (issue #16): reporters write their own and their neighbours' identities.
    complaint_text: Mapped[str] = mapped_column(EncryptedText, default="")
    privacy_mode: Mapped[str] = mapped_column(String(10), default="normal")
    # Encrypted JSON of every reporter field (name, phone, nik, address, email). Never rendered.
    reporter: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Encrypted JSON of the party complained about, when the source gives it: a detector input.
    reported_party: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="received")
    reported_at: Mapped[datetime | None] = mapped_column()
    first_response_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    # Hash of the normalised record: an unchanged re-feed is a no-op, not an update.
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # --- intake (0002_intake): the source's own updated_at, so an older record arriving late
    # (a replayed push, a slow collector) never overwrites a newer one.
    source_updated_at: Mapped[datetime | None] = mapped_column()

    agency: Mapped[Agency | None] = relationship()
    follow_ups: Mapped[list[FollowUp]] = relationship(back_populates="case", order_by="FollowUp.id")

    @property
    def active_follow_ups(self) -> list[FollowUp]:
        """What a draft is made of: the follow-ups neither replaced by a resubmission nor kept
        aside because they arrived after publication (issue 20)."""
        return [f for f in self.follow_ups if f.replaced_by_id is None and not f.after_publication]

    @property
    def current_follow_up(self) -> FollowUp | None:
        """The active follow-up whose note a caption uses: the latest with a note (a late photo
        sent by WhatsApp without one does not erase it), else the latest."""
        active = self.active_follow_ups
        with_note = [f for f in active if f.action_text.strip()]
        chosen = with_note or active
        return chosen[-1] if chosen else None


class FollowUp(Base):
    __tablename__ = "follow_ups"
    __table_args__ = (UniqueConstraint("case_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(120))
    pic_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action_text: Mapped[str] = mapped_column(EncryptedText)  # encrypted at rest (issue #16)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    channel: Mapped[str] = mapped_column(String(20), default="feed")  # feed / web / whatsapp
    # --- issue 20 (0018_pic_followups) ---
    # A resubmission after a rejection replaces the earlier follow-ups in review; they are kept.
    # (the id of the follow-up that replaced it; no foreign key, see 0018_pic_followups)
    replaced_by_id: Mapped[int | None] = mapped_column(Integer)
    # Arrived after the case was published: kept, offered as a follow-up post, never re-drafted.
    after_publication: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    case: Mapped[Case] = relationship(back_populates="follow_ups")
    media: Mapped[list[Media]] = relationship(order_by="Media.position")


class Media(Base):
    __tablename__ = "media"
    __table_args__ = (UniqueConstraint("follow_up_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    source_url: Mapped[str] = mapped_column(Text, default="")
    # Content address of the sanitised file (empty until downloaded and accepted).
    sha256: Mapped[str] = mapped_column(String(64), default="", index=True)
    kind: Mapped[str] = mapped_column(String(10), default="photo")  # photo / video
    mime: Mapped[str] = mapped_column(String(40), default="")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    supplied_by: Mapped[str] = mapped_column(String(10), default="pic")
    phase: Mapped[str] = mapped_column(String(10), default="")  # before / after / ""
    state: Mapped[str] = mapped_column(String(10), default="pending")
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The sanitised copy before face blurring lives in the private store (never served); a
    # reviewer may publish it only with a recorded reason.
    unblurred_sha256: Mapped[str] = mapped_column(String(64), default="", server_default="")
    face_boxes: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    held_for_review: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # Personal data and plates written in the photo and blurred in it ({x, y, width, height,
    # kind} each); NULL while the text has not been read (web uploads: drafting reads it).
    text_regions: Mapped[list[Any] | None] = mapped_column(
        JSON(none_as_null=True), default=None, nullable=True
    )
    # Why it was refused, in Bahasa Indonesia, for the PIC (reject_reason is the English log text).
    reject_message: Mapped[str] = mapped_column(Text, default="", server_default="")


class Screening(Base):
    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    model_version: Mapped[str] = mapped_column(String(80))
    score: Mapped[float | None] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    # Kinds and offsets only: the matched text itself is personal data and is never stored here.
    pii_findings: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("case_id", "account_id"),
        Index("ix_posts_review_queue", "review_state", "risk_score", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("social_accounts.id"), index=True)
    screening_id: Mapped[int | None] = mapped_column(ForeignKey("screenings.id"))
    caption: Mapped[str] = mapped_column(Text)
    media: Mapped[list[Any]] = mapped_column(default=list)  # [{"sha256", "kind", "mime"}]
    risk_score: Mapped[float] = mapped_column(Float, default=0.0)
    review_state: Mapped[str] = mapped_column(String(20), default="pending_review")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str] = mapped_column(EncryptedText, default="")  # encrypted (issue #16)
    reviewed_at: Mapped[datetime | None] = mapped_column()
    scheduled_for: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Findings a reviewer marked as not personal data: [{"key": sha256(kind, text), "kind", "by"}].
    pii_allowed: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    # Bumped by each reviewer change of ``media`` (remove, reorder): the change is a
    # conditional UPDATE on the version the reviewer saw, so two tabs never undo each other.
    media_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # --- issue 20 (0018_pic_followups) ---
    # New material arrived before publication: the render job re-drafts the post in place.
    redraft_requested_at: Mapped[datetime | None] = mapped_column()
    # What changed, for the reviewer (counts and channels, never the material itself).
    changes: Mapped[str] = mapped_column(Text, default="", server_default="")

    case: Mapped[Case] = relationship()
    account: Mapped[SocialAccount] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="post")


class Delivery(Base):
    """The outbox: one row per post and account, claimed atomically by workers."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("post_id", "account_id"),
        Index("ix_deliveries_claim", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("social_accounts.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    claimed_at: Mapped[datetime | None] = mapped_column()
    # How a reconciler finds the post: the case's public report number, as the caption shows
    # it ("No. laporan: LPR-..."), with a short suffix for a later post of the same case on the
    # same account (publisher.platforms.base.case_marker). Older rows: "LBT-<post>-<hex>".
    marker: Mapped[str] = mapped_column(String(80), default="")
    remote_id: Mapped[str] = mapped_column(String(200), default="")
    remote_url: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_class: Mapped[str] = mapped_column(String(30), default="")
    published_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # --- publishing (issue 8) ---
    # An adapter's committed progress (Instagram's container id, X's text hash), saved before
    # the call that makes the post visible so the reconciler can settle by it.
    platform_state: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    taken_down_at: Mapped[datetime | None] = mapped_column()

    post: Mapped[Post] = relationship(back_populates="deliveries")
    account: Mapped[SocialAccount] = relationship()


ATTEMPT_KINDS = ("delivery", "notification", "whatsapp_reply", "digest", "alert", "review_notice")


class Attempt(Base):
    """One outbound call, committed *before* it is made (:mod:`publisher.outbox.sending`).

    ``kind`` names what was sent (:data:`ATTEMPT_KINDS`) and ``subject_id`` its row (a delivery,
    a reporter notification, a WhatsApp message, an agency for a digest). ``outcome`` is
    ``started`` until settled, then ``published``/``sent`` or one word of the transport error
    model (``retry``, ``wait``, ``reconnect``, ``permanent``, ``unknown``); ``reason`` keeps
    the finer word (``rate_limited``, ``permission``, ``lease_expired``, ...).
    """

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_subject", "kind", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(30), default="started")
    reason: Mapped[str] = mapped_column(String(30), default="")
    error: Mapped[str] = mapped_column(Text, default="")


class AuditLog(Base):
    """Append-only (triggers refuse UPDATE and DELETE on both databases)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(60))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Quarantine(Base):
    """Records we could not accept, with the reason. The payload may hold personal data."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40), index=True)
    external_id: Mapped[str] = mapped_column(String(120), default="")
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted raw record
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()


class SourceState(Base):
    __tablename__ = "source_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    cursor: Mapped[str] = mapped_column(Text, default="")
    last_run_at: Mapped[datetime | None] = mapped_column()
    last_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_error: Mapped[str] = mapped_column(Text, default="")


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    # --- operations (issue 10): which scheduler process ran it (host:pid) ---
    runner: Mapped[str] = mapped_column(String(120), default="", server_default="")


# --- operations (issue 10) ------------------------------------------------------------------


class SchedulerLock(Base):
    """A lease: only the holder of an unexpired row may tick (one scheduler per database).

    Renewed by the holder's heartbeat; ``/readyz`` reads ``heartbeat_at`` to tell whether a
    scheduler is alive. Taken with a conditional UPDATE, so it works on SQLite and PostgreSQL.
    """

    __tablename__ = "scheduler_lock"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120), default="", server_default="")
    acquired_at: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()


# --- posts: agency-level caption template overrides (issue 7, publisher/posts/overrides.py) ---


class TemplateOverride(Base):
    """An agency's own caption template for one platform and kind, validated when saved."""

    __tablename__ = "template_overrides"
    __table_args__ = (UniqueConstraint("agency_id", "platform", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))  # photo / video / before_after
    source: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- intake (0002_intake) ----------------------------------------------------------------------


class SourceRun(Base):
    """One run of one case source: what it fetched and stored, and why it stopped if it did."""

    __tablename__ = "source_runs"
    __table_args__ = (Index("ix_source_runs_source_started", "source", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    # fetched, new, updated, unchanged, stale, quarantined, errors
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text, default="")


class PushReceipt(Base):
    """Signatures of accepted pushes, kept for the replay window: the same signed body twice
    is a replay and is refused."""

    __tablename__ = "push_receipts"

    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


WHATSAPP_OUTCOMES = (
    "accepted",
    "unknown_pic",
    "unknown_case",
    "not_your_agency",
    "no_case_code",
    "unreadable_media",
    "unsupported",
)


class WhatsAppMessage(Base):
    """Every inbound WhatsApp message, once (Meta redelivers webhooks), with our answer.

    The sender is kept only as the keyed hash (``User.phone_lookup``); the reply is sent to
    the PIC's number decrypted from their user row, so no phone number is stored here."""

    __tablename__ = "whatsapp_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    sender_lookup: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    media_row_id: Mapped[int | None] = mapped_column(ForeignKey("media.id"))
    kind: Mapped[str] = mapped_column(String(20), default="text")
    outcome: Mapped[str] = mapped_column(String(30), default="accepted")
    reply_text: Mapped[str] = mapped_column(Text, default="")
    # pending -> sending -> sent | failed | unknown (see publisher.intake.sources.whatsapp)
    reply_state: Mapped[str] = mapped_column(String(10), default="pending")
    reply_attempts: Mapped[int] = mapped_column(Integer, default=0)
    reply_claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "Agency",
    "Attempt",
    "AuditLog",
    "Base",
    "Case",
    "ContactRequest",
    "Delivery",
    "FollowUp",
    "JobRun",
    "Kecamatan",
    "LoginThrottle",
    "Media",
    "Post",
    "PushReceipt",
    "Quarantine",
    "ReviewExample",
    "SchedulerLock",
    "Screening",
    "SocialAccount",
    "SourceRun",
    "SourceState",
    "TemplateOverride",
    "User",
    "WebSession",
    "WhatsAppMessage",
]


# --- web app (issue 9): server-side sessions and login throttling -----------------------------


class WebSession(Base):
    """A signed-in browser. Only the SHA-256 of the cookie value is stored, so a leaked
    database does not hand out live sessions; ``revoked_at`` ends it (logout everywhere)."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class LoginThrottle(Base):
    """Failed logins per key (a hashed username or a client address) in a sliding window."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()


# The review queue's order (risk high to low, then oldest, then id) for one state at a time, so
# a page is read straight off the index and keyset paging seeks instead of sorting
# (bench/review_queue.py). ``ix_posts_review_queue`` cannot serve the mixed directions.
Index(
    "ix_posts_queue_order",
    Post.review_state,
    Post.risk_score.desc(),
    Post.created_at,
    Post.id,
)


# --- classifier: reviewers' decisions as training examples (lead) --------------------------


class ReviewExample(Base):
    """A reviewer's decision that says what the model should have said: a reject-as-conflict
    (label ``conflict``) or a released block (label ``general``). Read by the retrain job."""

    __tablename__ = "review_examples"
    __table_args__ = (UniqueConstraint("case_id", "origin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    label: Mapped[str] = mapped_column(String(10))
    origin: Mapped[str] = mapped_column(String(20))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- public page and reporter notification (issue 11: publisher/public/routes.py, notify.py) ----

NOTIFICATION_KINDS = ("published", "handled")
# pending -> sending -> sent | pending (retry later) | failed | unknown (never re-sent);
# skipped: nothing to send (no WhatsApp number, opted out, too old) — kept so it is decided once.
NOTIFICATION_STATES = ("pending", "sending", "sent", "failed", "unknown", "skipped")


class ReporterNotification(Base):
    """One private WhatsApp template message to a case's reporter, decided once per case.

    The phone number is never stored here: it is decrypted from ``cases.reporter`` at send time.
    """

    __tablename__ = "reporter_notifications"
    __table_args__ = (Index("ix_reporter_notifications_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # published / handled
    state: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str] = mapped_column(String(60), default="")  # why skipped / failed (no PII)
    template: Mapped[str] = mapped_column(String(120), default="")
    link: Mapped[str] = mapped_column(Text, default="")
    # Sent as biz_opaque_callback_data: a status webhook carrying it settles an ``unknown``.
    marker: Mapped[str] = mapped_column(String(40), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    claimed_at: Mapped[datetime | None] = mapped_column()
    remote_id: Mapped[str] = mapped_column(String(200), default="")  # wamid
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WhatsAppOptOut(Base):
    """A number that replied STOP: only its keyed hash (``privacy.phones.phone_lookup``)."""

    __tablename__ = "whatsapp_opt_outs"

    phone_lookup: Mapped[str] = mapped_column(String(64), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(default=utcnow)


ALERT_KINDS = (
    "account_paused",
    "delivery_needs_person",
    "source_failing",
    "job_failing",
    "token_expiring",
)


class Alert(Base):
    """One message to one admin recipient about one event (:mod:`publisher.outbox.alerts`).

    ``dedupe_key`` names the event (``account_paused:3:17``); the unique constraint with the
    channel and recipient makes raising a conditional insert, so an event is told once however
    often the job or the place it happened raises it. The text carries ids and public account
    handles only, never a reporter's data.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("dedupe_key", "channel", "recipient"),
        Index("ix_alerts_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # ALERT_KINDS
    channel: Mapped[str] = mapped_column(String(20))  # telegram / whatsapp
    recipient: Mapped[str] = mapped_column(String(120))  # an admin chat id or number
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    claimed_at: Mapped[datetime | None] = mapped_column()
    remote_id: Mapped[str] = mapped_column(String(200), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# Published deliveries newest first: the public page's snapshot reads them straight off this.
Index("ix_deliveries_published", Delivery.state, Delivery.published_at)

# --- issue 23: the dashboard's aggregate queries (0021) -------------------------------------
# A case's follow-ups in order with their PIC: each case's first and latest follow-up without a
# sort (publisher/monitoring/stats.py).
Index(
    "ix_follow_ups_case_order",
    FollowUp.case_id,
    FollowUp.submitted_at,
    FollowUp.id,
    FollowUp.pic_user_id,
)


# --- issue 20: a PIC's request for a reporter's contact, decided by an admin (0018) -----------

CONTACT_STATES = ("requested", "granted", "refused")
CONTACT_OUTCOMES = ("confirmed", "not_reachable", "withdrawn")


class ContactRequest(Base):
    """A PIC asks for a case's reporter contact to clarify the complaint (the regent's
    procedure); an admin grants or refuses. A grant shows the phone (and name) to that PIC for
    that case only, until ``expires_at``; every view is audited
    (:mod:`publisher.intake.contact`). The contact itself is never copied here: it is read from
    ``cases.reporter`` when the PIC opens the page."""

    __tablename__ = "contact_requests"
    __table_args__ = (Index("ix_contact_requests_case_pic", "case_id", "pic_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    pic_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)  # scrubbed of the case's identities
    state: Mapped[str] = mapped_column(String(20), default="requested")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_note: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(20), default="")
    outcome_at: Mapped[datetime | None] = mapped_column()
