"""The scoring path against its floor, the encoder, in one process (``python -m bench lean``).

Three figures, each side by side with its reference in the same run:

* **one ticket**: ``Scorer.assess`` of one unseen ticket (model and policy, the lean path) against the
  bare encoder running *exactly the calls the pipeline made* for that ticket (recorded, then replayed
  on the same warm encoder), and against the same scorer through the MLflow pyfunc (the path before
  the lean one). Medians of ``ONE`` tickets; the per-process sentence memo is cleared before each, so
  every ticket pays for its own sentences.
* **batch**: ``BATCH`` tickets scored as ``ticketbuddy score`` scores them (chunks, one worker per
  core, each with a one-thread encoder), against the bare encoder replaying the calls it made at its
  fastest here: the same workers on one-thread encoders, or one after another on an encoder with
  onnxruntime's default threads (one per core). Throughputs and the ratio to the faster.
* **identity**: probabilities and decisions of the lean path against the pyfunc on ``SAME`` tickets,
  memo cleared between the two passes so both embed every text themselves.
* **batch dependence**: the same ``CHUNK`` tickets scored together and one by one.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

ONE, BATCH, SAME, CHUNK = 300, 2000, 5000, 256


@contextmanager
def recorded_calls() -> Iterator[list[tuple[list[str], int]]]:
    """Every ``OnnxEncoder.encode`` call made inside the block: its texts and batch size."""
    from ticketbuddy.features.encoder import OnnxEncoder

    calls: list[tuple[list[str], int]] = []
    original = OnnxEncoder.encode

    def encode(self: Any, texts: list[str], batch_size: int = 32) -> Any:
        calls.append((list(texts), batch_size))
        return original(self, texts, batch_size)

    OnnxEncoder.encode = encode  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        OnnxEncoder.encode = original  # type: ignore[method-assign]


def _forget_sentences() -> None:
    from ticketbuddy.features.semantic import SentenceEncoder

    SentenceEncoder.forget()


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def _replay(encoder: Any, calls: Sequence[tuple[list[str], int]]) -> float:
    """Milliseconds the bare encoder takes for the same calls."""
    return _timed(lambda: [encoder.encode(texts, size) for texts, size in calls])


def _scorers() -> tuple[Any, Any, Any]:
    """Lean scorer, pyfunc scorer and bare encoder, set up as ``ticketbuddy score`` sets them up.

    With one worker per core each encoder call runs on one thread (``use_encoder_threads``), as in
    the scoring service too; BLAS stays on its default here and is capped where measured.
    """
    from ticketbuddy.features.encoder import load_onnx_encoder, use_encoder_threads
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.scoring.scorer import Scorer, load_model
    from ticketbuddy.scoring.warm import ready
    from ticketbuddy.settings import BatchSettings

    if BatchSettings().workers() > 1:
        use_encoder_threads(1)
    model = load_model("models:/ticket-escalation@champion")
    assert model.lean is not None, "the champion's pipeline does not compile to the lean path"
    encoder = load_onnx_encoder(str(model.encoder_path))
    policy = load_policy()
    lean = ready(Scorer(policy, model))  # as the service and ``ticketbuddy score`` make it ready
    return lean, Scorer(policy, replace(model, lean=None)), encoder


def bench_one(tickets: Sequence[Any], lean: Any, pyfunc: Any, encoder: Any) -> dict:
    """Median milliseconds for one ticket: lean scorer, the encoder on its texts, the pyfunc scorer.

    BLAS runs on one thread, as in the scoring service (``use_numeric_threads``); batch scoring keeps two.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        return _one(tickets, lean, pyfunc, encoder)


def _one(tickets: Sequence[Any], lean: Any, pyfunc: Any, encoder: Any) -> dict:
    for ticket in tickets[:10]:
        lean.assess([ticket])
        pyfunc.assess([ticket])
    scorer_ms, encoder_ms, pyfunc_ms = [], [], []
    for ticket in tickets[10 : 10 + ONE]:
        _forget_sentences()
        with recorded_calls() as calls:
            scorer_ms.append(_timed(lambda t=ticket: lean.assess([t])))
        encoder_ms.append(_replay(encoder, calls))
        _forget_sentences()
        pyfunc_ms.append(_timed(lambda t=ticket: pyfunc.assess([t])))
    lean_p50, encoder_p50 = statistics.median(scorer_ms), statistics.median(encoder_ms)
    return {
        "one_ticket_lean_ms_p50": round(lean_p50, 2),
        "one_ticket_encoder_ms_p50": round(encoder_p50, 2),
        "one_ticket_pyfunc_ms_p50": round(statistics.median(pyfunc_ms), 2),
        "one_ticket_lean_vs_encoder": round(lean_p50 / encoder_p50, 2),
        "one_ticket_lean_ms_p95": round(sorted(scorer_ms)[int(0.95 * len(scorer_ms)) - 1], 2),
    }


