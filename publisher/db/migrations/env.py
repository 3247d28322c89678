"""Alembic environment: the connection is handed in by publisher.db.migrate (never read here)."""

from __future__ import annotations

from alembic import context

from publisher.db.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `lapor db upgrade` (publisher.db.migrate)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
