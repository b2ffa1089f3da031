"""``ticketbuddy db current / upgrade``, and the service refusing a database newer than its code.

Tests taking ``db_url`` run on SQLite and on PostgreSQL (see conftest.py).
"""

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.fixtures import schema_before_migrations as before
from tests.serve.api import AUTH
from tests.serve.servers import serve_refusing
from ticketbuddy.cli import app as cli
from ticketbuddy.handoff.store import HandoffStore, SchemaTooNew
from ticketbuddy.policy.model import load_policy
from ticketbuddy.serve.app import create_app
from ticketbuddy.serve.reload import ModelHolder
from ticketbuddy.settings import ServiceSettings

from .migrating import run_alembic, set_revision

UPGRADE_HINT = "`ticketbuddy db upgrade` (or starting the service) brings it to 0004"


def db(*args, url):
    return CliRunner().invoke(cli, ["db", *args, "--db-url", url])


def where(url):
    return make_url(url).render_as_string(hide_password=True)


def newer_than_the_code(url):
    HandoffStore(url).open()
    set_revision(url, "0007")
    return (
        f"hand-off store {where(url)} is at schema revision 0007, newer than this TicketBuddy (head 0004):"
        " run a newer TicketBuddy or point TICKETBUDDY_DB_URL at another database"
    )


def test_db_current_and_upgrade_on_a_database_from_before_migrations(db_url):
    before.create(db_url)
    steps = [
        ("current", f": no schema revision, created before schema migrations (schema 0001): {UPGRADE_HINT}"),
        ("upgrade", " upgraded from 0001 to 0004 (created before schema migrations: stamped 0001 first)"),
        ("current", ": schema revision 0004 (head)"),
        ("upgrade", " at head 0004"),
    ]
    for command_name, says in steps:
        result = db(command_name, url=db_url)
        assert (result.exit_code, result.stdout) == (0, f"hand-off store {where(db_url)}{says}\n")


def test_db_current_on_an_empty_and_on_a_behind_database(db_url):
    empty = db("current", url=db_url)
    assert (empty.exit_code, empty.stdout) == (
        0,
        f"hand-off store {where(db_url)}: empty, no schema yet: {UPGRADE_HINT}\n",
    )
    run_alembic(db_url, command.upgrade, "0001")
    behind = db("current", url=db_url)
    says = f": schema revision 0001, not the head 0004: {UPGRADE_HINT}\n"
    assert (behind.exit_code, behind.stdout) == (0, f"hand-off store {where(db_url)}{says}")
    created = db("upgrade", url=db_url)
    assert created.stdout == f"hand-off store {where(db_url)} upgraded from 0001 to 0004\n"


def test_db_commands_on_a_database_newer_than_the_code_exit_1(db_url):
    refusal = newer_than_the_code(db_url)
    current = db("current", url=db_url)
    assert current.exit_code == 1
    assert (
        current.stdout
        == f"hand-off store {where(db_url)}: schema revision 0007, newer than this TicketBuddy (head 0004)\n"
    )
    upgrade = db("upgrade", url=db_url)
    assert (upgrade.exit_code, upgrade.stdout, upgrade.stderr) == (1, "", refusal + "\n")
    assert HandoffStore(db_url).schema_state().revision == "0007"  # left as it was


def test_db_commands_on_an_unreachable_store_exit_1_in_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'handoffs.db'}"
    for command_name in ("current", "upgrade"):
        result = db(command_name, url=url)
        assert result.exit_code == 1 and result.stdout == ""
        assert (
            result.stderr.startswith(f"hand-off store {url} unavailable (") and result.stderr.count("\n") == 1
        )


def test_the_service_does_not_start_on_a_database_newer_than_the_code(db_url):
    refusal = newer_than_the_code(db_url)
    settings = ServiceSettings(db_url=db_url, sweep_interval_seconds=0, _env_file=None)
    holder = ModelHolder(load_policy(), settings.model_uri, None)
    with pytest.raises(SchemaTooNew) as refused, TestClient(create_app(settings, holder=holder)):
        pass
    assert str(refused.value) == refusal


@pytest.mark.slow
def test_ticketbuddy_serve_exits_1_with_one_line_on_a_database_newer_than_the_code(tmp_path):
    url = f"sqlite:///{tmp_path / 'handoffs.db'}"
    refusal = newer_than_the_code(url)
    env = {"TICKETBUDDY_DB_URL": url, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}
    done = serve_refusing(env, "--allow-rules-only")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Uvicorn running" not in done.stderr
    assert done.stderr.splitlines()[-1] == f"ticketbuddy serve: not started: {refusal}"


def test_a_store_found_newer_after_an_unreachable_start_answers_503_saying_why(tmp_path, caplog):
    folder = tmp_path / "not-yet"
    url = f"sqlite:///{folder / 'handoffs.db'}"
    settings = ServiceSettings(db_url=url, sweep_interval_seconds=0, _env_file=None)
    holder = ModelHolder(load_policy(), settings.model_uri, None)
    with TestClient(create_app(settings, holder=holder), headers=AUTH) as client:  # starts: store unreachable
        assert client.get("/v1/handoffs").status_code == 503
        folder.mkdir()
        refusal = newer_than_the_code(url)  # meanwhile a newer TicketBuddy upgraded it
        response = client.get("/v1/handoffs")
    assert response.status_code == 503 and "schema does not match" in response.json()["detail"]
    assert refusal in caplog.text and url not in response.text  # the details (and the URL) in the log only
