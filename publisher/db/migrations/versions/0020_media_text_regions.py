"""media: text regions read by OCR and blurred (NULL: the text was not read yet)

Revision ID: 0020_media_text_regions
Revises: 0018_pic_followups
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_media_text_regions"
down_revision = "0018_pic_followups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.add_column(sa.Column("text_regions", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.drop_column("text_regions")
