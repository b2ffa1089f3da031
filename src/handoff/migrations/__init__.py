"""The hand-off store's schema migrations (Alembic), shipped inside the package.

An installed TicketBuddy upgrades the database it is pointed at with the revisions in ``versions/``:
``HandoffStore.open`` (at service start) and ``ticketbuddy db upgrade`` run them through
``ticketbuddy.handoff.migrate``, which configures Alembic in code (no ``alembic.ini``).

Changing the schema:

1. change ``handoff/tables.py``;
2. add ``versions/NNNN_what.py`` (next number; ``down_revision`` = the previous head) doing the same
   change with ``op.batch_alter_table`` (SQLite rebuilds a table to alter it; foreign keys are off
   while migrations run there and checked before the commit);
3. run ``tests/handoff/test_migrations.py``: it fails while the migrated database and ``tables.py``
   differ, on SQLite and on PostgreSQL.

A revision, once released, is never edited: databases have already been upgraded by it.
"""
