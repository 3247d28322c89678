"""``lapor keys rotate``: re-encrypt every value stored with the Vault under its newest key."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from publisher.core.crypto import Vault
from publisher.db.models import Case, FollowUp, Post, Quarantine, SocialAccount, User

# Columns holding Vault tokens as bytes, rotated token by token without decrypting to text.
TOKEN_COLUMNS = (
    (Case, "reporter"),
    (Case, "reported_party"),
    (SocialAccount, "credentials"),
    (User, "phone_encrypted"),
    (Quarantine, "payload"),
)
# EncryptedText columns (issue #16): read through the engine's vault (any configured key) and
# written back, which encrypts with the newest one.
TEXT_COLUMNS = (
    (Case, "complaint_text"),
    (FollowUp, "action_text"),
    (Post, "review_note"),
)
BATCH = 500


def rotate_keys(session: Session, vault: Vault) -> int:
    """Re-encrypt everything in ``session``'s database with ``vault``'s newest key; the count.

    The caller commits; one transaction, so a failure leaves every value as it was."""
    total = 0
    for model, attr in TOKEN_COLUMNS:
        for row in session.scalars(select(model).execution_options(yield_per=BATCH)):
            token = getattr(row, attr)
            if token:
                setattr(row, attr, vault.rotate(token))
                total += 1
    session.flush()
    for text_model, text_attr in TEXT_COLUMNS:
        total += _rewrite_texts(session, text_model.__table__, text_attr)  # type: ignore[arg-type]
    return total


def _rewrite_texts(session: Session, table: Table, attr: str) -> int:
    """Read each non-empty text (decrypted with whichever key fits) and write it back (the newest
    key), in keyset pages. Core statements, so ``updated_at`` keeps saying when a person last
    changed the row, not when its key was rotated."""
    col, ids = table.c[attr], table.c.id
    keep: dict[str, Any] = {"updated_at": table.c.updated_at} if "updated_at" in table.c else {}
    rewrite = (
        update(table).where(ids == bindparam("row_id")).values({attr: bindparam("value"), **keep})
    )
    done, last = 0, 0
    while True:
        page = session.execute(
            select(ids, col).where(ids > last, col != "").order_by(ids).limit(BATCH)
        ).all()
        if not page:
            return done
        session.execute(rewrite, [{"row_id": i, "value": v} for i, v in page])
        done += len(page)
        last = page[-1][0]
