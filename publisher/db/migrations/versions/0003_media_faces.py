"""media: unblurred copy, face boxes, held for review

Revision ID: 0003_media_faces
Revises: 0002_ops
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_media_faces"
down_revision = "0002_ops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.add_column(
            sa.Column("unblurred_sha256", sa.String(64), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("face_boxes", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("held_for_review", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.drop_column("held_for_review")
        batch.drop_column("face_boxes")
        batch.drop_column("unblurred_sha256")
