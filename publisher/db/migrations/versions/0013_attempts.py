"""attempts: one table for every outbound call (was delivery_attempts + notification_attempts)

The rows move with their data. Old outcomes become the transport error model's words, the
finer word kept in ``reason``; the downgrade turns them back.

Revision ID: 0013_attempts
Revises: 0012_whatsapp_reply_claim
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_attempts"
down_revision = "0012_whatsapp_reply_claim"
branch_labels = None
depends_on = None

# A delivery attempt's old outcome was the error class; each maps to (outcome, reason).
_DELIVERY_OUTCOMES = {
    "retry": ("retry", "retry"),
    "rate_limited": ("wait", "rate_limited"),
    "needs_reconnect": ("reconnect", "needs_reconnect"),
    "permission": ("reconnect", "permission"),
    "invalid": ("permanent", "invalid"),
    "policy": ("permanent", "policy"),
    "duplicate": ("unknown", "duplicate"),
    "unknown": ("unknown", "unknown"),
    "lease_expired": ("unknown", "lease_expired"),
}


def _case(column: str, mapping: dict[str, str], default: str) -> str:
    whens = " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in mapping.items())
    return f"CASE {column} {whens} ELSE {default} END"


def _create_attempts() -> None:
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempts")),
    )
    op.create_index("ix_attempts_subject", "attempts", ["kind", "subject_id"], unique=False)


# The tables before 0013: (table, its subject's column, the subject's table).
_OLD_TABLES = (
    ("delivery_attempts", "delivery_id", "deliveries"),
    ("notification_attempts", "notification_id", "reporter_notifications"),
)


def _create_old_tables() -> None:
    for table, subject, parent in _OLD_TABLES:
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column(subject, sa.Integer(), nullable=False),
            sa.Column("worker", sa.String(length=80), nullable=False),
            sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("outcome", sa.String(length=30), nullable=False),
            sa.Column("error", sa.Text(), nullable=False),
            sa.ForeignKeyConstraint(
                [subject], [f"{parent}.id"], name=op.f(f"fk_{table}_{subject}_{parent}")
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_{subject}"), table, [subject])


def _drop_old_tables() -> None:
    for table, subject, _ in _OLD_TABLES:
        op.drop_index(op.f(f"ix_{table}_{subject}"), table_name=table)
        op.drop_table(table)


def _reset_sequence(table: str) -> None:
    # Explicit ids were copied: PostgreSQL's serial must continue after the highest one.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )


def upgrade() -> None:
    _create_attempts()
    outcome = _case("outcome", {k: v[0] for k, v in _DELIVERY_OUTCOMES.items()}, "outcome")
    reason = _case("outcome", {k: v[1] for k, v in _DELIVERY_OUTCOMES.items()}, "''")
    op.execute(
        "INSERT INTO attempts "
        "(kind, subject_id, worker, started_at, finished_at, outcome, reason, error) "
        f"SELECT 'delivery', delivery_id, worker, started_at, finished_at, {outcome}, {reason}, "
        "error FROM delivery_attempts ORDER BY id"
    )
    # Notifications said retry / failed / unknown / sent; "failed" was a refusal.
    outcome = _case("outcome", {"failed": "permanent"}, "outcome")
    reason = _case("outcome", {"failed": "invalid", "retry": "retry", "unknown": "unknown"}, "''")
    op.execute(
        "INSERT INTO attempts "
        "(kind, subject_id, worker, started_at, finished_at, outcome, reason, error) "
        f"SELECT 'notification', notification_id, worker, started_at, finished_at, {outcome}, "
        f"{reason}, error FROM notification_attempts ORDER BY id"
    )
    _drop_old_tables()


def downgrade() -> None:
    _create_old_tables()
    old = "CASE WHEN reason <> '' THEN reason ELSE outcome END"
    op.execute(
        "INSERT INTO delivery_attempts "
        "(id, delivery_id, worker, started_at, finished_at, outcome, error) "
        f"SELECT id, subject_id, worker, started_at, finished_at, {old}, error "
        "FROM attempts WHERE kind = 'delivery' ORDER BY id"
    )
    old = _case("outcome", {"permanent": "failed"}, "outcome")
    op.execute(
        "INSERT INTO notification_attempts "
        "(id, notification_id, worker, started_at, finished_at, outcome, error) "
        f"SELECT id, subject_id, worker, started_at, finished_at, {old}, error "
        "FROM attempts WHERE kind = 'notification' ORDER BY id"
    )
    for table, _, _ in _OLD_TABLES:
        _reset_sequence(table)
    # Attempts of other kinds (WhatsApp replies, digests) had no table before 0013.
    op.drop_index("ix_attempts_subject", table_name="attempts")
    op.drop_table("attempts")
