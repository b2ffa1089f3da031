"""Start and stop real ``ticketbuddy serve`` processes for the tests that need a real server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    base: str
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, as in a crash or an OOM kill."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def start_server(env: dict[str, str], log: Path, timeout: float = 180, args: tuple[str, ...] = ()) -> Server:
    """``python -m ticketbuddy.cli serve`` on a free port with ``env`` added; waits until /readyz answers."""
    port = free_port()
    handle = log.open("a")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ticketbuddy.cli", "serve", "--port", str(port), *args],
        env={**os.environ, **env},
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return Server(proc, base, log)
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not become ready")


def serve_refusing(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run ``ticketbuddy serve`` expecting it to refuse to start (port 1 would fail anyway); its output."""
    return subprocess.run(
        [sys.executable, "-m", "ticketbuddy.cli", "serve", *args, "--port", "1"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def body(ticket: Any, **changes: Any) -> dict[str, Any]:
    """A ``Ticket`` as the JSON a client sends, with some fields changed."""
    return {**json.loads(ticket.model_dump_json()), **changes}
