"""Encrypt complaint texts, PICs' notes and reviewers' notes at rest (issue #16)

``cases.complaint_text``, ``follow_ups.action_text`` and ``posts.review_note`` become Fernet
tokens (``publisher.db.encrypted.EncryptedText``); the columns stay TEXT (tokens are ASCII), so
only the values change. The vault is the one bound to the migrating engine (``lapor db upgrade``
builds it from ``LAPOR_SECRET_KEY``). A database with no such texts needs no key. Downgrade
decrypts them back.

Revision ID: 0015_private_texts
Revises: 0014_audit_truncate
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from publisher.core.crypto import Vault
from publisher.core.errors import ConfigError
from publisher.db.encrypted import vault_for

revision = "0015_private_texts"
down_revision = "0014_audit_truncate"
branch_labels = None
depends_on = None

COLUMNS = (("cases", "complaint_text"), ("follow_ups", "action_text"), ("posts", "review_note"))
BATCH = 500


def _convert(encrypt: bool) -> None:
    bind = op.get_bind()
    vault: Vault | None = vault_for(bind.dialect)
    for table_name, column in COLUMNS:
        table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column, sa.Text))
        col = table.c[column]
        last = 0
        while True:
            # Keyset pages: memory stays flat on a large table, and each row is read once.
            rows = bind.execute(
                sa.select(table.c.id, col)
                .where(table.c.id > last, col != "")
                .order_by(table.c.id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            if vault is None:
                raise ConfigError(
                    f"{table_name}.{column} holds texts to "
                    f"{'encrypt' if encrypt else 'decrypt'}: set LAPOR_SECRET_KEY and run "
                    "`lapor db upgrade` (or downgrade) again"
                )
            values = [
                {
                    "row_id": row_id,
                    "value": (
                        vault.encrypt(str(value)).decode("ascii")
                        if encrypt
                        else vault.decrypt(str(value).encode("ascii"))
                    ),
                }
                for row_id, value in rows
            ]
            rewrite = (
                table.update()
                .where(table.c.id == sa.bindparam("row_id"))
                .values({column: sa.bindparam("value")})
            )
            bind.execute(rewrite, values)
            last = rows[-1][0]


def upgrade() -> None:
    _convert(encrypt=True)


def downgrade() -> None:
    _convert(encrypt=False)
