#!/usr/bin/env python3
"""Smoke test of the README's front door: clone, ``make run``, the README's examples, ``make mlflow-ui``.

Run by CI after ``make test`` as ``python3 scripts/smoke.py [--repo PATH] [--budget SECONDS] [--keep]``.
Standard library only: it runs with the system Python, before and outside the project's venv.

What the README's examples are, and how an answer is matched against the JSON the README shows, is
in ``readme_check.py`` beside this file (pure, tested alone); this file starts processes and talks HTTP.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme_check import (  # noqa: E402 - beside this script, which runs outside any package
    PRINTS_MARKER,
    Example,
    api_key_from_env,
    assignments,
    contains_value,
    matches,
    prints_block,
    readme_examples,
    show,
    string_matches,
    strip_ansi,
    substitute_ports,
)

LOG_TAIL = 60
STOP_GRACE = 20.0


class SmokeFailure(Exception):
    """A failed check: the reason and, when useful, the log whose tail explains it."""

    def __init__(self, reason: str, log: Path | None = None) -> None:
        super().__init__(reason)
        self.reason, self.log = reason, log


@dataclass
class Background:
    """A command started in its own session, with its combined output in ``log``."""

    proc: subprocess.Popen[bytes]
    log: Path
    stopped: bool = False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, str]:
    """Status and body of a GET (no proxies); status 0 when nothing answered."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (OSError, urllib.error.URLError) as exc:
        return 0, str(exc)