def _score_all(lean: Any, chunks: Sequence[Any], workers: int) -> tuple[float, list]:
    """Seconds to score every chunk with ``workers`` (as ``ticketbuddy score``), and the encoder calls."""
    from threadpoolctl import threadpool_limits

    from ticketbuddy.handoff.batch import in_order, score_tickets

    _forget_sentences()
    with recorded_calls() as calls, threadpool_limits(1 if workers > 1 else None, user_api="blas"):
        started = time.perf_counter()
        for _ in in_order(lambda chunk: score_tickets(lean, chunk), chunks, workers):
            pass
        return time.perf_counter() - started, calls


def bench_batch(tickets: Sequence[Any], lean: Any, encoder: Any) -> dict:
    """Tickets per second: batch scoring against the bare encoder on the texts it has to embed.

    The reference is the bare encoder on the texts of a one-worker run (each embedded once per file
    as far as the memo keeps them), at its fastest of the two ways the machine allows. Workers embed
    the same texts (``InFlight``; ``batch_score_texts`` says so), which this part checks, not assumes.
    """
    from ticketbuddy.features.encoder import OnnxEncoder
    from ticketbuddy.handoff.batch import in_order
    from ticketbuddy.settings import BatchSettings

    workers = BatchSettings().workers()
    chunks = [tickets[start : start + CHUNK] for start in range(0, len(tickets), CHUNK)]
    one_worker_s, fewest = _score_all(lean, chunks, 1)
    scoring_s, calls = _score_all(lean, chunks, workers)
    parallel_s = _timed(lambda: list(in_order(lambda call: _replay(encoder, [call]), fewest, workers))) / 1000
    default_threads = OnnxEncoder(encoder.path, threads=0)
    default_threads.encode(["warm up"])
    sequential_s = _replay(default_threads, fewest) / 1000
    encoder_s = min(parallel_s, sequential_s)
    per_s = lambda seconds: round(len(tickets) / seconds, 1)  # noqa: E731
    return {
        "batch_tickets": len(tickets),
        "batch_workers": workers,
        "batch_score_tickets_per_s": per_s(scoring_s),
        "batch_score_one_worker_tickets_per_s": per_s(one_worker_s),
        "batch_encoder_tickets_per_s": per_s(encoder_s),
        "batch_encoder_workers_tickets_per_s": per_s(parallel_s),
        "batch_encoder_one_call_at_a_time_tickets_per_s": per_s(sequential_s),
        "batch_vs_encoder_throughput": round(encoder_s / scoring_s, 3),
        "batch_encoder_texts": sum(len(texts) for texts, _ in fewest),
        "batch_score_texts": sum(len(texts) for texts, _ in calls),
    }


def bench_identity(tickets: Sequence[Any], lean: Any, pyfunc: Any) -> dict:
    """Largest probability difference and decisions that differ, lean path against the pyfunc."""
    largest, differ = 0.0, 0
    for start in range(0, len(tickets), CHUNK):
        chunk = tickets[start : start + CHUNK]
        _forget_sentences()
        before = pyfunc.assess(chunk)
        _forget_sentences()
        after = lean.assess(chunk)
        for old, new in zip(before, after, strict=True):
            largest = max(largest, abs((old.facts.probability or 0.0) - (new.facts.probability or 0.0)))
            differ += old.decision != new.decision
    return {
        "identity_tickets": len(tickets),
        "identity_max_probability_difference": largest,
        "identity_decisions_differing": differ,
    }


def bench_batch_dependence(tickets: Sequence[Any], lean: Any) -> dict:
    """How much a ticket's probability moves when it is scored in a batch rather than alone.

    Expected 0: the int8 encoder quantises each token's activations on its own scale
    (``features/per_token.py``). With the per-tensor scale it had before, a text's vector depended on
    the texts it was encoded with (probabilities up to 0.06 apart; docs/PERFORMANCE.md, item 12).
    """
    _forget_sentences()
    together = lean.assess(list(tickets))
    largest, differ = 0.0, 0
    for ticket, batched in zip(tickets, together, strict=True):
        _forget_sentences()
        alone = lean.assess([ticket])[0]
        largest = max(largest, abs((alone.facts.probability or 0.0) - (batched.facts.probability or 0.0)))
        differ += alone.decision.escalate != batched.decision.escalate
    return {
        "batch_dependence_tickets": len(tickets),
        "batch_dependence_max_probability_difference": round(largest, 6),
        "batch_dependence_escalations_differing": differ,
    }


def bench_lean(tickets: Sequence[Any]) -> dict:
    """All three figures on ``tickets`` (at least ``SAME`` of them, unseen by the champion)."""
    lean, pyfunc, encoder = _scorers()
    results = bench_one(tickets, lean, pyfunc, encoder)
    results.update(bench_batch(tickets[:BATCH], lean, encoder))
    results.update(bench_identity(tickets[:SAME], lean, pyfunc))
    results.update(bench_batch_dependence(tickets[:CHUNK], lean))
    return results
