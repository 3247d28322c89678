"""whatsapp_messages: when a reply was claimed for sending (a crashed send becomes unknown)

Revision ID: 0012_whatsapp_reply_claim
Revises: 0011_public
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_whatsapp_reply_claim"
down_revision = "0011_public"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("whatsapp_messages") as batch:
        batch.add_column(sa.Column("reply_claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("whatsapp_messages") as batch:
        batch.drop_column("reply_claimed_at")