def group_alive(pgid: int) -> bool:
    """Whether any non-zombie process is left in a process group."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not Path("/proc").is_dir():
        return True
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[2] == str(pgid) and fields[0] != "Z":
                return True
    return False


def stop(background: Background) -> None:
    """SIGTERM to the command's process group, SIGKILL if anything is left after the grace period."""
    if background.stopped:
        return
    pgid = background.proc.pid
    for sig, grace in ((signal.SIGTERM, STOP_GRACE), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        end = time.monotonic() + grace
        while group_alive(pgid) and time.monotonic() < end:
            background.proc.poll()
            time.sleep(0.2)
        if not group_alive(pgid):
            break
    with contextlib.suppress(subprocess.TimeoutExpired):
        background.proc.wait(timeout=5)
    background.stopped = True


def log_tail(log: Path, lines: int = LOG_TAIL) -> str:
    """The last lines of a log, without colour escapes; a progress bar shows only its last state."""
    try:
        text = strip_ansi(log.read_bytes().decode("utf-8", "replace"))
    except OSError as exc:
        return f"(cannot read {log}: {exc})"
    shown = [line.rstrip("\r").rsplit("\r", 1)[-1].rstrip() for line in text.split("\n")]
    return "\n".join([line for line in shown if line][-lines:])


def child_env() -> dict[str, str]:
    """A newcomer's environment: no TicketBuddy or MLflow settings inherited, no proxy for localhost.

    Nor ``PYTHONDONTWRITEBYTECODE``: a newcomer's Python writes ``__pycache__`` beside the sources,
    which must not make DVC think the code changed.
    """
    inherited = ("TICKETBUDDY_", "MLFLOW_TRACKING_", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    for name in ("NO_PROXY", "no_proxy"):
        env[name] = ",".join(filter(None, [env.get(name), "127.0.0.1", "localhost"]))
    return env


class Smoke:
    """One smoke run: a clone in a temporary folder, the commands it started, the time budget."""

    def __init__(self, repo: Path, budget: float, keep: bool) -> None:
        self.repo, self.budget, self.keep = repo, budget, keep
        self.deadline = time.monotonic() + budget
        self.tmp = Path(tempfile.mkdtemp(prefix="ticketbuddy-smoke-"))
        self.clone = self.tmp / "ticketbuddy"
        self.env = child_env()
        self.started: list[Background] = []
        self.step_name = "start"
        self.log: Path | None = None
        self.api_port, self.mlflow_port = free_port(), free_port()
        while self.mlflow_port == self.api_port:
            self.mlflow_port = free_port()

    def remaining(self) -> float:
        """Seconds left in the budget; a failure once it is spent."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise SmokeFailure(f"time budget of {self.budget:.0f} s exceeded", self.log)
        return left

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Announce a step, time it, and name it in any failure raised inside."""
        self.step_name, self.log = name, None
        print(f"==> {name}", flush=True)
        started = time.monotonic()
        yield
        print(f"ok ({time.monotonic() - started:.1f} s)", flush=True)

    def run(self, args: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """A command in the clone (after the clone step), bounded by the budget."""
        cwd = self.clone if self.clone.is_dir() else self.tmp
        try:
            return subprocess.run(
                args,
                cwd=cwd,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=min(timeout, self.remaining()),
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            self.remaining()
            raise SmokeFailure(f"{args[:3]} did not finish within {exc.timeout:.0f} s") from exc

    def start(self, args: list[str], log_name: str) -> Background:
        """A background command in the clone, in its own session, output to a log in the temp folder."""
        log = self.tmp / log_name
        with log.open("wb") as out:
            proc = subprocess.Popen(
                args,
                cwd=self.clone,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        background = Background(proc, log)
        self.started.append(background)
        self.log = log
        return background

    def wait_ready(self, server: Background) -> dict[str, Any]:
        """Poll /readyz every 2 s until it answers 200; it must say ``ready`` with a named model."""
        url = f"http://127.0.0.1:{self.api_port}/readyz"
        waited_since = heartbeat = time.monotonic()
        status, body = 0, "no answer yet"
        while True:
            if (code := server.proc.poll()) is not None:
                raise SmokeFailure(
                    f"`make run` exited with status {code} before /readyz answered", server.log
                )
            if time.monotonic() >= self.deadline:
                last = f"last /readyz answer: {status} {body[:200]}"
                raise SmokeFailure(f"time budget of {self.budget:.0f} s exceeded ({last})", server.log)
            status, body = http_get(url, timeout=5)
            if status == 200:
                break
            if time.monotonic() - heartbeat >= 60:
                heartbeat = time.monotonic()
                lines = log_tail(server.log, 1) or "(nothing logged yet)"
                print(
                    f"    waiting for /readyz ({heartbeat - waited_since:.0f} s): {lines[:150]}", flush=True
                )
            time.sleep(max(0.0, min(2.0, self.deadline - time.monotonic())))
        try:
            ready = json.loads(body)
        except json.JSONDecodeError as exc:
            raise SmokeFailure(f"/readyz answered 200 with a body that is not JSON: {body[:300]}") from exc
        if ready.get("status") != "ready":
            raise SmokeFailure(f"service degraded: /readyz says {show(ready)}", server.log)
        if ready.get("model_name") is None or ready.get("model_version") is None:
            raise SmokeFailure(
                f"/readyz is 'ready' without a model name and version: {show(ready)}", server.log
            )
        return ready

    def make_run(self, log_name: str) -> tuple[Background, dict[str, Any]]:
        """``make run PORT=<port>`` in the background, once it is ready."""
        server = self.start(["make", "run", f"PORT={self.api_port}"], log_name)
        return server, self.wait_ready(server)

    def api_get(self, path: str, key: str) -> Any:
        """An authenticated GET on the API, parsed; a failure unless it answers 200 with JSON."""
        status, body = http_get(f"http://127.0.0.1:{self.api_port}{path}", {"Authorization": f"Bearer {key}"})
        if status != 200:
            raise SmokeFailure(f"GET {path} answered {status}: {body[:500]}", self.log)
        return json.loads(body)

    def check_prints(self, readme: str, log: Path) -> None:
        """Every line of the README's "`make run` prints" block is a line of the make-run log."""
        expected = prints_block(readme)
        if not expected:
            raise SmokeFailure(f"README has no plain ``` block after a paragraph with {PRINTS_MARKER!r}")
        printed = [strip_ansi(line).strip() for line in log.read_text(errors="replace").splitlines()]
        for line in expected:
            if not any(string_matches(line, actual) for actual in printed):
                raise SmokeFailure(f"`make run` printed no line matching the README's {line!r}", log)

    def run_examples(self, examples: list[Example]) -> dict[str, Any] | None:
        """Run the README's curl examples in order; the answer of the first one expected to escalate.

        As in one terminal, a variable an earlier example set (``KEY=$(...)``) is set for later ones.
        """
        escalated = None
        session: list[str] = []
        for example in examples:
            label = f"example at README line {example.line}"
            script = "\n".join([*session, example.command])
            done = self.run(["bash", "-eo", "pipefail", "-c", script], timeout=120)
            session += assignments(example.command)
            if done.returncode != 0:
                raise SmokeFailure(
                    f"{label} exited {done.returncode}: {done.stderr[-800:]}{done.stdout[-800:]}"
                )
            try:
                answer = json.loads(done.stdout)
            except json.JSONDecodeError as exc:
                raise SmokeFailure(f"{label} did not print JSON ({exc}): {done.stdout[:800]!r}") from exc
            if example.expected is not None:
                if (difference := matches(example.expected, answer)) is not None:
                    where = f"expected answer at line {example.expected_line}"
                    raise SmokeFailure(f"{label} ({where}): {difference}")
                wants_escalation = (
                    isinstance(example.expected, dict) and example.expected.get("escalate") is True
                )
                if escalated is None and wants_escalation:
                    escalated = answer
            print(f"    {label}: ok", flush=True)
        return escalated

    def check_escalation(self, answer: dict[str, Any] | None) -> None:
        """The escalating example went to senior_cx at P1 with a hand-off that ``GET /v1/handoffs`` lists."""
        if answer is None:
            raise SmokeFailure('no README example has an expected answer with "escalate": true')
        got = {key: answer.get(key) for key in ("escalate", "priority", "route")}
        if got != {"escalate": True, "priority": "P1", "route": "senior_cx"}:
            raise SmokeFailure(f"expected escalate true, P1, senior_cx; got {show(got)}")
        handoff_id = (answer.get("handoff") or {}).get("handoff_id")
        if not handoff_id:
            raise SmokeFailure(f"the escalation has no handoff.handoff_id: {show(answer.get('handoff'))}")
        key = api_key_from_env((self.clone / ".env").read_text())
        if not key:
            raise SmokeFailure("no TICKETBUDDY_API_KEYS= line in the clone's .env")
        listing = self.api_get("/v1/handoffs", key)
        if not contains_value(listing, handoff_id):
            raise SmokeFailure(f"GET /v1/handoffs does not list hand-off {handoff_id}: {show(listing)}")

    def check_mlflow_ui(self) -> None:
        """``make mlflow-ui`` serves the UI, the experiment and the champion alias."""
        ui = self.start(["make", "mlflow-ui", f"MLFLOW_PORT={self.mlflow_port}"], "mlflow-ui.log")
        base = f"http://127.0.0.1:{self.mlflow_port}"
        give_up = time.monotonic() + 90
        while (status := http_get(base + "/", timeout=5))[0] != 200:
            if (code := ui.proc.poll()) is not None:
                raise SmokeFailure(f"`make mlflow-ui` exited with status {code}", ui.log)
            if time.monotonic() > give_up:
                raise SmokeFailure(f"the MLflow UI did not answer 200 on / within 90 s: {status}", ui.log)
            time.sleep(min(2.0, self.remaining()))
        checks = [
            "/api/2.0/mlflow/experiments/get-by-name?experiment_name=ticket-escalation",
            "/api/2.0/mlflow/registered-models/alias?name=ticket-escalation&alias=champion",
        ]
        for path in checks:
            status, body = http_get(base + path)
            if status != 200:
                raise SmokeFailure(f"MLflow GET {path} answered {status}: {body[:500]}", ui.log)
        if "model_version" not in json.loads(body):
            raise SmokeFailure(f"the champion alias has no model_version: {body[:500]}", ui.log)
        stop(ui)

    def check_clean(self) -> None:
        """Nothing tracked changed, nothing untracked is left un-ignored, and DVC sees nothing to do."""
        porcelain = self.run(["git", "status", "--porcelain"]).stdout
        if porcelain.strip():
            raise SmokeFailure(f"the checkout is not clean after `make run`:\n{porcelain.rstrip()}")
        status = self.run([str(self.clone / ".venv" / "bin" / "dvc"), "status"])
        if status.returncode != 0 or "up to date" not in status.stdout:
            raise SmokeFailure(f"`dvc status` after `make run` is not clean:\n{status.stdout}{status.stderr}")

    def main(self) -> None:
        """All the steps, in order."""
        with self.step("clone"):
            done = self.run(["git", "clone", "--quiet", str(self.repo), str(self.clone)])
            if done.returncode != 0:
                raise SmokeFailure(f"git clone failed: {done.stderr.strip()}")
        with self.step("read README"):
            readme = (self.clone / "README.md").read_text(encoding="utf-8")
            readme = substitute_ports(readme, self.api_port, self.mlflow_port)
            try:
                examples = readme_examples(readme)
            except ValueError as exc:
                raise SmokeFailure(str(exc)) from exc
            if not examples:
                raise SmokeFailure("README has no ```bash example running curl")
            print(
                f"    {len(examples)} example(s); API on :{self.api_port}, MLflow UI on :{self.mlflow_port}"
            )
        with self.step("first make run"):
            server, ready = self.make_run("make-run-1.log")
        with self.step("README: what make run prints"):
            self.check_prints(readme, server.log)
        with self.step("README examples"):
            self.log = server.log
            escalated = self.run_examples(examples)
        with self.step("escalation checks"):
            self.log = server.log
            self.check_escalation(escalated)
        with self.step("mlflow ui"):
            self.check_mlflow_ui()
        with self.step("checkout clean"):
            self.check_clean()
        with self.step("second make run is quick"):
            stop(server)
            started = time.monotonic()
            server, again = self.make_run("make-run-2.log")
            if again["model_version"] != ready["model_version"]:
                raise SmokeFailure(
                    f"served version {again['model_version']}, before {ready['model_version']}"
                )
            if "Running stage 'train'" in server.log.read_text(errors="replace"):
                raise SmokeFailure("the second `make run` retrained although nothing changed", server.log)
            print(f"    ready in {time.monotonic() - started:.1f} s with version {again['model_version']}")
        with self.step("empty tracking store trains again"):
            stop(server)
            (self.clone / "mlflow.db").unlink(missing_ok=True)
            server, _ = self.make_run("make-run-3.log")
            stop(server)

    def cleanup(self) -> None:
        """Stop everything started, by process group, and remove the temporary folder unless kept."""
        for background in self.started:
            stop(background)
        if self.keep:
            print(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def default_repo() -> Path:
    """The git top level of the folder holding this script."""
    here = Path(__file__).resolve().parent
    top = subprocess.run(
        ["git", "-C", str(here), "rev-parse", "--show-toplevel"], capture_output=True, text=True
    )
    return Path(top.stdout.strip()) if top.returncode == 0 else here.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=None, help="repository to clone (default: this one)")
    parser.add_argument("--budget", type=float, default=1500, help="overall time budget in seconds")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args(argv)


def _terminated(signum: int, frame: object) -> None:
    raise SmokeFailure(f"the smoke test received signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Run the smoke test; 0 when every step passed, 1 otherwise."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    started = time.monotonic()
    smoke = Smoke(args.repo or default_repo(), args.budget, args.keep)
    try:
        smoke.main()
    except (Exception, KeyboardInterrupt) as exc:
        reason = exc.reason if isinstance(exc, SmokeFailure) else f"unexpected {exc!r}"
        print(f"SMOKE FAILED at step '{smoke.step_name}': {reason}", flush=True)
        log = exc.log if isinstance(exc, SmokeFailure) and exc.log else smoke.log
        if log is not None:
            print(
                f"--- last {LOG_TAIL} lines of {log} ---\n{log_tail(log)}\n--- end of {log.name} ---",
                flush=True,
            )
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # finish stopping what was started
        smoke.cleanup()
    print(f"SMOKE PASSED in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
