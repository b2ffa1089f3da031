"""The scoring path against its floor, the encoder, in one process (``python -m bench lean``).

Three figures, each side by side with its reference in the same run:

* **one ticket**: ``Scorer.assess`` of one unseen ticket (model and policy, the lean path) against the
  bare encoder running *exactly the calls the pipeline made* for that ticket (recorded, then replayed
  on the same warm encoder), and against the same scorer through the MLflow pyfunc (the path before
  the lean one). Medians of ``ONE`` tickets; the per-process sentence memo is cleared before each, so
  every ticket pays for its own sentences.
* **batch**: ``handoff.batch.score_tickets`` over ``BATCH`` tickets in the chunks ``ticketbuddy score``
  uses, against the bare encoder replaying the calls it made: throughput and their ratio.
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
    from ticketbuddy.features.encoder import load_onnx_encoder
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.scoring.scorer import Scorer, load_model
    from ticketbuddy.scoring.warm import ready

    model = load_model("models:/ticket-escalation@champion")
    assert model.lean is not None, "the champion's pipeline does not compile to the lean path"
    encoder = load_onnx_encoder(str(model.encoder_path))
    policy = load_policy()
    lean = ready(Scorer(policy, model))  # as the service and ``ticketbuddy score`` make it ready
    return lean, Scorer(policy, replace(model, lean=None)), encoder


def bench_one(tickets: Sequence[Any], lean: Any, pyfunc: Any, encoder: Any) -> dict:
    """Median milliseconds for one ticket: lean scorer, the encoder on its texts, the pyfunc scorer.

    BLAS runs on one thread, as in the scoring service (``use_blas_threads``); batch scoring keeps two.
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


def bench_batch(tickets: Sequence[Any], lean: Any, encoder: Any) -> dict:
    """Tickets per second: batch scoring against the bare encoder on exactly the texts it embedded."""
    from ticketbuddy.handoff.batch import score_tickets

    _forget_sentences()
    with recorded_calls() as calls:
        started = time.perf_counter()
        for start in range(0, len(tickets), CHUNK):
            score_tickets(lean, tickets[start : start + CHUNK])
        scoring_s = time.perf_counter() - started
    encoder_s = _replay(encoder, calls) / 1000
    return {
        "batch_tickets": len(tickets),
        "batch_score_tickets_per_s": round(len(tickets) / scoring_s, 1),
        "batch_encoder_tickets_per_s": round(len(tickets) / encoder_s, 1),
        "batch_vs_encoder_throughput": round(encoder_s / scoring_s, 3),
        "batch_encoder_texts": sum(len(texts) for texts, _ in calls),
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
