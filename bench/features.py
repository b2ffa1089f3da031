"""What hearing meaning costs per ticket: scoring one ticket now, against a reference in the same run.

Issue 12 added sentence embeddings (semantic triggers, complexity) and the bot's confidence to every
ticket. The reference is the same tickets, one at a time, through the same ``Scorer`` code with the
model given on the command line (``python -m bench features:URI``: the last champion trained without
those features) and the policy's families matched on keywords only: the cost of the scoring path
before the change. The bare encoder on the ticket's customer text is the floor. Medians of 300 tickets, after a
warm-up; sentence vectors are kept per process, so each ticket's sentences are new to the run only
once (the same tickets are scored first by the reference, then by the champion, then again — the
second champion pass shows the cost when a conversation is re-sent).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def _median_ms(tickets: list, score: Callable[[Any], object]) -> float:
    latencies = []
    for ticket in tickets:
        started = time.perf_counter()
        score(ticket)
        latencies.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(latencies), 2)


def bench_features(tickets: list, reference_uri: str) -> dict:
    """Median milliseconds per ticket: encoder alone, reference scorer, champion scorer (cold, re-sent)."""
    from ticketbuddy.features.encoder import ensure_encoder, load_onnx_encoder
    from ticketbuddy.handoff.batch import score_tickets
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.scoring.scorer import Scorer, load_model

    policy = load_policy()
    encoder = load_onnx_encoder(str(ensure_encoder()))
    reference = Scorer(policy, load_model(reference_uri), semantic=False)
    champion = Scorer(policy, load_model("models:/ticket-escalation@champion"))
    warm, sample = tickets[:10], tickets[10:310]
    for ticket in warm:
        score_tickets(reference, [ticket])
        score_tickets(champion, [ticket])

    def customer_text(ticket: Any) -> str:
        return "\n".join(m.text for m in ticket.messages if m.role == "customer")

    encoder_ms = _median_ms(sample, lambda t: encoder.encode([customer_text(t)]))
    reference_ms = _median_ms(sample, lambda t: score_tickets(reference, [t]))
    champion_ms = _median_ms(sample, lambda t: score_tickets(champion, [t]))
    resent_ms = _median_ms(sample, lambda t: score_tickets(champion, [t]))
    return {
        "features_reference": reference_uri,
        "score_one_encoder_ms_p50": encoder_ms,
        "score_one_reference_ms_p50": reference_ms,
        "score_one_champion_ms_p50": champion_ms,
        "score_one_champion_resent_ms_p50": resent_ms,
        "score_one_champion_vs_reference": round(champion_ms / reference_ms, 2),
    }


def bench_policy(tickets: list, reference_policy: str) -> dict:
    """Median milliseconds per ticket with the champion: under another policy file, then the shipped one.

    ``python -m bench policy:PATH`` (e.g. ``git show REV:src/policy/policy.yaml > old.yaml``) isolates
    what a policy change costs: same model, same tickets, same process. Sentence vectors are kept per
    process, so both are timed after a first pass over the tickets (the encoder's cost is the same).
    """
    from ticketbuddy.handoff.batch import score_tickets
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.scoring.scorer import Scorer, load_model

    model = load_model("models:/ticket-escalation@champion")
    reference, shipped = Scorer(load_policy(reference_policy), model), Scorer(load_policy(), model)
    sample = tickets[:300]
    for ticket in sample:
        score_tickets(reference, [ticket])
        score_tickets(shipped, [ticket])
    reference_ms = _median_ms(sample, lambda t: score_tickets(reference, [t]))
    shipped_ms = _median_ms(sample, lambda t: score_tickets(shipped, [t]))
    return {
        "policy_reference": reference_policy,
        "score_one_reference_policy_ms_p50": reference_ms,
        "score_one_shipped_policy_ms_p50": shipped_ms,
        "score_one_shipped_vs_reference_policy": round(shipped_ms / reference_ms, 2),
    }
