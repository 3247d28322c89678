"""audit_log: refuse TRUNCATE on PostgreSQL too (a row trigger never sees it)

SQLite has no TRUNCATE: its "truncate optimisation" of ``DELETE FROM audit_log`` is disabled by
the DELETE trigger of 0001, so nothing is needed there.

Revision ID: 0014_audit_truncate
Revises: 0013_attempts
"""

from __future__ import annotations

from alembic import op

revision = "0014_audit_truncate"
down_revision = "0013_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The function of 0001 raises whatever the verb; a statement-level trigger reuses it.
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
