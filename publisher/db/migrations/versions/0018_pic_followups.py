"""PICs on real phones (issue 20): resubmission after a rejection, late material re-drafts

* ``follow_ups.replaced_by_id``: a resubmission replaces the earlier follow-ups of its case in
  review; the old rows are kept (history) and point at the one that replaced them.
* ``follow_ups.after_publication``: material that arrived after the case's posts were
  published, kept and offered to reviewers as a follow-up post instead of re-drafting.
* ``posts.redraft_requested_at``: new material arrived for a post not yet published; the
  ``render`` job re-drafts it in place (and until then it cannot be approved).
* ``posts.changes``: what changed, for the reviewer (no personal data: counts and channels).

Revision ID: 0018_pic_followups
Revises: 0014_audit_truncate
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_pic_followups"
down_revision = "0014_audit_truncate"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN (no batch copy): SQLite cannot recreate ``posts`` or ``follow_ups``
# while deliveries and media rows point at them, and none of these columns needs a constraint.
def upgrade() -> None:
    op.add_column("follow_ups", sa.Column("replaced_by_id", sa.Integer(), nullable=True))
    op.add_column(
        "follow_ups",
        sa.Column("after_publication", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("posts", sa.Column("redraft_requested_at", sa.DateTime(timezone=True)))
    op.add_column("posts", sa.Column("changes", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("posts", "changes")
    op.drop_column("posts", "redraft_requested_at")
    op.drop_column("follow_ups", "after_publication")
    op.drop_column("follow_ups", "replaced_by_id")
