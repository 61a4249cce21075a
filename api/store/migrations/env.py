"""Alembic environment: run migrations on the connection :func:`api.store.db.migrate` hands over."""

from __future__ import annotations

from alembic import context

from api.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the service always passes its own connection
    raise RuntimeError("api.store migrations run through api.store.db.migrate(), which passes a connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
