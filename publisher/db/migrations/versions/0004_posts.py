"""posts: agency-level caption template overrides

Revision ID: 0004_posts
Revises: 0003_media_faces
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_posts"
down_revision = "0003_media_faces"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "template_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_template_overrides_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_overrides")),
        sa.UniqueConstraint(
            "agency_id", "platform", "kind", name=op.f("uq_template_overrides_agency_id")
        ),
    )
    with op.batch_alter_table("template_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_template_overrides_agency_id"), ["agency_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("template_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_template_overrides_agency_id"))
    op.drop_table("template_overrides")
