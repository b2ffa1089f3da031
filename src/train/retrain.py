"""Retraining on new labels: merge them into the history, hold out the newest, and gate the result.

The newest share of the labels (``retrain.holdout_share``, by ``metadata.label.at``) is not trained on:
it joins the reference set, so candidate and champion are compared on the same recent data as well as
on the champion's test set. The retrained version always goes through the full gate.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ticketbuddy.policy.model import Policy, load_policy
from ticketbuddy.schemas import LabelledTicket
from ticketbuddy.scoring.tracking import CHAMPION, REGISTERED_MODEL
from ticketbuddy.train.params import Params
from ticketbuddy.train.reference import load_labels, newest_share, provenance, reference_set
from ticketbuddy.train.runs import TrainResult


@dataclass
class RetrainPlan:
    """What goes where: the training set, the held-out recent labels, and what the labels replaced."""

    training: list[LabelledTicket]
    recent: list[LabelledTicket]
    history_rows: int
    replaced: list[str]
    trained_labels: Counter[str] = field(default_factory=Counter)
    held_labels: Counter[str] = field(default_factory=Counter)


def plan(history: Sequence[LabelledTicket], labels: Sequence[LabelledTicket], share: float) -> RetrainPlan:
    """Split ``labels`` by time, and drop every history ticket a label replaces (a label line wins).

    A replaced ticket leaves the history even when its label is held out, so no held-out ticket is
    also trained on under its older label.
    """
    older, newest = newest_share(labels, share)
    labelled = {t.ticket_id for t in labels}
    kept = [t for t in history if t.ticket_id not in labelled]
    replaced = sorted(labelled & {t.ticket_id for t in history})
    return RetrainPlan(
        training=kept + older,
        recent=newest,
        history_rows=len(kept),
        replaced=replaced,
        trained_labels=Counter(provenance(t) for t in older),
        held_labels=Counter(provenance(t) for t in newest),
    )


@dataclass
class Retrained:
    """A retraining's plan, its run and gate, and both models' figures on the recent labels alone."""

    plan: RetrainPlan
    result: TrainResult
    recent_candidate: dict[str, float]
    recent_champion: dict[str, float] | None


def _digest(paths: Sequence[str | Path]) -> str:
    from ticketbuddy.train.train import file_digest

    return hashlib.sha256("+".join(file_digest(p) for p in paths).encode()).hexdigest()[:16]


def retrain(
    history: str | Path,
    label_paths: Sequence[str | Path],
    params: Params,
    experiment: str | None = None,
    registered_name: str = REGISTERED_MODEL,
    policy: Policy | None = None,
) -> Retrained:
    """Merge, hold out, train, log, register and gate; then measure both models on the recent labels.

    Raises:
        DataError: a file breaks the contract, or the label files hold no labels.

    """
    import mlflow

    from ticketbuddy.features.embedding_cache import embedding_cache
    from ticketbuddy.scoring.tracking import configure
    from ticketbuddy.train.evaluate import evaluate
    from ticketbuddy.train.train import DataError, fit_and_log, load_labelled

    configure()
    policy = policy or load_policy()
    with embedding_cache():
        base = load_labelled(history, policy)
        labels = load_labels(label_paths, policy)
        if not labels:
            raise DataError(
                f"no labels in {', '.join(map(str, label_paths)) or 'no files'}: nothing to retrain"
            )
        split = plan(base, labels, params.retrain.holdout_share)
        trained_ids = frozenset(t.ticket_id for t in split.training)
        gate_data = reference_set(params.promotion.reference, policy, extra=split.recent, exclude=trained_ids)
        recent_champion = _champion_on(split.recent, policy, registered_name)
        result = fit_and_log(
            split.training,
            gate_data,
            params,
            policy,
            experiment=experiment or params.train.experiment,
            sources={
                "data": f"{history} + {len(label_paths)} label files",
                "labels": ", ".join(map(str, label_paths))[:500],
                "test_data": "reference set + recent labels",
                "policy": "shipped",
                "gate_data": "reference set + recent labels",
            },
            digest=_digest([history, *label_paths]),
            gate_data=gate_data,
            name=registered_name,
        )
        recent_candidate: dict[str, float] = {}
        if split.recent:
            candidate = mlflow.pyfunc.load_model(f"models:/{registered_name}/{result.model_version}")
            recent_candidate = evaluate(candidate, split.recent, policy).flat()
    return Retrained(split, result, recent_candidate, recent_champion)


def _champion_on(recent: list[LabelledTicket], policy: Policy, name: str) -> dict[str, float] | None:
    """The figures on ``recent`` of the champion before retraining; None without one (or unusable)."""
    from mlflow import MlflowClient

    from ticketbuddy.train.runs import champion_figures

    if not recent:
        return None
    try:
        found = champion_figures(MlflowClient(), recent, policy, name)
    except Exception:  # an unusable champion does not block the gate either (see run_gate)
        return None
    return found[1] if found else None


def report(done: Retrained, checks: Sequence[str]) -> str:
    """What changed and the gate's figures, champion vs candidate, on the gate data and recent labels."""
    p, r = done.plan, done.result
    trained = ", ".join(f"{k} {v}" for k, v in sorted(p.trained_labels.items())) or "none"
    held = ", ".join(f"{k} {v}" for k, v in sorted(p.held_labels.items())) or "none"
    shown = ", ".join(p.replaced[:5]) + (f", ... ({len(p.replaced)} in all)" if len(p.replaced) > 5 else "")
    lines = [
        f"training rows: {p.history_rows:,} from the history, {sum(p.trained_labels.values()):,} from labels"
        f" ({trained})",
        f"held out (newest labels, gate data): {len(p.recent):,} ({held})",
        f"replaced history tickets: {len(p.replaced)}" + (f" ({shown})" if p.replaced else ""),
        "",
        f"{'check':<34}{'champion':>10}{'candidate':>11}   recent labels:{'champion':>10}{'candidate':>11}",
    ]
    gate = r.gate
    for check in checks:
        champ = gate.champion.get(check) if gate and gate.champion else None
        cand = gate.candidate.get(check) if gate else None
        rc = done.recent_champion.get(check) if done.recent_champion else None
        rn = done.recent_candidate.get(check)
        lines.append(f"{check:<34}{_f(champ):>10}{_f(cand):>11}   {'':>14}{_f(rc):>10}{_f(rn):>11}")
    verdict = f"promoted to @{CHAMPION}" if r.promoted else "NOT promoted"
    lines += ["", f"{r.registered_name} version {r.model_version}: {verdict} ({r.promotion_reason})"]
    return "\n".join(lines)


def _f(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.4f}"
