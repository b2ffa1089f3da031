"""A fresh PostgreSQL database per test, on the server named by ``TICKETBUDDY_TEST_POSTGRES_URL``.

``scripts/local-postgres.sh`` installs and starts one and prints its URL (CI does this). Without the
variable the PostgreSQL cases are skipped, saying why; with it set and the server unreachable they
fail, so a CI run cannot pass them by not running them.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

ENV = "TICKETBUDDY_TEST_POSTGRES_URL"


def postgres_database() -> Iterator[str]:
    """Create an empty database, yield its URL, then drop it (closing any connection left open)."""
    server = os.environ.get(ENV)
    if not server:
        pytest.skip(f"PostgreSQL cases need {ENV} (scripts/local-postgres.sh prints one)")
    name = f"tb_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
        _drop(admin, name)
    finally:
        admin.dispose()


def _drop(admin: Engine, name: str, attempts: int = 20) -> None:
    """Drop a test database, retrying while a backend the test's role may not end is in it.

    ``WITH (FORCE)`` ends the test's own leftover connections (they are the test role's), but refuses
    ("must be a member of the role whose process is being terminated") while a backend of another
    role is connected. Seen once in CI at a teardown: a server process visiting the fresh database
    (autovacuum is the likely one), gone moments later; a connection that stays still fails the test.
    """
    for attempt in range(attempts):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError as exc:
            if "role whose process is being terminated" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.25)
