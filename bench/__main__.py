"""Benchmarks, never tests: ``make bench`` runs every part below and writes ``bench/results/<part>.json``.

Run from the repo root after ``make train`` (they score with the champion of the MLflow store in
force); ``python -m bench PART ...`` runs some parts alone. See docs/PERFORMANCE.md for the figures.

* ``model``: the generator (100,000 tickets), the int8 ONNX encoder against torch, model load time.
* ``lean`` (``bench/lean.py``): one ticket and batch scoring against the bare encoder on exactly the
  texts the pipeline embeds, and the lean path's probabilities against the pyfunc's on 5,000 tickets.
* ``redaction`` (``bench/redaction.py``): the log redaction's cost per KB.
* ``load`` (``bench/load.py``): closed-loop concurrent clients against TicketBuddy's ``/v1/score``
  (SQLite; PostgreSQL too when ``TICKETBUDDY_TEST_POSTGRES_URL`` is set) and ``mlflow models serve``
  of the same model, servers started and stopped by the benchmark. ``BENCH_LOAD_LEVELS=1,8,20,32``
  sets the clients per level, ``BENCH_LOAD_SECONDS=20`` the measured seconds per level;
  ``python -m bench load --server-env KEY=VALUE ...`` passes settings to the server. Also draws
  ``docs/img/perf_load.png``.

Opt-in parts with an argument: ``features:MODEL_URI`` compares one ticket's scoring with the champion
against the model at MODEL_URI (one trained before semantic triggers) through the same code;
``policy:PATH`` scores one ticket with the champion under the policy file at PATH and under the
shipped policy (what a policy change costs).
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from bench.features import bench_features, bench_policy
from bench.lean import bench_lean
from bench.redaction import bench_redaction
from ticketbuddy.cli import app
from ticketbuddy.data.jsonl import read_tickets

RESULTS = Path("bench/results")
#: What ``make bench`` runs; ``OPTIONAL`` parts need an argument (``features:URI``, ``policy:PATH``).
PARTS = ("model", "lean", "redaction", "load")
OPTIONAL = ("features", "policy")
#: Unseen tickets for the lean part: its identity check reads ``bench.lean.SAME`` of them.
LEAN_TICKETS = 5_000
#: Tickets for the load part: more than a sweep sends, so none is sent twice to one server.
LOAD_TICKETS = 8_000


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


def bench_model() -> dict:
    """Generator speed, the encoder (int8 ONNX against torch) and how long the champion takes to load."""
    from ticketbuddy.scoring.scorer import load_model

    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        _history(100_000, 1, Path(tmp))
        results["synth_100k_s"] = round(_history.seconds, 1)
        tickets = _history(500, 2, Path(tmp))
    results.update(bench_embedding(tickets))
    started = time.perf_counter()
    load_model("models:/ticket-escalation@champion")
    results["model_load_s"] = round(time.perf_counter() - started, 2)
    return results


def _write(part: str, results: dict) -> None:
    """Print a part's figures and write them to ``bench/results/<part>.json``."""
    results = {**results, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{part}.json").write_text(json.dumps(results, indent=2) + "\n")


def main(parts: list[str]) -> None:
    """Run the parts asked for (all of ``PARTS`` when none), each writing its own results file."""
    if parts[:1] == ["load"] and len(parts) > 1:  # python -m bench load --server-env KEY=VALUE ...
        _load(parts[1:])
        return
    named = dict(p.split(":", 1) if ":" in p else (p, "") for p in parts) or dict.fromkeys(PARTS, "")
    unknown = set(named) - set(PARTS) - set(OPTIONAL)
    if unknown:
        raise SystemExit(f"unknown part(s) {sorted(unknown)}; choose from {[*PARTS, *OPTIONAL]}")
    with tempfile.TemporaryDirectory() as tmp:
        if "model" in named:
            _write("model", bench_model())
        if "lean" in named:
            _write("lean", bench_lean(_history(LEAN_TICKETS, 4, Path(tmp))))
        if named.get("features"):
            _write("features", bench_features(_history(400, 3, Path(tmp)), named["features"]))
        if named.get("policy"):
            _write("policy", bench_policy(_history(400, 3, Path(tmp)), named["policy"]))
        if "redaction" in named:
            _write("redaction", bench_redaction())
    if "load" in named:
        _load([])


def _load(argv: list[str]) -> None:
    from bench.load import main as bench_load

    with tempfile.TemporaryDirectory() as tmp:
        bench_load(argv, _history(LOAD_TICKETS, 7, Path(tmp)))


if __name__ == "__main__":
    main(sys.argv[1:])
