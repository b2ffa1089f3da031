"""Decision metrics: how many tickets that needed a human are caught, and how many the AI keeps.

Accuracy is meaningless when most tickets need no human, so TicketBuddy reports ranking quality
(PR-AUC, ROC-AUC), calibration (Brier, expected calibration error), the two figures a support manager
plans with — the share of escalations caught when humans take only the top 20 % of tickets, and the
share of tickets the AI keeps when 95 % of escalations must be caught — and the decision at the
operating threshold (precision, recall, F1, share sent to humans).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

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
        "brier": float(brier_score_loss(y, proba, labels=[0, 1])),
        "ece": expected_calibration_error(y, proba),
        "recall_at_80_kept": recall_at_kept(y, proba, kept=0.80),
        "kept_at_95_recall": kept_at_recall(y, proba, recall=0.95),
        "precision": float(precision_score(y, decided, zero_division=0)),
        "recall": float(recall_score(y, decided, zero_division=0)),
        "f1": float(f1_score(y, decided, zero_division=0)),
        "escalation_share": float(decided.mean()) if decided.size else 0.0,
        "base_rate": float(y.mean()) if y.size else 0.0,
        "threshold": float(threshold),
    }


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, bins: int = 10) -> float:
    """Mean gap between predicted probability and observed rate over equal-width bins, weighted by size."""
    y = np.asarray(y, dtype=float)
    proba = np.asarray(proba, dtype=float)
    if proba.size == 0:
        return float("nan")
    index = np.minimum((proba * bins).astype(int), bins - 1)
    gap = 0.0
    for b in range(bins):
        member = index == b
        if member.any():
            gap += member.mean() * abs(proba[member].mean() - y[member].mean())
    return float(gap)


def recall_at_kept(y: np.ndarray, proba: np.ndarray, kept: float = 0.80) -> float:
    """Share of escalations caught when only the top ``1 - kept`` of tickets by probability go to humans."""
    y = np.asarray(y, dtype=int)
    if y.sum() == 0:
        return float("nan")
    order = np.argsort(-np.asarray(proba, dtype=float), kind="stable")
    reviewed = int(np.floor((1.0 - kept) * y.size))
    return float(y[order[:reviewed]].sum() / y.sum())


def kept_at_recall(y: np.ndarray, proba: np.ndarray, recall: float = 0.95) -> float:
    """Share of tickets the AI keeps when enough top-ranked tickets go to humans to catch ``recall``."""
    y = np.asarray(y, dtype=int)
    if y.sum() == 0:
        return float("nan")
    order = np.argsort(-np.asarray(proba, dtype=float), kind="stable")
    caught = np.cumsum(y[order])
    needed = int(np.searchsorted(caught, np.ceil(recall * y.sum())) + 1)
    return float(1.0 - needed / y.size)


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
