"""media: the rejection reason in Bahasa Indonesia, for the PIC

Revision ID: 0008_media_message
Revises: 0007_intake
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_media_message"
down_revision = "0007_intake"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.add_column(sa.Column("reject_message", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.drop_column("reject_message")
