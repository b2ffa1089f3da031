"""Schema migrations of the hand-off store: where a database's schema stands, and bringing it to head.

Alembic is configured here, in code: ``script_location`` is the ``migrations`` folder of the installed
package and there is no ``alembic.ini``, so any installed TicketBuddy can upgrade the database it is
pointed at. Everything runs on a connection inside the caller's transaction: ``HandoffStore.open``
takes the schema lock first, so replicas starting together upgrade one after the other, and an
upgrade commits or rolls back as a whole.

A database is found in one of these states (:func:`read_state`):

- empty (none of the hand-off tables, no revision): upgraded from nothing;
- created before schema migrations (the three tables, no ``alembic_version`` table): its schema is
  the baseline, so it is stamped ``0001``, then upgraded;
- at a revision this code knows: upgraded from there (nothing to do at the head);
- at a revision this code does not know, a newer TicketBuddy's (:class:`UnknownRevision`), or holding
  some of the tables without a revision (:class:`PartialSchema`): left untouched and refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

#: The Alembic script folder: ``env.py`` and ``versions/``, installed with the package.
MIGRATIONS = Path(__file__).with_name("migrations")
#: The revision whose schema TicketBuddy created before it had migrations.
BASELINE = "0001"
#: The tables of the baseline schema.
BASELINE_TABLES = ("handoffs", "handoff_events", "tickets")


class UnknownRevision(LookupError):
    """The database is at a revision this code has no migration for: a newer TicketBuddy upgraded it."""

    def __init__(self, revision: str, head: str) -> None:
        super().__init__(f"schema revision {revision}, newer than this TicketBuddy (head {head})")
        self.revision = revision
        self.head = head


class PartialSchema(LookupError):
    """Some of the hand-off tables exist but no revision is recorded: not a schema this code made."""

    def __init__(self, tables: tuple[str, ...]) -> None:
        missing = ", ".join(t for t in BASELINE_TABLES if t not in tables)
        super().__init__(f"no schema revision, and tables {', '.join(tables)} without {missing}")
        self.tables = tables


class MigrationFailed(RuntimeError):
    """A migration left the database inconsistent; its transaction is rolled back."""


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands.

    Attributes:
        revision: The revision recorded in ``alembic_version``; None when there is none.
        head: The newest revision this code has.
        tables: Which of the baseline tables exist.
        known: This code has a migration for ``revision`` (always true when it is None).

    """

    revision: str | None
    head: str
    tables: tuple[str, ...]
    known: bool

    @property
    def before_migrations(self) -> bool:
        """Created by a TicketBuddy without migrations: every baseline table, no revision."""
        return self.revision is None and self.tables == BASELINE_TABLES

    @property
    def usable(self) -> bool:
        """Whether this code can bring the database to head (or it is there): not newer, not foreign."""
        if self.revision is None:
            return not self.tables or self.before_migrations
        return self.known

    def describe(self) -> str:
        """One line for ``ticketbuddy db current``."""
        upgrade = f"`ticketbuddy db upgrade` (or starting the service) brings it to {self.head}"
        if self.revision is None and not self.tables:
            return f"empty, no schema yet: {upgrade}"
        if self.before_migrations:
            return f"no schema revision, created before schema migrations (schema {BASELINE}): {upgrade}"
        if self.revision is None:
            return str(PartialSchema(self.tables))
        if not self.known:
            return str(UnknownRevision(self.revision, self.head))
        if self.revision == self.head:
            return f"schema revision {self.revision} (head)"
        return f"schema revision {self.revision}, not the head {self.head}: {upgrade}"


@dataclass(frozen=True)
class Upgrade:
    """What bringing a database to head did: from which revision to which."""

    before: str | None
    after: str
    stamped: bool = False

    def describe(self) -> str:
        """E.g. ``upgraded from 0001 to 0002`` or ``at head 0002``."""
        if self.before == self.after:
            text = f"at head {self.after}"
        elif self.before is None:
            text = f"created at {self.after}"
        else:
            text = f"upgraded from {self.before} to {self.after}"
        if self.stamped:
            text += f" (created before schema migrations: stamped {BASELINE} first)"
        return text


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code; the migrations run on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


@cache
def script() -> ScriptDirectory:
    """The revisions shipped with this TicketBuddy."""
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision this code has."""
    newest = script().get_current_head()
    if newest is None:  # the package ships its revisions: none is a broken install
        raise RuntimeError("no schema revisions found in ticketbuddy.handoff.migrations")
    return newest


def read_state(conn: Connection) -> SchemaState:
    """Where the schema of the database behind ``conn`` stands (reads only)."""
    return _read_state(MigrationContext.configure(conn))


def upgrade_schema(conn: Connection) -> Upgrade:
    """Bring the schema to head inside the caller's transaction (hold the schema lock first).

    Raises:
        UnknownRevision: The database is newer than this code; nothing was changed.
        PartialSchema: Some hand-off tables exist without a revision; nothing was changed.
        MigrationFailed: A migration broke a reference (SQLite); roll the transaction back.

    """
    context = MigrationContext.configure(conn)
    state = _read_state(context)
    if state.revision is not None and not state.known:
        raise UnknownRevision(state.revision, state.head)
    if state.revision is None and state.tables and not state.before_migrations:
        raise PartialSchema(state.tables)
    before = state.revision
    if state.before_migrations:
        context.stamp(script(), BASELINE)
        before = BASELINE
    if before != state.head:
        command.upgrade(alembic_config(conn), "head")
        _check_references(conn)
    return Upgrade(before, context.get_current_revision() or "", stamped=state.before_migrations)


def _read_state(context: MigrationContext) -> SchemaState:
    revision = context.get_current_revision()
    present = set(inspect(context.bind).get_table_names())
    known = revision is None or revision in {s.revision for s in script().walk_revisions()}
    return SchemaState(revision, head(), tuple(t for t in BASELINE_TABLES if t in present), known)


@contextmanager
def foreign_keys_off(conn: Connection) -> Iterator[None]:
    """On SQLite, foreign keys off while migrations run; wrap the whole transaction (a no-op elsewhere).

    SQLite alters a table by rebuilding it (copy, drop the old one, rename), and dropping ``handoffs``
    with foreign keys on fails on the events that refer to it. The pragma only takes effect outside a
    transaction, so it is set on the connection before ``BEGIN`` and set back after the end;
    :func:`upgrade_schema` checks every reference before the commit instead.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw: Any = conn.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_references(conn: Connection) -> None:
    """Fail (and so roll back) when a migration left a row referring to nothing (SQLite)."""
    if conn.dialect.name != "sqlite":
        return
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise MigrationFailed(f"the migration left {len(broken)} rows referring to missing rows")
