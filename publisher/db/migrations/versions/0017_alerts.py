"""alerts to admins (once per event), posts.media_version for reviewers' media changes, and
deliveries.marker widened to hold a report number (60) and its suffix

Revision ID: 0017_alerts
Revises: 0015_private_texts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_alerts"
down_revision = "0015_private_texts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remote_id", sa.String(length=200), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint(
            "dedupe_key",
            "channel",
            "recipient",
            name=op.f("uq_alerts_dedupe_key"),
        ),
    )
    op.create_index("ix_alerts_due", "alerts", ["state", "next_attempt_at"], unique=False)
    op.add_column(
        "posts", sa.Column("media_version", sa.Integer(), server_default="0", nullable=False)
    )

    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column(
            "marker",
            existing_type=sa.String(length=40),
            type_=sa.String(length=80),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column(
            "marker",
            existing_type=sa.String(length=80),
            type_=sa.String(length=40),
            existing_nullable=False,
        )
    # Not batch mode: recreating ``posts`` on SQLite would trip the deliveries' foreign key.
    op.drop_column("posts", "media_version")
    op.drop_index("ix_alerts_due", table_name="alerts")
    op.drop_table("alerts")
