"""Alembic's entry point for the hand-off store's migrations; run only by ``ticketbuddy.handoff.migrate``.

The migrations run on the connection, and inside the transaction, that the caller hands over in
``config.attributes["connection"]``: ``HandoffStore.open`` holds the schema lock there (PostgreSQL
advisory lock, SQLite write lock), so replicas starting together upgrade one after the other, and an
upgrade commits or rolls back as a whole. Logging is left as the application set it up (no
``fileConfig``). SQLite alters a table by rebuilding it, hence ``render_as_batch`` there.
"""

from alembic import context

from ticketbuddy.handoff.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "the hand-off store's migrations run through TicketBuddy (ticketbuddy db upgrade),"
        " not the alembic command"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
