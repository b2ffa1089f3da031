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
    sample = tickets[10:310]
    _warm_up(tickets[:10], reference, champion)

    def customer_text(ticket: Any) -> str:
        return "\n".join(m.text for m in ticket.messages if m.role == "customer")

    encoder_ms = _median_ms(sample, lambda t: encoder.encode([customer_text(t)]))
    figures = _side_by_side(sample, "reference", reference, "champion", champion)
    return {
        "features_reference": reference_uri,
        "score_one_encoder_ms_p50": encoder_ms,
        **figures,
        "score_one_champion_resent_ms_p50": _median_ms(sample, lambda t: score_tickets(champion, [t])),
    }


def bench_policy(tickets: list, reference_policy: str) -> dict:
    """Median milliseconds per ticket with the champion: under another policy file, then the shipped one.

    ``python -m bench policy:PATH`` (e.g. ``git show REV:src/policy/policy.yaml > old.yaml``) isolates
    what a policy change costs: same model, same tickets, same process. Sentence vectors are kept per
    process, so both are timed after a first pass over the tickets (the encoder's cost is the same).
    """
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.scoring.scorer import Scorer, load_model

    model = load_model("models:/ticket-escalation@champion")
    reference, shipped = Scorer(load_policy(reference_policy), model), Scorer(load_policy(), model)
    sample = tickets[:300]
    _warm_up(sample, reference, shipped)
    figures = _side_by_side(sample, "reference_policy", reference, "shipped_policy", shipped)
    return {"policy_reference": reference_policy, **figures}


def _warm_up(tickets: list, *scorers: Any) -> None:
    """Score each ticket once with each scorer (sessions started, sentence vectors kept)."""
    from ticketbuddy.handoff.batch import score_tickets

    for ticket in tickets:
        for scorer in scorers:
            score_tickets(scorer, [ticket])


def _side_by_side(tickets: list, name: str, reference: Any, other_name: str, other: Any) -> dict:
    """``score_one_<name>_ms_p50`` for both scorers (reference first), and the ratio other / reference."""
    from ticketbuddy.handoff.batch import score_tickets

    reference_ms = _median_ms(tickets, lambda t: score_tickets(reference, [t]))
    other_ms = _median_ms(tickets, lambda t: score_tickets(other, [t]))
    return {
        f"score_one_{name}_ms_p50": reference_ms,
        f"score_one_{other_name}_ms_p50": other_ms,
        f"score_one_{other_name}_vs_{name}": round(other_ms / reference_ms, 2),
    }
