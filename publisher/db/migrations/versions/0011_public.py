"""public page and reporter notification: notifications, their attempts, opt-outs, an index

Revision ID: 0011_public
Revises: 0010_publishing (main's head when branched; the lead re-chains at merge)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0011_public"
down_revision = "0010_publishing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reporter_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("template", sa.String(length=120), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("marker", sa.String(length=40), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remote_id", sa.String(length=200), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_reporter_notifications_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporter_notifications")),
        sa.UniqueConstraint("case_id", name=op.f("uq_reporter_notifications_case_id")),
    )
    op.create_index(
        "ix_reporter_notifications_due",
        "reporter_notifications",
        ["state", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "notification_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["reporter_notifications.id"],
            name=op.f("fk_notification_attempts_notification_id_reporter_notifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_attempts")),
    )
    op.create_index(
        op.f("ix_notification_attempts_notification_id"),
        "notification_attempts",
        ["notification_id"],
        unique=False,
    )
    op.create_table(
        "whatsapp_opt_outs",
        sa.Column("phone_lookup", sa.String(length=64), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone_lookup", name=op.f("pk_whatsapp_opt_outs")),
    )
    op.create_index(
        "ix_deliveries_published", "deliveries", ["state", "published_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_published", table_name="deliveries")
    op.drop_table("whatsapp_opt_outs")
    op.drop_index(
        op.f("ix_notification_attempts_notification_id"), table_name="notification_attempts"
    )
    op.drop_table("notification_attempts")
    op.drop_index("ix_reporter_notifications_due", table_name="reporter_notifications")
    op.drop_table("reporter_notifications")
