"""Benchmarks: embedding throughput, single-ticket scoring latency, batch scoring, generator, memory,
one ticket against the scoring path before semantic triggers (``bench/features.py``), and the log
redaction's cost per KB (``bench/redaction.py``).

Run with ``make bench`` from the repo root after ``make train`` (it scores with the champion in the
MLflow store in force). Prints a table and writes ``bench/latest.json``. ``python -m bench redaction``
(or ``model``) runs one part alone and updates its figures in ``bench/latest.json``, keeping the
rest. ``python -m bench features:MODEL_URI`` compares one ticket's scoring with the champion against
the model at MODEL_URI (a model trained before semantic triggers) through the same code;
``python -m bench policy:PATH`` scores one ticket with the champion under the policy file at PATH and
under the shipped policy (what a policy change costs).

``python -m bench load [--server-env KEY=VALUE ...]`` runs alone (never in ``make bench``): closed-loop
concurrent clients against TicketBuddy's ``/v1/score`` and ``mlflow models serve`` of the champion,
servers started and stopped by the benchmark (``bench/load.py``). ``BENCH_LOAD_LEVELS=1,8,20,32`` sets
the clients per level, ``BENCH_LOAD_SECONDS=20`` the measured seconds per level;
``TICKETBUDDY_TEST_POSTGRES_URL`` adds a sweep on PostgreSQL. Writes ``bench/results/load.json`` and
``docs/img/perf_load.png``.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from bench.features import bench_features, bench_policy
from bench.redaction import bench_redaction
from ticketbuddy.cli import app
from ticketbuddy.data.jsonl import read_tickets

LATEST = Path("bench/latest.json")
PARTS = ("model", "features", "policy", "redaction", "load")


def _history(n: int, seed: int, folder: Path) -> list:
    path = folder / f"bench-{n}-{seed}.jsonl"
    started = time.perf_counter()
    result = CliRunner().invoke(
        app, ["data", "synth", "--n", str(n), "--seed", str(seed), "--out", str(path)]
    )
    assert result.exit_code == 0, result.output
    _history.seconds = time.perf_counter() - started
    return read_tickets(path).tickets


def bench_embedding(tickets: list) -> dict:
    import numpy as np

    from ticketbuddy.features.encoder import bundled_model_path, ensure_encoder, load_onnx_encoder
    from ticketbuddy.features.text import load_torch_encoder

    texts = ["\n".join(m.text for m in t.messages if m.role == "customer") for t in tickets]
    onnx = load_onnx_encoder(str(ensure_encoder()))
    onnx.encode(texts[:16])
    started = time.perf_counter()
    fast = onnx.encode(texts)
    onnx_rate = len(texts) / (time.perf_counter() - started)
    torch_model = load_torch_encoder(str(bundled_model_path()))
    torch_model.encode(texts[:16])
    started = time.perf_counter()
    exact = torch_model.encode(texts, batch_size=32, normalize_embeddings=True)
    torch_rate = len(texts) / (time.perf_counter() - started)
    cosine = (fast * exact).sum(axis=1)
    return {
        "embedding_onnx_int8_tickets_per_s": round(onnx_rate, 1),
        "embedding_torch_tickets_per_s": round(torch_rate, 1),
        "embedding_speedup": round(onnx_rate / torch_rate, 2),
        "embedding_cosine_mean": round(float(cosine.mean()), 4),
        "embedding_cosine_min": round(float(np.min(cosine)), 4),
    }


def bench_scoring(tickets: list) -> dict:
    from ticketbuddy.handoff.batch import score_tickets
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.scoring.scorer import Scorer, load_model

    started = time.perf_counter()
    scorer = Scorer(load_policy(), load_model("models:/ticket-escalation@champion"))
    load_seconds = time.perf_counter() - started
    for ticket in tickets[:5]:
        score_tickets(scorer, [ticket])
    latencies = []
    for ticket in tickets[:300]:
        started = time.perf_counter()
        score_tickets(scorer, [ticket])
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    started = time.perf_counter()
    for i in range(0, len(tickets), 256):
        score_tickets(scorer, tickets[i : i + 256])
    batch_rate = len(tickets) / (time.perf_counter() - started)
    return {
        "model_load_s": round(load_seconds, 2),
        "score_one_ms_p50": round(statistics.median(latencies), 1),
        "score_one_ms_p95": round(latencies[int(0.95 * len(latencies)) - 1], 1),
        "batch_score_tickets_per_s": round(batch_rate, 1),
    }


def bench_server(tickets: list) -> dict:
    """p50 / p95 of /v1/score on a real uvicorn server (persistence included), one client, 200 tickets."""
    import os
    import socket
    import subprocess
    import sys

    import httpx

    from ticketbuddy.serve.keys import new_key

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    key = new_key()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "TICKETBUDDY_API_KEYS": f"{key}:score",
            "TICKETBUDDY_DB_URL": f"sqlite:///{tmp}/h.db",
            "TICKETBUDDY_MODEL_POLL_SECONDS": "0",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "ticketbuddy.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            headers = {"Authorization": f"Bearer {key}"}
            latencies = []
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                for ticket in tickets[:205]:
                    body = json.loads(ticket.model_dump_json())
                    started = time.perf_counter()
                    assert client.post("/v1/score", json=body).status_code == 200
                    latencies.append((time.perf_counter() - started) * 1000)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    latencies = sorted(latencies[5:])
    return {
        "server_score_ms_p50": round(statistics.median(latencies), 1),
        "server_score_ms_p95": round(latencies[int(0.95 * len(latencies)) - 1], 1),
    }


def bench_model() -> dict:
    """Generator, embedding, scoring and server figures (needs a champion: ``make train``)."""
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        _history(100_000, 1, Path(tmp))
        results["synth_100k_s"] = round(_history.seconds, 1)
        tickets = _history(1_000, 2, Path(tmp))
    results.update(bench_embedding(tickets[:500]))
    results.update(bench_scoring(tickets))
    results.update(bench_server(tickets))
    return results


def main(parts: list[str]) -> None:
    if parts[:1] == ["load"]:
        from bench.load import main as bench_load

        with tempfile.TemporaryDirectory() as tmp:
            bench_load(parts[1:], _history(2_000, 7, Path(tmp)))
        return
    if "load" in parts:
        raise SystemExit("the load part runs alone: python -m bench load [--server-env KEY=VALUE ...]")
    reference = next((p.split(":", 1)[1] for p in parts if p.startswith("features:")), None)
    old_policy = next((p.split(":", 1)[1] for p in parts if p.startswith("policy:")), None)
    parts = [p.split(":", 1)[0] for p in parts]
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise SystemExit(f"unknown part(s) {sorted(unknown)}; choose from {list(PARTS)}")
    results: dict = json.loads(LATEST.read_text()) if parts and LATEST.exists() else {}
    if not parts or "model" in parts:
        results.update(bench_model())
    if "features" in parts and reference:
        with tempfile.TemporaryDirectory() as tmp:
            results.update(bench_features(_history(400, 3, Path(tmp)), reference))
    if "policy" in parts and old_policy:
        with tempfile.TemporaryDirectory() as tmp:
            results.update(bench_policy(_history(400, 3, Path(tmp)), old_policy))
    if not parts or "redaction" in parts:
        results.update(bench_redaction())
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")
    LATEST.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
