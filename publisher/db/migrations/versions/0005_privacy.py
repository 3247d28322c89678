"""posts: findings a reviewer marked as not personal data

Revision ID: 0005_privacy
Revises: 0004_posts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_privacy"
down_revision = "0004_posts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("pii_allowed", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("pii_allowed")
