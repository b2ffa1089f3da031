"""A throwaway PostgreSQL cluster of one test's own, on a free loopback port, that it may stop and start.

Stopping the shared server of ``TICKETBUDDY_TEST_POSTGRES_URL`` would break every other test using it,
so a test that restarts PostgreSQL makes its own cluster with the installed server's ``initdb`` and
``pg_ctl`` (run as the ``postgres`` user: the server refuses to run as root), in a temporary folder,
trusting loopback connections only. Without those binaries the test is skipped, saying why, unless
``TICKETBUDDY_TEST_POSTGRES_URL`` is set: then PostgreSQL cases are expected to run, and it fails.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.postgres import ENV
from tests.serve.servers import free_port

USER = "postgres"


@dataclass(frozen=True)
class Cluster:
    """A running throwaway cluster: its folder, binaries and port."""

    folder: Path
    bin: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL for ``database`` on this cluster (trust authentication, loopback only)."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        _as_postgres(
            self.bin / "pg_ctl",
            "-D",
            self.folder / "data",
            "-l",
            self.folder / "log",
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``immediate`` is a crash (no checkpoint, every connection cut)."""
        _as_postgres(self.bin / "pg_ctl", "-D", self.folder / "data", "-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        """Create an empty database; its URL."""
        _as_postgres(self.bin / "createdb", "-h", "127.0.0.1", "-p", str(self.port), name)
        return self.url(name)


def _as_postgres(*command: object) -> None:
    subprocess.run(
        ["runuser", "-u", USER, "--", *map(str, command)], check=True, capture_output=True, timeout=120
    )


def _binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder, if this process may run it as ``postgres``."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if not found or shutil.which("runuser") is None or os.geteuid() != 0:
        return None
    return Path(found[-1]).parent


def throwaway_cluster() -> Iterator[Cluster]:
    """initdb a cluster in a temporary folder, start it, yield it; stop it and delete the folder after."""
    binaries = _binaries()
    if binaries is None:
        reason = (
            "a PostgreSQL restart needs initdb and pg_ctl (/usr/lib/postgresql/*/bin) and root for runuser"
        )
        if os.environ.get(ENV):
            pytest.fail(f"{ENV} is set but {reason}")
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="tb-pg-"))
    shutil.chown(folder, USER, USER)
    cluster = Cluster(folder, binaries, free_port())
    try:
        _as_postgres(binaries / "initdb", "-D", folder / "data", "-A", "trust", "-U", USER, "--no-sync")
        cluster.start()
        yield cluster
    finally:
        if (folder / "data" / "postmaster.pid").exists():  # running, even if the test failed
            cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)
