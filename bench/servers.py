"""Servers a benchmark starts itself: free ports, start-wait-stop, peak memory, a throwaway database.

A server runs in a process group of its own, so stopping it stops whatever it forked (``mlflow models
serve`` execs uvicorn, which may fork workers); its peak memory is summed over that process tree.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc (the peer forks uvicorn workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def peak_rss_mb(root: int) -> tuple[float, int]:
    """Sum of ``VmHWM`` (peak resident set) over the process tree at ``root``, and how many processes."""
    total_kb, count = 0, 0
    for pid in _tree(root):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total_kb += int(line.split()[1])
                    count += 1
    return round(total_kb / 1024, 1), count


@contextlib.contextmanager
def running(cmd: list[str], env: dict[str, str], probe: str, log: Path, wait_s: float) -> Iterator[int]:
    """Start a server in its own process group, wait until ``probe`` answers 200, yield its pid.

    On the way out the group gets SIGTERM, then SIGKILL after 30 s: the peer's workers go with it.
    """
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[:4]} exited {proc.returncode}:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(probe, timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{probe} not ready after {wait_s:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=30)


@contextlib.contextmanager
def postgres_database(server: str) -> Iterator[str]:
    """A fresh, uniquely named database on ``server`` for one run; dropped (even on failure) at the end."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"tb_load_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
