"""PICs on real phones (issue 20): resubmission after a rejection, late material re-drafts

* ``follow_ups.replaced_by_id``: a resubmission replaces the earlier follow-ups of its case in
  review; the old rows are kept (history) and point at the one that replaced them.
* ``follow_ups.after_publication``: material that arrived after the case's posts were
  published, kept and offered to reviewers as a follow-up post instead of re-drafting.
* ``posts.redraft_requested_at``: new material arrived for a post not yet published; the
  ``render`` job re-drafts it in place (and until then it cannot be approved).
* ``posts.changes``: what changed, for the reviewer (no personal data: counts and channels).
* ``contact_requests``: a PIC's request for a reporter's contact and an admin's decision; the
  contact itself is never copied here.

Revision ID: 0018_pic_followups
Revises: 0017_alerts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_pic_followups"
down_revision = "0017_alerts"
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
    op.create_table(
        "contact_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("pic_user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_contact_requests_case_id_cases"
        ),
        sa.ForeignKeyConstraint(
            ["pic_user_id"], ["users.id"], name="fk_contact_requests_pic_user_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name="fk_contact_requests_decided_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_contact_requests"),
    )
    op.create_index(
        "ix_contact_requests_case_pic", "contact_requests", ["case_id", "pic_user_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_contact_requests_case_pic", table_name="contact_requests")
    op.drop_table("contact_requests")
    op.drop_column("posts", "changes")
    op.drop_column("posts", "redraft_requested_at")
    op.drop_column("follow_ups", "after_publication")
    op.drop_column("follow_ups", "replaced_by_id")
