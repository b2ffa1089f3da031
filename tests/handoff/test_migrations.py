"""Schema migrations of the hand-off store, on a SQLite file and on a PostgreSQL database.

The main case: a database made by the code before migrations (the schema frozen in
``tests/fixtures/schema_before_migrations.py``), holding hand-offs in every state, is recognised,
stamped and upgraded, and then serves exactly what it served before. Also: an empty database, a second
upgrade, replicas upgrading at once, a database newer than the code, and ``tables.py`` agreeing with
the migrated schema.
"""

import logging

import pytest
from alembic import command
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from tests.fixtures import schema_before_migrations as before
from tests.parallel import in_parallel
from ticketbuddy.cli import app as cli
from ticketbuddy.handoff import migrate
from ticketbuddy.handoff.intake import Intake
from ticketbuddy.handoff.queue import HandoffQueue
from ticketbuddy.handoff.store import HandoffStore, SchemaMismatch, SchemaTooNew, StoreUnavailable
from ticketbuddy.handoff.tables import handoffs, metadata, open_engine

from .conftest import ANGRY, LINK_WINDOW, SOUR, make_ticket
from .migrating import differences, fill_old_database, run_alembic, set_revision, snapshot

HEAD = "0004"


@pytest.fixture
def scratch(tmp_path):
    """Where today's code makes the history that the old database is filled with (the reference)."""
    store = HandoffStore(f"sqlite:///{tmp_path / 'scratch.db'}")
    yield store
    store.close()


@pytest.fixture
def old_db(db_url, scratch):
    """A database from before migrations, full of hand-offs; yields the history made."""
    return fill_old_database(scratch, db_url)


def export(url, path):
    result = CliRunner().invoke(cli, ["handoffs", "export", "--out", str(path), "--db-url", url])
    assert result.exit_code == 0, result.output
    return path.read_text()


def test_a_database_from_before_migrations_is_stamped_upgraded_and_intact(old_db, db_url):
    rows = snapshot(db_url)
    assert (len(rows["handoffs"]), len(rows["tickets"])) == (6, 8)
    assert {r["status"] for r in rows["handoffs"]} == {"queued", "claimed", "resolved"}
    kinds = {r["kind"] for r in rows["handoff_events"]}
    assert kinds == {"created", "message_appended", "linked", "claimed", "released", "rerouted", "resolved"}
    store = HandoffStore(db_url)
    assert store.schema_state().before_migrations
    assert store.open() == migrate.Upgrade("0001", HEAD, stamped=True)
    store.close()
    assert snapshot(db_url) == rows  # every row, every value, every packet as it was
    with store.reading() as conn:
        assert set(conn.execute(select(handoffs.c.packet_version)).scalars()) == {1}
    assert differences(db_url, metadata) == []
    store.close()


def test_an_upgraded_database_serves_what_it_served_before(old_db, db_url, scratch, rules_scorer, tmp_path):
    store = HandoffStore(db_url)
    queue, reference = HandoffQueue(store, old_db.clock), HandoffQueue(scratch, old_db.clock)
    for status in (None, "queued", "claimed", "resolved"):
        assert queue.list_handoffs(status=status) == reference.list_handoffs(status=status)
    for handoff_id in old_db.ids.values():
        assert queue.detail(handoff_id) == reference.detail(handoff_id)
    assert export(db_url, tmp_path / "after.jsonl") == export(scratch.url, tmp_path / "reference.jsonl")

    queued = old_db.ids["keyed"]
    queue.claim(queued, "agent-new")
    queue.resolve(queued, "needed", "after the upgrade")
    assert [e.kind for e in queue.detail(queued).events][-2:] == ["claimed", "resolved"]
    intake = Intake(store, old_db.clock, LINK_WINDOW)
    joined = intake.score(make_ticket("T-9", ANGRY, customer_id="C-1", at=old_db.clock.now()), rules_scorer)
    assert joined.handoff.handoff_id == old_db.ids["legal"]  # the customer's open hand-off, from before
    assert {"T-1", "T-7", "T-9"} <= {m.ticket_id for m in joined.handoff.history}
    assert "linked" in [e.kind for e in queue.detail(old_db.ids["legal"]).events]
    replay = intake.score(make_ticket("T-6b", SOUR, customer_id=None), rules_scorer, idempotency_key="req-6")
    assert replay.handoff.handoff_id == queued  # an idempotency key from before still replays
    store.close()


