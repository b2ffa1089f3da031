"""The escalation model: fitted features, calibrated escalation head, route and priority heads, threshold.

The threshold is part of the model, chosen at training time from ``params.yaml`` (a minimum recall or
a review budget), so every consumer — batch scoring, the API, the MLflow pyfunc — decides with exactly
the threshold the model was evaluated at. Features are computed once per batch and shared by the heads,
and by the explanation of each probability: every feature group's contribution to the escalation head's
raw score (``ticketbuddy.explain``), against the training mean of the features stored at fit time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ticketbuddy.explain import Contributions, explain, feature_groups
from ticketbuddy.features.pipeline import use_encoder_at
from ticketbuddy.features.triggers import as_spec

#: Columns of the frame ``EscalationModel.predict`` returns.
PREDICTION_COLUMNS = [
    "ticket_id",
    "probability",
    "escalate",
    "threshold",
    "route",
    "route_confidence",
    "priority",
    "priority_confidence",
    "contributions",
]


@dataclass
class EscalationModel:
    """A fitted escalation model and its operating threshold.

    Attributes:
        features: ``TicketParser`` → feature transformers (a fitted scikit-learn Pipeline).
        classifier: Calibrated binary head: probability that a human is needed.
        threshold: Probability at or above which a ticket is escalated.
        route_head: Multiclass head over the routes of escalated history, or None.
        priority_head: Multiclass head over P1–P4 of escalated history, or None.
        info: Facts about the training run (data digest, sizes, strategy), kept with the model.
        baseline: Training mean of the features: the baseline ticket contributions are measured from.
            None in a model pickled before it was kept (such a model gives no contributions).

    ``model.predict(tickets_to_frame(tickets))`` returns one row per ticket with the columns
    ``PREDICTION_COLUMNS``; ``contributions`` there is a compact JSON object of each feature group's
    contribution to the head's raw score (``{}`` without a baseline). ``tests/model`` exercises a
    trained one.

    Example:
        >>> PREDICTION_COLUMNS[:4]
        ['ticket_id', 'probability', 'escalate', 'threshold']

    """

    features: Pipeline
    classifier: Any
    threshold: float
    route_head: Any | None = None
    priority_head: Any | None = None
    info: dict[str, Any] = field(default_factory=dict)
    baseline: np.ndarray | None = None

    @property
    def pipeline(self) -> Pipeline:
        """Features and escalation head as one scikit-learn Pipeline (``predict_proba`` on frames)."""
        return Pipeline([*self.features.steps, ("classifier", self.classifier)])

    def probabilities(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability that each ticket needs a human."""
        if len(frame) == 0:
            return np.zeros(0)
        return self.classifier.predict_proba(self.features.transform(frame))[:, 1]

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Probability, decision, and the learned route and priority for each row of the input frame."""
        n = len(frame)
        Z = self.features.transform(frame) if n else None
        ids = frame["ticket_id"].astype(str).to_numpy() if "ticket_id" in frame else np.arange(n).astype(str)
        return pd.DataFrame(self.predict_features(Z, ids, frame), columns=PREDICTION_COLUMNS)

    def predict_features(self, Z: np.ndarray | None, ids: Any, messages: Any) -> dict[str, np.ndarray]:
        """The prediction columns from feature rows ``Z`` already computed (None for no tickets).

        ``messages`` is what the route head's word scores read: the input frame, or the tickets'
        parsed turns (the lean path, ``ticketbuddy.scoring.lean``).
        """
        n = len(ids)
        proba = self.classifier.predict_proba(Z)[:, 1] if n else np.zeros(0)
        route, route_conf = _head(self.route_head, Z, n, messages)
        priority, priority_conf = _head(self.priority_head, Z, n)
        explained = self.contributions(Z) if n and Z is not None else None
        contributions = explained.as_json() if explained is not None else ["{}"] * n
        return {
            "ticket_id": np.asarray(ids),
            "probability": proba.astype(float),
            "escalate": proba >= self.threshold,
            "threshold": np.full(n, float(self.threshold)),
            "route": route,
            "route_confidence": route_conf,
            "priority": priority,
            "priority_confidence": priority_conf,
            "contributions": np.asarray(contributions, dtype=object),
        }

    def contributions(self, data: pd.DataFrame | np.ndarray) -> Contributions | None:
        """Each feature group's contribution to the escalation head's raw score, per ticket.

        ``data`` is a ticket frame (its features are computed) or the feature rows ``predict`` already
        computed (used as they are). The contributions are in the head's raw-score (logit) units,
        against the baseline ticket; with the baseline's score they sum to each ticket's raw score,
        which the monotone calibrator maps to the probability. None for a model without a baseline
        (pickled before it was kept), or a non-linear head with too many groups to explain exactly.
        """
        baseline = getattr(self, "baseline", None)  # absent from a model pickled before it was kept
        if baseline is None:
            return None
        Z = self.features.transform(data) if isinstance(data, pd.DataFrame) else data
        head = getattr(self.classifier, "estimator_", self.classifier)
        return explain(head, feature_groups(self.features.named_steps["features"]), baseline, Z)

    @property
    def routes(self) -> list[str]:
        """Routes the route head can predict (the policy must own each of them)."""
        return [str(c) for c in self.route_head.classes_] if self.route_head is not None else []

    @property
    def trigger_families(self) -> dict[str, list[str]]:
        """The policy's keyword families this model was trained with (its trigger features)."""
        columns = self.features.named_steps["features"]
        triggers = columns.named_transformers_["triggers"]
        return {name: list(as_spec(spec).keywords) for name, spec in triggers.families_.items()}

    def use_encoder_at(self, path: str) -> None:
        """Point the text embedding at a local copy of the encoder (the one stored with the model)."""
        use_encoder_at(self.features, path)


def _head(
    head: Any | None, Z: np.ndarray | None, n: int, messages: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Most likely class and its probability, or empty strings and zeros without a head.

    A head that ``reads_messages`` (the route head's word scores) gets the messages too.
    """
    if head is None or Z is None:
        return np.full(n, "", dtype=object), np.zeros(n)
    words = getattr(head, "reads_messages", False)
    proba = head.predict_proba(Z, messages) if words else head.predict_proba(Z)
    best = proba.argmax(axis=1)
    return head.classes_[best].astype(object), proba[np.arange(n), best]
