"""Helpers of the migration tests: an old database full of hand-offs, snapshots, Alembic steps.

``fill_old_database`` runs a morning of the queue through today's code paths (``Intake`` with the
rules-only scorer, ``HandoffQueue``, the SLA sweeper) on a scratch SQLite store, then copies every row
into a database created with the frozen pre-migration schema (``tests/fixtures``), column by column
as that code wrote them. The scratch store stays as the reference: what the upgraded database serves
must be what the scratch store serves.

``run_alembic``, ``differences`` and ``set_revision`` move a database between revisions, compare it
with a schema, and fake one made by a newer TicketBuddy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, select, text

from tests.fixtures import schema_before_migrations as before
from ticketbuddy.handoff import migrate, tables
from ticketbuddy.handoff.clock import FakeClock
from ticketbuddy.handoff.intake import Intake
from ticketbuddy.handoff.queue import HandoffQueue
from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.handoff.sweeper import sweep
from ticketbuddy.handoff.tables import open_engine
from ticketbuddy.policy.model import load_policy
from ticketbuddy.scoring.scorer import Scorer

from .conftest import ANGRY, CALM, LEGAL, LINK_WINDOW, SOUR, START, make_ticket


@dataclass
class History:
    """The hand-offs made, by what happened to them, and the clock at the end."""

    ids: dict[str, str]
    clock: FakeClock


def make_history(store: HandoffStore) -> History:
    """Hand-offs queued, claimed, released, resolved both ways, re-routed; linked tickets; an idempotency key."""
    clock = FakeClock(START)
    scorer = Scorer(load_policy(), None)
    intake, queue = Intake(store, clock, LINK_WINDOW), HandoffQueue(store, clock)

    def score(ticket_id: str, *texts: str, **kw: Any) -> str | None:
        clock.advance(minutes=3)
        handoff = intake.score(make_ticket(ticket_id, *texts, at=clock.now(), **kw), scorer).handoff
        return handoff.handoff_id if handoff else None

    ids = {
        "legal": score("T-1", LEGAL, customer_id="C-1", channel="email"),
        "claimed": score("T-2", SOUR, customer_id="C-2"),
        "needed": score("T-3", ANGRY, customer_id="C-3"),
        "not_needed": score("T-4", SOUR, customer_id="C-4"),
        "released": score("T-5", ANGRY, customer_id="C-5"),
    }
    keyed = intake.score(make_ticket("T-6", SOUR, customer_id=None), scorer, idempotency_key="req-6")
    ids["keyed"] = keyed.handoff.handoff_id
    score("T-1", LEGAL, "Please answer today.", customer_id="C-1", channel="email")  # message_appended
    score("T-7", ANGRY, "And nobody calls back.", customer_id="C-1", channel="chat")  # joins C-1's hand-off
    score("T-8", CALM, customer_id="C-9")  # kept by the AI: a ticket, no hand-off
    for key in ("claimed", "needed", "not_needed", "released"):
        queue.claim(ids[key], f"agent-{key}")
    for outcome in ("needed", "not_needed"):
        clock.advance(minutes=20)
        queue.resolve(ids[outcome], outcome, f"checked: {outcome}")
    queue.release(ids["released"], "agent-released", "wrong team")
    clock.advance(hours=5)
    sweep(store, load_policy(), clock)  # the legal hand-off and the released one climb their chains
    return History(ids, clock)


def fill_old_database(scratch: HandoffStore, url: str) -> History:
    """Create ``url`` with the pre-migration schema and copy into it the history made on ``scratch``."""
    history = make_history(scratch)
    before.create(url)
    with _engine(url) as engine, engine.begin() as conn, scratch.reading() as source:
        for old in before.TABLES:
            new = tables.metadata.tables[old.name]
            names = [c.name for c in old.columns if c.name != "event_id"]  # the database numbers events
            rows = source.execute(select(*[new.c[n] for n in names]).order_by(*new.primary_key))
            conn.execute(old.insert(), [_as_stored(row, names, conn.dialect.name) for row in rows])
    return history


def snapshot(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the pre-migration columns, read the same way before and after an upgrade."""
    with _engine(url) as engine, engine.connect() as conn:
        return {
            old.name: [dict(r._mapping) for r in conn.execute(select(old).order_by(*old.primary_key))]
            for old in before.TABLES
        }


def run_alembic(url: str, step: Any, revision: str) -> None:
    """``command.upgrade`` / ``downgrade`` to ``revision``, the way the store runs migrations."""
    with _engine(url) as engine, engine.connect() as conn, migrate.foreign_keys_off(conn), conn.begin():
        step(migrate.alembic_config(conn), revision)


def differences(url: str, target: MetaData) -> list[Any]:
    """What Alembic's autogenerate finds between the database at ``url`` and ``target`` (types, defaults too)."""
    with _engine(url) as engine, engine.connect() as conn:
        opts = {"compare_type": True, "compare_server_default": True}
        return compare_metadata(MigrationContext.configure(conn, opts=opts), target)


def set_revision(url: str, revision: str) -> None:
    """Record ``revision`` as the database's schema revision, as a newer TicketBuddy would."""
    with _engine(url) as engine, engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def _as_stored(row: Any, names: list[str], dialect: str) -> dict[str, Any]:
    return {name: before.stored(value, dialect) for name, value in zip(names, row, strict=True)}


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = open_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
