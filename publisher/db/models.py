"""The data model. Every table the product uses is declared here, typed.

States are plain strings checked against the tuples below (portable across SQLite and
PostgreSQL, readable in SQL); the state machines live in the modules that change them
(``publisher.review``, ``publisher.outbox``).
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
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from publisher.clock import utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PLATFORMS = ("folder", "telegram", "facebook", "instagram", "x")
ACCOUNT_STATUSES = ("active", "needs_reconnect", "paused")
ROLES = ("pic", "reviewer", "admin")
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
            raise ValueError("naive datetime given; use publisher.clock.utcnow()")
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
    complaint_text: Mapped[str] = mapped_column(Text, default="")
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

    agency: Mapped[Agency | None] = relationship()
    follow_ups: Mapped[list[FollowUp]] = relationship(back_populates="case", order_by="FollowUp.id")


class FollowUp(Base):
    __tablename__ = "follow_ups"
    __table_args__ = (UniqueConstraint("case_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(120))
    pic_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action_text: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    channel: Mapped[str] = mapped_column(String(20), default="feed")  # feed / web / whatsapp

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
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column()
    scheduled_for: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

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
    # A per-delivery marker included in the request, so a reconciler can find the post.
    marker: Mapped[str] = mapped_column(String(40), default="")
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


class DeliveryAttempt(Base):
    """Written and committed *before* each platform call: the record of what we tried."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    worker: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(30), default="started")
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


__all__ = [
    "Agency",
    "AuditLog",
    "Base",
    "Case",
    "Delivery",
    "DeliveryAttempt",
    "FollowUp",
    "JobRun",
    "Kecamatan",
    "Media",
    "Post",
    "Quarantine",
    "Screening",
    "SocialAccount",
    "SourceState",
    "User",
]
