"""``ticketbuddy db ...``: the hand-off store's schema from the command line.

``db upgrade`` does what the service does at start (bring the schema to head, one replica at a time),
for an operator who upgrades the database before rolling out a new version; ``db current`` says where
a database stands without changing it. Both read ``TICKETBUDDY_DB_URL`` (or ``--db-url``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from ticketbuddy.handoff.cli import DbUrlOpt, store_for

if TYPE_CHECKING:
    from ticketbuddy.handoff.store import HandoffStore

app = typer.Typer(
    help="The hand-off store's schema: which revision it is at, and upgrading it.", no_args_is_help=True
)


@app.command("upgrade")
def upgrade(db_url: DbUrlOpt = None) -> None:
    """Bring the hand-off store's schema to head, as the service does at start; print from where to where."""
    with _opened(db_url) as store:
        change = store.open()
    typer.echo(f"hand-off store {store.where} {change.describe() if change else 'at head'}")


@app.command("current")
def current(db_url: DbUrlOpt = None) -> None:
    """Which schema revision the hand-off store is at and whether it is the head; changes nothing.

    Exits 1 when the store cannot be read, or its schema is one this TicketBuddy cannot use (newer).
    """
    with _opened(db_url) as store:
        state = store.schema_state()
    typer.echo(f"hand-off store {store.where}: {state.describe()}")
    raise typer.Exit(0 if state.usable else 1)


@contextmanager
def _opened(db_url: str | None) -> Iterator[HandoffStore]:
    """The store, closed after the block; a store failure is printed as one line and exits 1."""
    from ticketbuddy.handoff.store import StoreUnavailable

    store = store_for(db_url)
    try:
        yield store
    except StoreUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    finally:
        store.close()
