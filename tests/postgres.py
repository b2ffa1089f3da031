"""A fresh PostgreSQL database per test, on the server named by ``TICKETBUDDY_TEST_POSTGRES_URL``.

``scripts/local-postgres.sh`` installs and starts one and prints its URL (CI does this). Without the
variable the PostgreSQL cases are skipped, saying why; with it set and the server unreachable they
fail, so a CI run cannot pass them by not running them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

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
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
