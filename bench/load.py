"""Closed-loop load on loopback: TicketBuddy's ``/v1/score`` against ``mlflow models serve`` of the champion.

``python -m bench load`` starts each server itself, drives it with N concurrent clients (asyncio and one
``httpx.AsyncClient`` pool of N connections), each sending its next ticket as soon as its previous
answer came, and stops the server, even when the run fails. Per level: a warm-up (not counted), then a
fixed measured window. Counted are the requests *started* in the window; every one is waited for, so
throughput is those requests over the time from the window's start to the last answer, and a slow
answer straddling the window's end is not dropped from the latencies. Latency percentiles are over the
200 answers; anything else is an error, counted by status (or by exception name).

Why the peer: it is the same champion served by MLflow's own scoring server, one ticket per request,
without TicketBuddy's policy, hand-off store and API, so the gap is what TicketBuddy adds. At start the
peer's probability for one ticket must equal TicketBuddy's (within 1e-4), or the run stops.

Settings (environment): ``BENCH_LOAD_LEVELS=1,8,20,32`` (clients per level), ``BENCH_LOAD_SECONDS=20``
(measured seconds per level). ``--server-env KEY=VALUE`` (repeatable) adds to TicketBuddy's environment;
``--label NAME`` writes ``bench/results/load-NAME.json`` instead (no figure) and ``--no-peer`` skips the
peer, for comparing settings.
With ``TICKETBUDDY_TEST_POSTGRES_URL`` set, TicketBuddy is also run on a fresh PostgreSQL database made on
that server for the run (dropped at the end); without it that sweep is skipped and the results say so.
Writes ``bench/results/load.json`` and ``docs/img/perf_load.png``; the machine should be otherwise quiet.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import platform
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.servers import free_port, peak_rss_mb, postgres_database, running

RESULTS = Path("bench/results/load.json")
PLOT = Path("docs/img/perf_load.png")
DEFAULT_LEVELS = (1, 8, 20, 32)
DEFAULT_SECONDS = 20.0
WARMUP_SECONDS = 3.0
PEER_MODEL = "models:/ticket-escalation@champion"
POSTGRES_ENV = "TICKETBUDDY_TEST_POSTGRES_URL"
Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list: the smallest value with ``p`` % at or below it."""
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(latencies_ms: list[float], errors: Counter[str], elapsed_s: float) -> dict[str, Any]:
    """Requests, errors by status, throughput and latency percentiles (ms) of one level."""
    ordered = sorted(latencies_ms)
    requests = len(ordered) + sum(errors.values())
    row: dict[str, Any] = {
        "requests": requests,
        "errors": sum(errors.values()),
        "errors_by_status": dict(sorted(errors.items())),
        "throughput_rps": round(requests / elapsed_s, 1) if elapsed_s > 0 else 0.0,
    }
    for name, p in (("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99), ("max", 100)):
        row[f"{name}_ms"] = round(percentile(ordered, p), 1) if ordered else None
    return row


def peer_payload(ticket: Any) -> dict[str, Any]:
    """MLflow's ``dataframe_split`` body for one ticket: the model's own frame, NaN sent as null.

    ``messages`` stays the JSON string ``tickets_to_frame`` makes (the signature's string column); a
    missing customer number is NaN in the frame, which JSON cannot carry, and the optional double
    columns accept null.
    """
    from ticketbuddy.features.conversation import tickets_to_frame

    split = tickets_to_frame([ticket]).to_dict(orient="split")
    data = [[None if isinstance(v, float) and math.isnan(v) else v for v in row] for row in split["data"]]
    return {"dataframe_split": {"columns": list(split["columns"]), "data": data}}


def peer_probability(answer: dict[str, Any]) -> float:
    """The probability in an ``/invocations`` answer (``{"predictions": [{...}]}``)."""
    return float(answer["predictions"][0]["probability"])


async def run_level(
    base: str, send: Send, clients: int, seconds: float, warmup: float, sequence: Iterator[int]
) -> dict[str, Any]:
    """Drive ``clients`` closed-loop clients for ``warmup + seconds``; summarize the measured window.

    ``sequence`` numbers the tickets sent; a sweep shares one across its levels, so no level re-sends
    a ticket an earlier level sent (the server keeps sentence vectors it has seen: a repeat is cheaper).
    """
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    start = time.perf_counter()
    window, end = start + warmup, start + warmup + seconds
    last = window

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal last
        while (sent := time.perf_counter()) < end:
            try:
                status = str((await send(client, next(sequence))).status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            done = time.perf_counter()
            if sent < window:
                continue
            last = max(last, done)
            if status == "200":
                latencies.append((done - sent) * 1000)
            else:
                errors[status] += 1

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
    return summarize(latencies, errors, max(last, end) - window)


def sweep(label: str, base: str, pid: int, send: Send, levels: list[int], seconds: float) -> list[dict]:
    """Every level against one running server, then its peak RSS (the server's tree)."""
    rows = []
    sequence = itertools.count()
    for clients in levels:
        row = {
            "server": label,
            "clients": clients,
            **asyncio.run(run_level(base, send, clients, seconds, WARMUP_SECONDS, sequence)),
            "tickets_sent_so_far": next(sequence),
        }
        rows.append(row)
        print(
            f"  {label} {clients:>3} clients: {row['throughput_rps']} req/s, p99 {row['p99_ms']} ms",
            flush=True,
        )
    rss, processes = peak_rss_mb(pid)
    for row in rows:
        row.update(server_peak_rss_mb=rss, server_processes=processes)
    return rows


def ticketbuddy_sweep(
    label: str,
    db_url: str,
    tickets: list,
    levels: list[int],
    seconds: float,
    extra: dict[str, str],
    tmp: Path,
) -> tuple[list[dict], float]:
    """TicketBuddy's sweep on the store at ``db_url``; also its probability for the check ticket."""
    from ticketbuddy.serve.keys import new_key

    key, port = new_key(), free_port()
    env = {
        **os.environ,
        "TICKETBUDDY_API_KEYS": f"{key}:score:rate=off",  # the load is the point: no budget
        "TICKETBUDDY_DB_URL": db_url,
        "TICKETBUDDY_MODEL_POLL_SECONDS": "0",
        **extra,
    }
    bodies = [json.loads(t.model_dump_json()) for t in tickets]
    run_id = uuid.uuid4().hex[:8]
    headers = {"Authorization": f"Bearer {key}"}

    async def send(client: httpx.AsyncClient, i: int) -> httpx.Response:
        body = bodies[i % len(bodies)]  # a fresh ticket_id: no request is an idempotent replay
        return await client.post(
            "/v1/score", json={**body, "ticket_id": f"{body['ticket_id']}-{run_id}-{i}"}, headers=headers
        )

    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "ticketbuddy.cli", "serve", "--port", str(port)]
    with running(cmd, env, f"{base}/readyz", tmp / f"{label}.log", 300) as pid:
        check = httpx.post(
            f"{base}/v1/score",
            json={**bodies[0], "ticket_id": f"check-{run_id}"},
            headers=headers,
            timeout=60,
        )
        check.raise_for_status()
        return sweep(label, base, pid, send, levels, seconds), float(check.json()["probability"])


def peer_sweep(
    tickets: list, levels: list[int], seconds: float, expected: float, tmp: Path
) -> tuple[list[dict], float]:
    """``mlflow models serve`` of the champion; fails unless its answer for the check ticket matches."""
    from ticketbuddy.scoring.tracking import tracking_uri

    port = free_port()
    bin_dir = str(Path(sys.executable).parent)  # the peer execs ``uvicorn`` found on PATH
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": tracking_uri(),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
    }
    mlflow = str(Path(bin_dir) / "mlflow")
    cmd = [
        mlflow,
        *f"models serve -m {PEER_MODEL} --env-manager local --port {port} --host 127.0.0.1".split(),
    ]
    bodies = [json.dumps(peer_payload(t)).encode() for t in tickets]
    headers = {"Content-Type": "application/json"}

    async def send(client: httpx.AsyncClient, i: int) -> httpx.Response:
        return await client.post("/invocations", content=bodies[i % len(bodies)], headers=headers)

    base = f"http://127.0.0.1:{port}"
    with running(cmd, env, f"{base}/ping", tmp / "peer.log", 600) as pid:
        answer = httpx.post(f"{base}/invocations", content=bodies[0], headers=headers, timeout=120)
        if answer.status_code != 200:
            raise RuntimeError(f"peer answered {answer.status_code}: {answer.text[:2000]}")
        got = peer_probability(answer.json())
        if abs(got - expected) > 1e-4:
            raise RuntimeError(f"peer probability {got} != TicketBuddy's {expected} for the same ticket")
        return sweep("mlflow models serve", base, pid, send, levels, seconds), got


def settings_from(argv: list[str]) -> dict[str, Any]:
    """Levels and seconds from the environment, TicketBuddy's extra environment from ``--server-env``."""
    parser = argparse.ArgumentParser(prog="python -m bench load")
    parser.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--label", help="write bench/results/load-LABEL.json (no figure): a variant run")
    parser.add_argument("--no-peer", action="store_true", help="skip mlflow models serve")
    args = parser.parse_args(argv)
    if bad := [item for item in args.server_env if "=" not in item]:
        parser.error(f"--server-env wants KEY=VALUE, got {bad}")
    extra = dict(item.split("=", 1) for item in args.server_env)
    levels = [
        int(n) for n in os.environ.get("BENCH_LOAD_LEVELS", ",".join(map(str, DEFAULT_LEVELS))).split(",")
    ]
    seconds = float(os.environ.get("BENCH_LOAD_SECONDS", DEFAULT_SECONDS))
    return {
        "levels": levels,
        "seconds": seconds,
        "warmup_seconds": WARMUP_SECONDS,
        "server_env": extra,
        "label": args.label,
        "peer": not args.no_peer,
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on, and when."""
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def bench_load(tickets: list, settings: dict[str, Any]) -> dict[str, Any]:
    """Every sweep (TicketBuddy on SQLite, on PostgreSQL when configured, then the peer); the results."""
    levels, seconds, extra = settings["levels"], settings["seconds"], settings["server_env"]
    settings = {
        **settings,
        "tickets": len(tickets),
        "peer_model": PEER_MODEL,
        "peer_workers": os.environ.get("MLFLOW_MODELS_WORKERS", "1 (default)"),
        "load_generator": "one asyncio process on the same machine as the server",
    }
    rows: list[dict] = []
    before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        sqlite_rows, expected = ticketbuddy_sweep(
            "TicketBuddy SQLite", f"sqlite:///{tmp}/h.db", tickets, levels, seconds, extra, tmp
        )
        rows += sqlite_rows
        server = os.environ.get(POSTGRES_ENV)
        if server:
            with postgres_database(server) as url:
                rows += ticketbuddy_sweep(
                    "TicketBuddy PostgreSQL", url, tickets, levels, seconds, extra, tmp
                )[0]
            settings["postgresql"] = "run on a fresh database of the server in " + POSTGRES_ENV
        else:
            settings["postgresql"] = f"skipped: {POSTGRES_ENV} is not set"
        got = None
        if settings["peer"]:
            peer_rows, got = peer_sweep(tickets, levels, seconds, expected, tmp)
            rows += peer_rows
    settings["check"] = {"ticketbuddy_probability": expected, "peer_probability": got}
    # The 1-minute load average before and after: a busy machine shows here (the sweeps load ~2 CPUs).
    return {
        "machine": {**machine(), "load_average_before": before, "load_average_after": os.getloadavg()[0]},
        "settings": settings,
        "rows": rows,
    }


def table(results: dict[str, Any]) -> str:
    """The rows as a fixed-width text table."""
    cols = (
        "server clients requests errors throughput_rps p50_ms p90_ms p95_ms p99_ms max_ms server_peak_rss_mb"
    )
    cols = cols.split()
    lines = ["  ".join(f"{c:>{22 if c == 'server' else len(c)}}" for c in cols)]
    for row in results["rows"]:
        lines.append("  ".join(f"{row[c]!s:>{22 if c == 'server' else len(c)}}" for c in cols))
    return "\n".join(lines)


def main(argv: list[str], tickets: list) -> None:
    """Run the sweeps, print the table, write the JSON and the figure."""
    from bench.plots import plot_load

    results = bench_load(tickets, settings_from(argv))
    print(table(results))
    print(f"PostgreSQL: {results['settings']['postgresql']}")
    label = results["settings"]["label"]
    target = RESULTS.with_name(f"load-{label}.json") if label else RESULTS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2) + "\n")
    if not label:
        plot_load(results, PLOT)
