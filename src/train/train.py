"""Training: labelled history → fitted pipeline → threshold → MLflow run → registered version → gate.

The feature half of the pipeline is fitted once; the classifier's out-of-fold probabilities on the
training set choose the operating threshold, so the test set is touched only to report and to compare
with the champion.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Literal

import numpy as np
from sklearn.model_selection import train_test_split

from ticketbuddy.data.jsonl import no_tickets, read_tickets
from ticketbuddy.features.conversation import tickets_to_frame
from ticketbuddy.features.embedding_cache import embedding_cache
from ticketbuddy.features.folds import parallel_folds
from ticketbuddy.features.memo import Memo
from ticketbuddy.features.pipeline import build_features
from ticketbuddy.model import EscalationModel
from ticketbuddy.policy.drift import triggers_digest
from ticketbuddy.policy.model import Policy, load_policy
from ticketbuddy.schemas import LabelledTicket
from ticketbuddy.scoring.tracking import REGISTERED_MODEL
from ticketbuddy.train.evaluate import evaluate
from ticketbuddy.train.heads import escalation_head, label_head, route_head
from ticketbuddy.train.metrics import choose_threshold, classification_metrics
from ticketbuddy.train.params import Params, TrainParams
from ticketbuddy.train.reference import reference_set
from ticketbuddy.train.runs import TrainResult, log_and_gate

log = logging.getLogger(__name__)


class DataError(ValueError):
    """Training data failed the contract; the message lists the bad lines."""


UnknownRoutes = Literal["refuse", "fallback"]


def load_labelled(
    path: str | Path, policy: Policy | None = None, unknown_routes: UnknownRoutes = "refuse"
) -> list[LabelledTicket]:
    """Read a labelled JSONL file, refusing it (with line numbers) if any row breaks the contract.

    With a ``policy``, a route label the policy has no team for is refused too, before any fitting:
    a model trained on it would predict a route the policy cannot serve. ``unknown_routes="fallback"``
    maps such labels to the policy's fallback route instead (and says how many).
    """
    result = read_tickets(path, labelled=True)
    if result.rejects:
        raise DataError(
            _listing(path, [f"line {r.line}: {r.reason}" for r in result.rejects], result.rows_read)
        )
    if empty := no_tickets(path, result):
        raise DataError(empty)
    if policy is None:
        return result.tickets
    return _known_routes(path, result.tickets, result.lines, policy, unknown_routes)


def _known_routes(
    path: str | Path,
    tickets: list[LabelledTicket],
    lines: dict[str, int],
    policy: Policy,
    unknown_routes: UnknownRoutes,
) -> list[LabelledTicket]:
    """The tickets with every route label owned by the policy (or mapped to its fallback route)."""
    unknown = [t for t in tickets if t.route is not None and t.route not in policy.routes]
    if not unknown:
        return tickets
    if unknown_routes == "refuse":
        problems = [
            f"line {lines[t.ticket_id]}: route {t.route!r} has no owning team in the policy" for t in unknown
        ]
        hint = "add the routes to the policy, or train with --unknown-routes fallback"
        raise DataError(_listing(path, problems, len(tickets)) + f"\n{hint}")
    fallback = policy.fallback_route
    names = sorted({str(t.route) for t in unknown})
    log.warning("%s: %d route labels (%s) mapped to %s", path, len(unknown), ", ".join(names), fallback)
    moved = {t.ticket_id for t in unknown}
    return [t.model_copy(update={"route": fallback}) if t.ticket_id in moved else t for t in tickets]


def _listing(path: str | Path, problems: list[str], rows: int) -> str:
    """``path: N of M rows rejected`` and the first twenty problems, one per line."""
    shown = "\n".join(f"  {p}" for p in problems[:20])
    more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
    return f"{path}: {len(problems)} of {rows} rows rejected\n{shown}{more}"


def file_digest(path: str | Path) -> str:
    """Short SHA-256 of a data file, logged so a run names the exact data it saw."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def split(
    tickets: list[LabelledTicket], test: list[LabelledTicket] | None, params: TrainParams
) -> tuple[list[LabelledTicket], list[LabelledTicket]]:
    """Train and test tickets: the given test file, or a stratified held-out share of the data."""
    if test is not None:
        return tickets, test
    labels = [t.escalated for t in tickets]
    train, held_out = train_test_split(
        tickets, test_size=params.test_size, random_state=params.seed, stratify=labels
    )
    return list(train), list(held_out)


