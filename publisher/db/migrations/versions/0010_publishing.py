"""publishing: account spacing and windows, delivery progress and takedown

Revision ID: 0010_publishing
Revises: 0009_review_examples
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_publishing"
down_revision = "0009_review_examples"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("social_accounts") as batch:
        batch.add_column(
            sa.Column("min_spacing_s", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("window_start", sa.String(length=5), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("window_end", sa.String(length=5), nullable=False, server_default="")
        )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(
            sa.Column("platform_state", sa.JSON(), nullable=False, server_default="{}")
        )
        batch.add_column(sa.Column("taken_down_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("taken_down_at")
        batch.drop_column("platform_state")
    with op.batch_alter_table("social_accounts") as batch:
        batch.drop_column("window_end")
        batch.drop_column("window_start")
        batch.drop_column("min_spacing_s")
