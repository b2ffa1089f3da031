"""Evaluation: the model, its decisions under the policy, its slices and the baselines, on one test set.

``evaluate`` returns an ``Evaluation`` that the terminal table, ``metrics.json``, the MLflow run and
the plots are all made from, so every place shows the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from ticketbuddy.features.conversation import tickets_to_frame
from ticketbuddy.features.memo import Memo
from ticketbuddy.policy.engine import Learned, PolicyEngine
from ticketbuddy.policy.model import Policy
from ticketbuddy.schemas import LabelledTicket
from ticketbuddy.train.baselines import evaluate_keywords, evaluate_tfidf
from ticketbuddy.train.metrics import classification_metrics
from ticketbuddy.train.params import ThresholdParams
from ticketbuddy.train.slices import SLICE_FIGURES, slice_keys, slice_metrics


@dataclass
class Evaluation:
    """Everything measured on one test set."""

    metrics: dict[str, float]
    slices: pd.DataFrame
    y: np.ndarray
    proba: np.ndarray
    threshold: float
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)
    baseline_proba: dict[str, np.ndarray] = field(default_factory=dict)
    routes: tuple[list[str], list[str]] = ([], [])

    def flat(self) -> dict[str, float]:
        """All figures as one flat ``name → value`` map (MLflow metric names), NaNs dropped."""
        out = dict(self.metrics)
        for name, figures in self.baselines.items():
            out.update({f"baseline_{name}_{k}": v for k, v in figures.items()})
        for row in self.slices.itertuples(index=False):
            for figure in SLICE_FIGURES:
                out[f"slice/{row.slice}/{_safe(row.value)}/{figure}"] = float(getattr(row, figure))
        return {k: v for k, v in out.items() if not (isinstance(v, float) and math.isnan(v))}

    def nested(self) -> dict[str, Any]:
        """The figures grouped for ``metrics.json``: model, baselines, slices."""
        slices: dict[str, dict[str, dict[str, float]]] = {}
        for row in self.slices.to_dict("records"):
            figures = {k: _finite(v) for k, v in row.items() if k not in ("slice", "value")}
            slices.setdefault(row["slice"], {})[row["value"]] = figures
        return {
            "model": {k: _finite(v) for k, v in self.metrics.items()},
            "baselines": {n: {k: _finite(v) for k, v in f.items()} for n, f in self.baselines.items()},
            "slices": slices,
        }


def _safe(value: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in value)


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def decision_metrics(
    tickets: Sequence[LabelledTicket], predictions: pd.DataFrame, policy: Policy
) -> tuple[dict[str, float], tuple[list[str], list[str]]]:
    """Escalation decisions under the policy, and routing / priority on the truly escalated tickets.

    Routing is judged on every ticket the history says was escalated, with the route the policy and
    route model would give it, so routing quality is measured apart from the escalation decision.
    """
    engine = PolicyEngine(policy)
    decided, true_routes, routes, true_prio, prios, head_routes = [], [], [], [], [], []
    rows = list(predictions.itertuples(index=False))
    threshold = float(rows[0].threshold) if rows else None
    learned = [
        Learned(r.route or None, float(r.route_confidence), r.priority or None, float(r.priority_confidence))
        for r in rows
    ]
    probabilities = [float(r.probability) for r in rows]
    every = engine.facts_many(tickets, probabilities, threshold, learned)
    for ticket, row, facts in zip(tickets, rows, every, strict=True):
        decided.append(engine.decide(facts).escalate)
        if ticket.escalated and ticket.route and ticket.priority:
            priority, route, _ = engine.assign(facts)
            true_routes.append(ticket.route)
            routes.append(route)
            head_routes.append(row.route or policy.fallback_route)
            true_prio.append(ticket.priority)
            prios.append(priority)
    y = np.asarray([t.escalated for t in tickets], dtype=int)
    decision = classification_metrics(y, np.asarray(decided, dtype=float), 0.5)
    figures = {f"decision_{k}": decision[k] for k in ("precision", "recall", "f1", "escalation_share")}
    if true_routes:
        figures["route_macro_f1"] = float(f1_score(true_routes, routes, average="macro"))
        figures["route_head_macro_f1"] = float(f1_score(true_routes, head_routes, average="macro"))
        figures["priority_accuracy"] = float(accuracy_score(true_prio, prios))
    return figures, (true_routes, routes)


def evaluate(
    model: Any,
    test: Sequence[LabelledTicket],
    policy: Policy,
    train: Sequence[LabelledTicket] | None = None,
    threshold_params: ThresholdParams | None = None,
    oracle: dict[str, float] | None = None,
) -> Evaluation:
    """Evaluate ``model`` (an ``EscalationModel`` or a loaded pyfunc) on labelled ``test`` tickets.

    Args:
        model: Anything with ``predict(frame)`` returning the prediction columns.
        test: Labelled tickets to evaluate on.
        policy: The policy whose decisions, routes and priorities are measured.
        train: Training tickets; when given, the baselines are fitted on them and reported.
        threshold_params: How the TF-IDF baseline chooses its threshold (as the model did).
        oracle: For generated histories, the Bayes-optimal probability by ticket id (``data oracle``),
            reported as the ceiling next to the baselines.

    """
    with Memo.room_for(len(test)):  # the policy's decisions read what the model's features found
        predictions = model.predict(tickets_to_frame(test))
        decisions, routes = decision_metrics(test, predictions, policy)
    y = np.asarray([t.escalated for t in test], dtype=int)
    proba = predictions["probability"].to_numpy(dtype=float)
    threshold = float(predictions["threshold"].iloc[0]) if len(predictions) else 0.5
    metrics = classification_metrics(y, proba, threshold)
    metrics.update(decisions)
    metrics.update(clean_label_metrics(test, proba, threshold))
    table = slice_metrics(slice_keys(test, PolicyEngine(policy)), y, proba, threshold)
    evaluation = Evaluation(metrics, table, y, proba, threshold, routes=routes)
    if train:
        tfidf, tfidf_proba = evaluate_tfidf(train, test, threshold_params or ThresholdParams())
        keywords, keyword_proba = evaluate_keywords(test, policy.keyword_families())
        evaluation.baselines = {"tfidf_lr": tfidf, "keyword_rules": keywords}
        evaluation.baseline_proba = {"tfidf_lr": tfidf_proba, "keyword_rules": keyword_proba}
    if oracle:
        best = np.asarray([oracle[t.ticket_id] for t in test], dtype=float)
        evaluation.baselines["oracle"] = classification_metrics(y, best, 0.5)
        evaluation.baseline_proba["oracle"] = best
    return evaluation


def clean_label_metrics(
    test: Sequence[LabelledTicket], proba: np.ndarray, threshold: float
) -> dict[str, float]:
    """Figures against the labels before labelling noise, when a generated history records the flips.

    Generated histories flip a share of labels at random (``metadata.label_flipped``); no model can
    predict a coin flip, so these figures show how the model does on the decisions that were real.
    """
    flips = [t.metadata.get("label_flipped") for t in test]
    if not test or not all(isinstance(f, bool) for f in flips):
        return {}
    clean = np.asarray([t.escalated != f for t, f in zip(test, flips, strict=True)], dtype=int)
    figures = classification_metrics(clean, proba, threshold)
    keep = ("pr_auc", "recall_at_80_kept", "kept_at_95_recall", "precision", "recall", "ece")
    return {f"clean_{k}": figures[k] for k in keep}
