"""The traffic profile a model was trained on, and how far live traffic has moved from it.

Training logs a **reference profile** (``monitor/reference.json``) on its run: the distribution of the
model's probability on the test tickets (fixed bins), the channel / tier / topic mix, the customer's
message length (fixed bins), the mean embedding of the customer's text and the base rates. The live
monitor (``ticketbuddy.handoff.monitor``) builds the same profile of a window of scored traffic and compares
the two with the population stability index (PSI) and the cosine distance of the mean embeddings.

Topic is the **fired trigger families** (the policy's, e.g. ``legal``, ``refund``), because the live
``scorings`` rows record them for every ticket, kept or escalated; a ticket with none counts as
``none``, a ticket with several counts once under each. The profile holds shares, bins and one mean
vector: no customer text and no ids, so it may be logged and shown anywhere.

Lives in ``scoring`` because both training (which writes it) and the monitor (which reads it) may
import this layer.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from ticketbuddy.features.conversation import tickets_to_frame
from ticketbuddy.features.pipeline import text_embedder
from ticketbuddy.features.triggers import TriggerFinder
from ticketbuddy.policy.model import Policy
from ticketbuddy.schemas import Ticket

#: Where the reference profile is logged on the training run.
REFERENCE_ARTIFACT = "monitor/reference.json"
#: Fixed bin edges of the model's probability (fine at the low end, where most tickets are).
PROBABILITY_EDGES = [0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
#: Fixed bin edges of the customer's message length (characters over all their turns).
LENGTH_EDGES = [0.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0, math.inf]
#: Share given to an empty bin so that PSI stays finite (a bin empty on one side is still a change).
PSI_FLOOR = 1e-4
NO_TOPIC = "none"


@dataclass
class Profile:
    """A traffic profile: shares per bin or category, the mean text embedding and the base rates."""

    tickets: int
    probability: list[float]
    channel: dict[str, float]
    tier: dict[str, float]
    topic: dict[str, float]
    length: list[float]
    embedding_mean: list[float]
    base_rate: float | None = None
    escalation_share: float | None = None
    threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, with the bin edges so a reader can plot it."""
        edges = {"probability_edges": PROBABILITY_EDGES, "length_edges": [*LENGTH_EDGES[:-1], "inf"]}
        return {**asdict(self), **edges, "topic_is": "fired trigger families"}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        """Read the JSON form back (extra keys ignored)."""
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]


def histogram(values: Iterable[float], edges: Sequence[float]) -> list[float]:
    """Shares of ``values`` in the bins ``edges`` make (the last bin includes its right edge)."""
    array = np.asarray(list(values), dtype=float)
    if array.size == 0:
        return [0.0] * (len(edges) - 1)
    index = np.clip(np.searchsorted(edges, array, side="right") - 1, 0, len(edges) - 2)
    counts = np.bincount(index, minlength=len(edges) - 1)
    return [float(c) / array.size for c in counts]


def mix(values: Iterable[str | None]) -> dict[str, float]:
    """Share of each category (None counts as ``missing``)."""
    counts = Counter(v or "missing" for v in values)
    total = sum(counts.values())
    return {k: c / total for k, c in sorted(counts.items())} if total else {}


def topics(families: Iterable[Iterable[str]]) -> dict[str, float]:
    """Topic mix: each ticket's fired families (``none`` without any), as shares of all mentions."""
    return mix(name for fired in families for name in (list(fired) or [NO_TOPIC]))


def psi(expected: Sequence[float] | dict[str, float], actual: Sequence[float] | dict[str, float]) -> float:
    """Population stability index: sum of (a - e) * ln(a / e) over bins; 0 = same, > 0.25 = large shift.

    Dicts are compared over the union of their categories; a category absent on one side has the floor.
    """
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = sorted(set(expected) | set(actual))
        e = np.asarray([expected.get(k, 0.0) for k in keys], dtype=float)
        a = np.asarray([actual.get(k, 0.0) for k in keys], dtype=float)
    else:
        e, a = np.asarray(expected, dtype=float), np.asarray(actual, dtype=float)
    e, a = np.clip(e, PSI_FLOOR, None), np.clip(a, PSI_FLOOR, None)
    return float(np.sum((a - e) * np.log(a / e)))


def cosine_distance(first: Sequence[float], second: Sequence[float]) -> float:
    """1 - cosine similarity of two vectors (0 = same direction)."""
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(1.0 - a @ b / norm) if norm else float("nan")


def customer_chars(ticket: Ticket) -> int:
    """Characters the customer wrote, over all their turns (as the ``scorings`` rows count them)."""
    return sum(len(m.text) for m in ticket.messages if m.role == "customer")


def mean_embedding(features: Pipeline, tickets: Sequence[Ticket]) -> list[float]:
    """Mean of the model's own text embedding of ``tickets`` (its encoder, scope and turns); an aggregate."""
    if not tickets:
        return []
    parsed = features.named_steps["parse"].transform(tickets_to_frame(tickets))
    vectors = text_embedder(features).transform(parsed["messages"])
    return [float(v) for v in np.asarray(vectors, dtype=float).mean(axis=0)]


def fired_families(policy: Policy, encoder_path: str | None, tickets: Sequence[Ticket]) -> list[list[str]]:
    """The policy's trigger families that fire on each ticket's customer turns, as scoring finds them."""
    finder = TriggerFinder(policy.trigger_specs(), encoder_path, True, policy.other_examples)
    texts = [[m.text for m in t.messages if m.role == "customer"] for t in tickets]
    return [sorted(found.families) for found in finder.find_many(texts)]


def reference_profile(
    features: Pipeline, policy: Policy, tickets: Sequence[Ticket], proba: np.ndarray, threshold: float,
    labels: Sequence[bool] | None = None,
) -> Profile:  # fmt: skip
    """The profile of held-out tickets and the model's probabilities on them."""
    encoder = text_embedder(features).model_path
    return Profile(
        tickets=len(tickets),
        probability=histogram(proba, PROBABILITY_EDGES),
        channel=mix(t.channel for t in tickets),
        tier=mix(t.customer.tier for t in tickets),
        topic=topics(fired_families(policy, encoder, tickets)),
        length=histogram((customer_chars(t) for t in tickets), LENGTH_EDGES),
        embedding_mean=mean_embedding(features, tickets),
        base_rate=float(np.mean(labels)) if labels is not None and len(labels) else None,
        escalation_share=float(np.mean(np.asarray(proba) >= threshold)) if len(proba) else None,
        threshold=float(threshold),
    )


def log_reference(features: Pipeline, policy: Policy, tickets: Sequence[Any], proba: np.ndarray,
                  threshold: float) -> Profile:  # fmt: skip
    """Log the reference profile of labelled test tickets to the active MLflow run (one call in training)."""
    import mlflow

    labels = [bool(getattr(t, "escalated", False)) for t in tickets]
    profile = reference_profile(features, policy, tickets, proba, threshold, labels)
    mlflow.log_dict(profile.to_dict(), REFERENCE_ARTIFACT)
    return profile


def load_reference(run_id: str) -> Profile | None:
    """The reference profile logged on training run ``run_id``, or None when it has none (older runs)."""
    import mlflow

    try:
        data = mlflow.artifacts.load_dict(f"runs:/{run_id}/{REFERENCE_ARTIFACT}")
    except Exception:  # an older run without the artifact: the monitor says so and skips drift
        return None
    return Profile.from_dict(data)