def test_downgrade_and_upgrade_again_keep_every_row(old_db, db_url):
    """0002 down (SQLite rebuilds ``handoffs`` under its events) and up again: data and schema survive."""
    HandoffStore(db_url).open()
    rows = snapshot(db_url)
    run_alembic(db_url, command.downgrade, "0001")
    assert differences(db_url, before.metadata) == [] and snapshot(db_url) == rows
    run_alembic(db_url, command.upgrade, "head")
    assert differences(db_url, metadata) == [] and snapshot(db_url) == rows


def test_the_baseline_is_the_schema_from_before_migrations(db_url):
    run_alembic(db_url, command.upgrade, migrate.BASELINE)
    assert differences(db_url, before.metadata) == []


def test_tables_py_and_the_migrated_schema_agree(db_url):
    HandoffStore(db_url).open()
    assert differences(db_url, metadata) == []


def test_an_empty_database_is_created_at_head_and_a_second_upgrade_changes_nothing(db_url):
    store = HandoffStore(db_url)
    assert store.schema_state().describe().startswith("empty, no schema yet")
    created = store.open()
    assert (created, created.describe()) == (migrate.Upgrade(None, HEAD), f"created at {HEAD}")
    assert store.open() is None  # already open: not even a query
    store.close()
    again = store.open()
    assert (again, again.describe()) == (migrate.Upgrade(HEAD, HEAD), f"at head {HEAD}")
    assert store.schema_state().revision == HEAD
    store.close()


def test_replicas_opening_one_fresh_database_at_once_all_succeed(db_url):
    stores = [HandoffStore(db_url) for _ in range(4)]
    changes = in_parallel([store.open for store in stores])
    assert sorted(c.before or "" for c in changes) == ["", HEAD, HEAD, HEAD]  # one created it, once
    for store in stores:
        store.close()


def test_a_database_newer_than_the_code_is_refused_and_left_alone(db_url):
    HandoffStore(db_url).open()
    set_revision(db_url, "0007")
    store = HandoffStore(db_url)
    with pytest.raises(SchemaTooNew) as refused:
        store.open()
    where = store.where
    assert str(refused.value) == (
        f"hand-off store {where} is at schema revision 0007, newer than this TicketBuddy (head {HEAD}):"
        " run a newer TicketBuddy or point TICKETBUDDY_DB_URL at another database"
    )
    assert isinstance(refused.value, StoreUnavailable)  # a request meeting it answers 503
    password = store.engine.url.password
    assert not password or (f":{password}@" not in str(refused.value) and ":***@" in where)
    assert store.schema_state().revision == "0007"
    store.close()


def test_part_of_the_tables_without_a_revision_is_refused(db_url):
    engine = open_engine(db_url)
    before.handoffs.create(engine)
    engine.dispose()
    store = HandoffStore(db_url)
    with pytest.raises(SchemaMismatch, match="tables handoffs without handoff_events, tickets"):
        store.open()
    assert set(inspect(store.engine).get_table_names()) == {"handoffs"}  # nothing added
    store.close()


def test_opening_logs_what_it_did_and_leaves_the_logging_setup_alone(old_db, db_url, caplog):
    app_logger = logging.getLogger("ticketbuddy.handoff.store")
    setup = (logging.root.level, list(logging.root.handlers), app_logger.disabled)
    store = HandoffStore(db_url)
    with caplog.at_level(logging.INFO, logger="ticketbuddy.handoff.store"):
        store.open()
        store.close()
        store.open()
    assert caplog.messages == [
        f"hand-off store {store.where} upgraded from 0001 to {HEAD}"
        " (created before schema migrations: stamped 0001 first)",
        f"hand-off store {store.where} at head {HEAD}",
    ]
    assert (logging.root.level, list(logging.root.handlers), app_logger.disabled) == setup  # no fileConfig
    store.close()
