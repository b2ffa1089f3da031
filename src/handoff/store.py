"""The durable hand-off store: one engine, short transactions, and errors that say what failed.

``HandoffStore`` owns the database connection (SQLite file by default, PostgreSQL when several API
replicas share one queue). It hands out read and write transactions; every failure of the database
surfaces as ``StoreUnavailable`` so that the API answers 503 ("not recorded, retry") instead of a 500
or, worse, a score whose hand-off was never written.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from alembic.util import CommandError
from sqlalchemy import Engine
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from ticketbuddy.handoff import migrate
from ticketbuddy.handoff.tables import WRITE_OPTION, open_engine

log = logging.getLogger(__name__)


class StoreUnavailable(RuntimeError):
    """The hand-off store cannot be read or written: nothing was recorded, the caller should retry."""


class SchemaMismatch(StoreUnavailable):
    """The database's schema is not one this TicketBuddy can use or upgrade: the service refuses to start.

    Still a ``StoreUnavailable``: a request that meets it answers 503, a command prints it and exits 1.
    """


class SchemaTooNew(SchemaMismatch):
    """The database was upgraded by a newer TicketBuddy: this code does not know its schema revision."""


class HandoffNotFound(LookupError):
    """No hand-off has this id."""


class HandoffConflict(RuntimeError):
    """The hand-off is not in a state that allows this action (already claimed, not claimed, ...)."""


class HandoffForbidden(PermissionError):
    """The API key may not do this: it acts as another agent, or forcing needs the admin scope."""


class AgentRequired(ValueError):
    """A shared key (acting as no agent) must name the agent in ``agent_id``."""


def describe(exc: BaseException) -> str:
    """What went wrong, without the SQL parameters (they can hold ticket text) or the URL's password."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first_line = (str(cause).splitlines() or [""])[0][:200]
    return f"{type(cause).__name__}: {first_line}" if first_line else type(cause).__name__


#: PostgreSQL advisory-lock key held while the schema is upgraded (any constant the app owns).
SCHEMA_LOCK_KEY = 0x7469636B  # "tick"


def _serialise_schema_changes(conn: Connection) -> None:
    """Make replicas that start together upgrade the schema one after the other.

    On SQLite the write transaction (``BEGIN IMMEDIATE``) already does this. On PostgreSQL two
    concurrent ``CREATE TABLE`` of the same table fail on the catalogue's unique index (and two
    upgrades would both run), so the transaction first takes an advisory lock; the next replica then
    finds the schema at head and does nothing.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK_KEY})")


class HandoffStore:
    """Transactions on the hand-off database; the schema is brought to head on first use.

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:///handoffs.db`` (a file next to where the service runs).
        busy_timeout: Seconds a SQLite writer waits for the lock before the store reports unavailable.

    Example:
        >>> from sqlalchemy import func, select
        >>> from ticketbuddy.handoff.tables import handoffs
        >>> store = HandoffStore("sqlite:///handoffs-example.db")  # in the working directory
        >>> with store.reading() as conn:
        ...     conn.execute(select(func.count()).select_from(handoffs)).scalar()
        0
        >>> store.close()

    """

    def __init__(self, url: str, busy_timeout: float = 10.0) -> None:
        self.url = url
        self.busy_timeout = busy_timeout
        self._engine: Engine | None = None
        self._ready = False
        self._lock = threading.Lock()
        # SQLite has one writer at a time; writers of this process queue here, first come first
        # served, instead of in SQLite's busy handler, which sleeps in growing steps (up to 100 ms)
        # and lets a late writer in before one that has waited for seconds.
        self._writers = (
            threading.BoundedSemaphore(1) if make_url(url).get_backend_name() == "sqlite" else None
        )

    @property
    def where(self) -> str:
        """The URL with any password hidden, for logs and messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, created on first use."""
        with self._lock:
            if self._engine is None:
                self._engine = open_engine(self.url, self.busy_timeout)
            return self._engine

    def open(self) -> migrate.Upgrade | None:
        """Bring the schema to head: create it in an empty database, upgrade an older one (idempotent).

        A database created before schema migrations (the tables, no revision) is stamped with the
        baseline revision first. Replicas starting together do this one after the other.

        Returns:
            What was done (from which revision to which), or None when this store was already open.

        Raises:
            SchemaTooNew: The database is at a revision this code does not know; nothing was changed.
            SchemaMismatch: The database holds part of the tables and no revision; nothing was changed.
            StoreUnavailable: The database cannot be reached or written.

        """
        if self._ready:
            return None
        try:
            engine = self.engine
            with self._lock:
                if self._ready:
                    return None
                change = _upgrade(engine)
                self._ready = True
        except migrate.UnknownRevision as exc:
            raise SchemaTooNew(
                f"hand-off store {self.where} is at {exc}: run a newer TicketBuddy"
                " or point TICKETBUDDY_DB_URL at another database"
            ) from exc
        except migrate.PartialSchema as exc:
            raise SchemaMismatch(
                f"hand-off store {self.where} has {exc}: not a hand-off store this TicketBuddy can"
                " upgrade; point TICKETBUDDY_DB_URL at another database"
            ) from exc
        except (SQLAlchemyError, OSError, ImportError, CommandError, migrate.MigrationFailed) as exc:
            raise self._unavailable(exc) from exc
        log.info("hand-off store %s %s", self.where, change.describe())
        return change

    def schema_state(self) -> migrate.SchemaState:
        """Where the database's schema stands, read without changing anything.

        Raises:
            StoreUnavailable: The database cannot be reached.

        """
        with self._transaction(write=False, open_first=False) as conn:
            return migrate.read_state(conn)

    def ping(self) -> None:
        """Check the store can be read now (bringing the schema to head if this store is not open yet).

        Raises:
            StoreUnavailable: The database cannot be reached.

        """
        with self.reading() as conn:
            conn.exec_driver_sql("SELECT 1")

    def close(self) -> None:
        """Release every pooled connection."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
            self._ready = False

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction, committed when the block ends (``BEGIN IMMEDIATE`` on SQLite).

        A unique-constraint violation (``IntegrityError``) is re-raised as is, so callers can detect
        a concurrent insert of the same ticket; any other database failure becomes ``StoreUnavailable``.
        """
        with self._writers or nullcontext(), self._transaction(write=True) as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read transaction."""
        with self._transaction(write=False) as conn:
            yield conn

    @contextmanager
    def _transaction(self, write: bool, open_first: bool = True) -> Iterator[Connection]:
        if open_first:
            self.open()
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{WRITE_OPTION: write})
                with conn.begin():
                    yield conn
        except IntegrityError:
            raise
        except (SQLAlchemyError, OSError, CommandError) as exc:
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        return StoreUnavailable(f"hand-off store {self.where} unavailable ({describe(exc)})")


def _upgrade(engine: Engine) -> migrate.Upgrade:
    """Bring the schema to head in one write transaction that holds the schema lock."""
    with engine.connect() as conn, migrate.foreign_keys_off(conn):
        conn.execution_options(**{WRITE_OPTION: True})  # SQLite: BEGIN IMMEDIATE
        with conn.begin():
            _serialise_schema_changes(conn)
            return migrate.upgrade_schema(conn)
