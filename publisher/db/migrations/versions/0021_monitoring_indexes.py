"""monitoring: an index for the dashboard's aggregate queries (issue 23)

``ix_follow_ups_case_order``: a case's follow-ups in (time, id) order with the PIC, read
straight off the index for each case's first and latest follow-up (no sort).

Revision ID: 0021_monitoring_indexes
Revises: 0020_media_text_regions
"""

from __future__ import annotations

from alembic import op

revision = "0021_monitoring_indexes"
down_revision = "0020_media_text_regions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_follow_ups_case_order",
        "follow_ups",
        ["case_id", "submitted_at", "id", "pic_user_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_follow_ups_case_order", table_name="follow_ups")