def fit_model(
    train: list[LabelledTicket], params: TrainParams, policy: Policy | None = None
) -> EscalationModel:
    """Fit features once, then the calibrated escalation head and the route and priority heads.

    The threshold is chosen on the escalation head's out-of-fold probabilities; their metrics are kept
    in ``info["oof"]``. The training mean of the features is kept as the baseline ticket the
    contributions of each feature group are measured from (``EscalationModel.contributions``).
    """
    policy = policy or load_policy()
    families = policy.trigger_specs()
    features = build_features(families, params.text.settings(), policy.other_examples)
    y = np.asarray([t.escalated for t in train], dtype=int)
    frame = tickets_to_frame(train)
    Z = features.fit_transform(frame, y)
    classifier = escalation_head(params).fit(Z, y)
    threshold = choose_threshold(y, classifier.oof_proba_, params.threshold)
    info = {
        "n_train": len(train),
        "head": params.head,
        "threshold_strategy": params.threshold.strategy,
        "oof": classification_metrics(y, classifier.oof_proba_, threshold),
        "policy_digest": triggers_digest(policy),
    }
    route_head = _fit_label_head(Z, train, "route", params, frame, features.get_feature_names_out())
    return EscalationModel(
        features=features,
        classifier=classifier,
        threshold=threshold,
        route_head=route_head,
        priority_head=_fit_label_head(Z, train, "priority", params),
        info=info | _route_choice(route_head),
        baseline=np.asarray(Z.mean(axis=0), dtype=float).ravel(),
    )


def _route_choice(head: Any) -> dict[str, str]:
    """The shared features the route head chose to read, and why (logged as ``model.route_*``)."""
    if not hasattr(head, "features_"):
        return {}
    figures = " ".join(f"{name}={f1:.4f}" for name, f1 in head.selection_.items())
    return {"route_features": head.features_, "route_features_cv_macro_f1": figures or "not compared"}


def _fit_label_head(
    Z: np.ndarray, train: list[LabelledTicket], label: str, params: TrainParams, frame: Any = None,
    names: Any = None,
) -> Any:  # fmt: skip
    """A head for ``route`` or ``priority``, learned from the escalated tickets that carry the label.

    The route head also reads those tickets' messages (its per-route word scores) from ``frame``, and
    the feature ``names`` (which columns are the text embedding, for its choice of features).
    """
    rows = [i for i, t in enumerate(train) if t.escalated and getattr(t, label)]
    labels = [str(getattr(train[i], label)) for i in rows]
    head = route_head(params, labels) if label == "route" else label_head(params, labels)
    if head is None:
        return None
    if getattr(head, "reads_messages", False):
        return head.fit(Z[rows], labels, frame.iloc[rows], names)
    return head.fit(Z[rows], labels)


def train(
    data: str | Path,
    params: Params,
    test_data: str | Path | None = None,
    experiment: str | None = None,
    policy_path: str | Path | None = None,
    unknown_routes: UnknownRoutes = "refuse",
    registered_name: str = REGISTERED_MODEL,
    gate: bool = True,
) -> TrainResult:
    """Train, evaluate (with baselines and slices), log to MLflow, register, and run the promotion gate.

    The run's own evaluation is on ``test_data`` (or a held-out split); the gate judges candidate and
    champion on the reference set of ``params.promotion.reference`` instead, whatever data this run
    was given. ``gate=False`` registers the version without the gate (no alias moves);
    ``registered_name`` registers it under another name, gated against that name's own champion.

    Embeddings are cached on disk for the duration (see ``embedding_cache``), so retraining and the
    champion's evaluation on the same test data do not embed the same texts again.
    """
    policy = load_policy(policy_path)
    with embedding_cache():
        tickets = load_labelled(data, policy, unknown_routes)
        test = load_labelled(test_data, policy, unknown_routes) if test_data else None
        gate_data = reference_set(params.promotion.reference, policy) if gate else None
        train_set, test_set = split(tickets, test, params.train)
        return fit_and_log(
            train_set,
            test_set,
            params,
            policy,
            experiment=experiment or params.train.experiment,
            sources={
                "data": str(data),
                "test_data": str(test_data or "held-out split"),
                "policy": str(policy_path or "shipped"),
                "gate_data": "none (--no-promote)" if gate_data is None else _reference_source(params),
            },
            digest=file_digest(data),
            gate_data=gate_data,
            name=registered_name,
        )


def _reference_source(params: Params) -> str:
    reference = params.promotion.reference
    return f"{reference.test_data} + labels {reference.labels} (last {reference.recent_days} days)"


def fit_and_log(
    train_set: list[LabelledTicket],
    test_set: list[LabelledTicket],
    params: Params,
    policy: Policy,
    experiment: str,
    sources: dict[str, str],
    digest: str,
    gate_data: list[LabelledTicket] | None,
    name: str = REGISTERED_MODEL,
) -> TrainResult:
    """Fit on ``train_set``, evaluate on ``test_set``, log, register as ``name`` and gate on ``gate_data``."""
    with parallel_folds():
        model = fit_model(train_set, params.train, policy)
        with Memo.room_for(len(test_set)):  # evaluation and the reference profile read the test set again
            threshold = params.train.threshold
            evaluation = evaluate(model, test_set, policy, train=train_set, threshold_params=threshold)
            model.info.update({"data_digest": digest, "n_test": len(test_set)})
            return log_and_gate(
                model=model,
                params=params,
                evaluation=evaluation,
                test_set=test_set,
                policy=policy,
                experiment=experiment,
                sources=sources,
                train_set=train_set,
                gate_data=gate_data,
                name=name,
            )
