"""Decision metrics: how many tickets that needed a human are caught, and how many the AI keeps.

Accuracy is meaningless when most tickets need no human, so TicketBuddy reports ranking quality
(PR-AUC, ROC-AUC), calibration (Brier) and the decision at the operating threshold (precision, recall,
F1, and the share of tickets sent to humans).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from ticketbuddy.features.conversation import tickets_to_frame
from ticketbuddy.schemas import LabelledTicket
from ticketbuddy.train.params import ThresholdParams


def classification_metrics(y: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, float]:
    """Ranking, calibration and decision metrics of ``proba`` against labels ``y``.

    Returns:
        ``pr_auc``, ``roc_auc``, ``brier``, ``precision``, ``recall``, ``f1``, ``escalation_share``
        (tickets sent to humans), ``base_rate`` and ``threshold``. AUCs are NaN when ``y`` holds one
        class only.

    """
    y = np.asarray(y, dtype=int)
    proba = np.asarray(proba, dtype=float)
    decided = proba >= threshold
    both_classes = len(np.unique(y)) == 2
    return {
        "pr_auc": float(average_precision_score(y, proba)) if both_classes else float("nan"),
        "roc_auc": float(roc_auc_score(y, proba)) if both_classes else float("nan"),
        "brier": float(brier_score_loss(y, proba)),
        "precision": float(precision_score(y, decided, zero_division=0)),
        "recall": float(recall_score(y, decided, zero_division=0)),
        "f1": float(f1_score(y, decided, zero_division=0)),
        "escalation_share": float(decided.mean()) if decided.size else 0.0,
        "base_rate": float(y.mean()) if y.size else 0.0,
        "threshold": float(threshold),
    }


def choose_threshold(y: np.ndarray, proba: np.ndarray, settings: ThresholdParams) -> float:
    """The operating threshold, from out-of-fold probabilities (never from the test set).

    ``min_recall``: the highest threshold whose recall reaches the target, so humans see as few
    tickets as the recall target allows. ``review_budget``: the lowest threshold that sends at most
    the budgeted share of tickets to humans.
    """
    y = np.asarray(y, dtype=int)
    proba = np.asarray(proba, dtype=float)
    if settings.strategy == "review_budget":
        ranked = np.sort(proba)[::-1]
        keep = max(1, int(np.floor(settings.review_budget * ranked.size)))
        cut = ranked[keep - 1]
        # Ties at the cut would push the share over budget: step just above them if so.
        if (proba >= cut).mean() > settings.review_budget and keep < ranked.size:
            cut = float(np.nextafter(cut, 1.0))
        return float(cut)
    positives = np.sort(proba[y == 1])[::-1]
    if positives.size == 0:
        return 0.5
    needed = int(np.ceil(settings.min_recall * positives.size))
    return float(positives[needed - 1])


def evaluate(model: Any, test: list[LabelledTicket]) -> dict[str, float]:
    """Metrics of a model (``EscalationModel`` or loaded pyfunc) on labelled tickets."""
    predictions = model.predict(tickets_to_frame(test))
    y = np.asarray([t.escalated for t in test], dtype=int)
    threshold = float(predictions["threshold"].iloc[0]) if len(predictions) else 0.5
    return classification_metrics(y, predictions["probability"].to_numpy(), threshold)
