"""review_examples: reviewers' decisions as classifier training examples

Revision ID: 0009_review_examples
Revises: 0008_media_message
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_review_examples"
down_revision = "0008_media_message"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=10), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_review_examples_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_review_examples_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_examples")),
        sa.UniqueConstraint("case_id", "origin", name=op.f("uq_review_examples_case_id")),
    )
    with op.batch_alter_table("review_examples") as batch:
        batch.create_index(batch.f("ix_review_examples_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_examples") as batch:
        batch.drop_index(batch.f("ix_review_examples_case_id"))
    op.drop_table("review_examples")
