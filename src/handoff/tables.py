"""The hand-off store's tables (SQLAlchemy Core, dialect-neutral) and how an engine is opened.

Five tables:

- ``handoffs``: one row per hand-off: where it is (route, team, priority, status, due time), who has
  it, how it ended (outcome, note), and the full packet (with its format version) and ticket as JSON;
- ``handoff_events``: the append-only log of what happened to each hand-off (created,
  message_appended, claimed, rerouted, sla_breached, resolved, ...), who did it, when, from and to;
- ``tickets``: every scored ticket (escalated or not), so that a customer's email and chat can be
  linked into one history, and a new message on a ticket can be appended to its hand-off;
- ``scorings``: one row per scoring request — what was decided, with which probability, model and
  mood — and no customer text: the live monitor counts it, and a later message is compared with it;
- ``feedback``: every verdict on a scored ticket (an agent, QA, a CSAT survey or the customer said it
  should or should not have gone to a human) and every probable miss the service inferred, with its
  evidence; the latest verdict per ticket is its label.

SQLite is the default: one file, WAL journal (readers never block the writer) and
``synchronous=FULL`` (a commit is on disk before the API answers). Write transactions on SQLite start
with ``BEGIN IMMEDIATE`` so that two writers queue for the lock instead of failing half-way. The same
tables work on PostgreSQL, where row locks and unique constraints do that job.

A change to these tables needs a migration that makes the same change to existing databases
(``handoff/migrations``); a test fails while the two differ.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.types import TypeDecorator

#: The connection execution option that marks a write transaction (``BEGIN IMMEDIATE`` on SQLite).
WRITE_OPTION = "ticketbuddy_write"


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on every dialect.

    SQLite has no time-zone type; storing every time as naive UTC there keeps comparisons such as
    ``due_by <= now`` correct, and reading adds the UTC zone back.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Convert to UTC; naive on SQLite, aware elsewhere."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the hand-off store only takes timezone-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Read back as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

handoffs = Table(
    "handoffs",
    metadata,
    Column("handoff_id", String(32), primary_key=True),
    Column("ticket_id", String(128), nullable=False, unique=True),
    Column("customer_id", String(128)),
    Column("route", String(64), nullable=False),
    Column("team", String(64), nullable=False),
    Column("team_name", String(200), nullable=False),
    Column("priority", String(2), nullable=False),
    Column("status", String(16), nullable=False),
    Column("sla_minutes", Integer, nullable=False),
    Column("chain_step", Integer, nullable=False, default=0),
    Column("sla_breaches", Integer, nullable=False, default=0),
    Column("due_by", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_message_at", UtcDateTime, nullable=False),
    Column("claimed_by", String(128)),
    Column("claimed_at", UtcDateTime),
    Column("resolved_at", UtcDateTime),
    Column("outcome", String(16)),
    Column("note", Text),
    Column("idempotency_key", String(255), unique=True),
    Column("model_name", String(128)),
    Column("model_version", String(32)),
    Column("ticket", JSON, nullable=False),
    Column("packet", JSON, nullable=False),
    # The format version of ``packet`` (rows from before the column existed hold version 1).
    Column("packet_version", Integer, nullable=False, server_default="1"),
    CheckConstraint("status IN ('queued', 'claimed', 'resolved')", name="ck_handoffs_status"),
    CheckConstraint("outcome IS NULL OR outcome IN ('needed', 'not_needed')", name="ck_handoffs_outcome"),
    Index("ix_handoffs_queue", "status", "priority", "created_at"),
    Index("ix_handoffs_due", "status", "due_by"),
    Index("ix_handoffs_customer", "customer_id", "status"),
)

handoff_events = Table(
    "handoff_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("handoff_id", String(32), ForeignKey("handoffs.handoff_id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(128)),
    Column("from_team", String(64)),
    Column("to_team", String(64)),
    Column("detail", Text),
    Column("key_id", String(16)),
)

tickets = Table(
    "tickets",
    metadata,
    Column("ticket_id", String(128), primary_key=True),
    Column("customer_id", String(128)),
    Column("channel", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_message_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("handoff_id", String(32), index=True),
    Column("ticket", JSON, nullable=False),
    Index("ix_tickets_customer", "customer_id", "last_message_at"),
    Index("ix_tickets_seen", "last_seen_at"),
)

scorings = Table(
    "scorings",
    metadata,
    Column("scoring_id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(128), nullable=False),
    Column("customer_id", String(128)),
    Column("at", UtcDateTime, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("tier", String(32)),
    Column("escalated", Boolean, nullable=False),
    Column("handed_over", Boolean, nullable=False),
    Column("handoff_id", String(32)),
    Column("probability", Float),
    Column("threshold", Float),
    Column("priority", String(2)),
    Column("route", String(64)),
    Column("rules_only", Boolean, nullable=False),
    Column("model_version", String(32)),
    Column("families", String(500), nullable=False),
    Column("sentiment_last", Float),
    Column("customer_turns", Integer, nullable=False),
    Column("customer_chars", Integer, nullable=False),
    Column("key_id", String(16)),
    Index("ix_scorings_ticket", "ticket_id", "at"),
    Index("ix_scorings_customer", "customer_id", "at"),
    Index("ix_scorings_at", "at"),
)

#: Who may give a verdict; ``inferred`` is the service's own probable-miss finding.
FEEDBACK_SOURCES = ("agent", "qa", "csat", "customer", "inferred")

feedback = Table(
    "feedback",
    metadata,
    Column("feedback_id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(128), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("should_have_escalated", Boolean, nullable=False),
    Column("route", String(64)),
    Column("priority", String(2)),
    Column("source", String(16), nullable=False),
    Column("note", Text),
    Column("evidence", JSON),
    Column("key_id", String(16)),
    CheckConstraint(
        "source IN (" + ", ".join(f"'{s}'" for s in FEEDBACK_SOURCES) + ")", name="ck_feedback_source"
    ),
    Index("ix_feedback_ticket", "ticket_id", "at"),
    Index("ix_feedback_at", "at"),
)


def open_engine(url: str, busy_timeout: float = 10.0) -> Engine:
    """An engine for ``url``; for SQLite with WAL, ``synchronous=FULL`` and immediate write locks.

    Nothing is connected yet: the first connection is made when the store is first used.

    Args:
        url: A SQLAlchemy URL, e.g. ``sqlite:///handoffs.db`` or ``postgresql+psycopg://...``.
        busy_timeout: Seconds a writer waits for SQLite's lock before giving up.

    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Durable settings for every new SQLite connection; SQLAlchemy emits BEGIN itself (see below)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    _use_wal(cursor)
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _use_wal(cursor: Any, attempts: int = 100) -> None:
    """Put the file in WAL mode, once: the mode is kept in the file, so later connections only read it.

    Switching needs the file to itself, and SQLite answers "database is locked" at once (without
    waiting out the busy timeout) when another connection opens the new file at the same moment, as
    several workers starting together do; so the switch is retried briefly.
    """
    for attempt in range(attempts):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.02)


def _sqlite_begin(connection: Connection) -> None:
    """``BEGIN IMMEDIATE`` for writes: take the write lock first, so read-then-write cannot deadlock."""
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
