"""Classifier heads on the shared features: escalation (calibrated), route and priority.

The escalation head is calibrated on out-of-fold scores: the head is fitted k times to score each
training ticket it did not see, a calibrator (Platt sigmoid or isotonic) is fitted on those scores, and
the head is refitted on everything — scikit-learn's ``CalibratedClassifierCV(ensemble=False)``, with
the out-of-fold probabilities kept (``oof_proba_``) so the operating threshold is chosen on tickets
the model did not train on, without fitting the head k more times.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from ticketbuddy.train.params import TrainParams


def raw_scores(estimator: Any, X: np.ndarray) -> np.ndarray:
    """A monotone score for calibration: the decision function, or the logit of the probability."""
    if hasattr(estimator, "decision_function"):
        return np.asarray(estimator.decision_function(X), dtype=float)
    p = np.clip(estimator.predict_proba(X)[:, 1], 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class OutOfFoldCalibrated(ClassifierMixin, BaseEstimator):
    """A binary classifier whose probabilities are calibrated on out-of-fold scores.

    Args:
        estimator: The head to calibrate (any binary classifier).
        method: ``sigmoid`` (Platt scaling, robust with little data) or ``isotonic``.
        cv: Number of stratified folds for the out-of-fold scores.
        random_state: Seed of the fold split.

    Attributes:
        estimator_: The head fitted on all the training data.
        calibrator_: Maps raw scores to probabilities.
        oof_proba_: Calibrated out-of-fold probabilities of the training rows.

    Example:
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> X, y = make_classification(n_samples=120, random_state=0)
        >>> clf = OutOfFoldCalibrated(LogisticRegression(), cv=3).fit(X, y)
        >>> clf.oof_proba_.shape, clf.predict_proba(X[:2]).shape
        ((120,), (2, 2))

    """

    def __init__(self, estimator: Any, method: str = "sigmoid", cv: int = 5, random_state: int = 0) -> None:
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> OutOfFoldCalibrated:
        """Out-of-fold scores → calibrator; then the head on all rows."""
        y = np.asarray(y, dtype=int)
        self.classes_ = np.unique(y)
        folds = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
        method = "decision_function" if hasattr(self.estimator, "decision_function") else "predict_proba"
        oof = cross_val_predict(clone(self.estimator), X, y, cv=folds, method=method)
        if method == "predict_proba":
            p = np.clip(oof[:, 1], 1e-6, 1 - 1e-6)
            oof = np.log(p / (1 - p))
        self.calibrator_ = self._calibrator().fit(oof.reshape(-1, 1) if self.method == "sigmoid" else oof, y)
        self.oof_proba_ = self._calibrate(oof)
        self.estimator_ = clone(self.estimator).fit(X, y)
        return self

    def _calibrator(self) -> Any:
        if self.method == "isotonic":
            return IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        return LogisticRegression(C=1e6)

    def _calibrate(self, scores: np.ndarray) -> np.ndarray:
        if self.method == "isotonic":
            return np.asarray(self.calibrator_.predict(scores), dtype=float)
        return self.calibrator_.predict_proba(scores.reshape(-1, 1))[:, 1]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of both classes."""
        p = self._calibrate(raw_scores(self.estimator_, X))
        return np.column_stack([1 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class at probability 0.5 (the service decides with the stored threshold instead)."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def base_head(params: TrainParams, multiclass: bool = False) -> Any:
    """The uncalibrated head named by ``train.head``: linear or gradient-boosted trees."""
    if params.head == "hgb":
        h = params.hgb
        return HistGradientBoostingClassifier(
            learning_rate=h.learning_rate,
            max_iter=h.max_iter,
            max_leaf_nodes=h.max_leaf_nodes,
            l2_regularization=h.l2_regularization,
            class_weight=None if multiclass else params.classifier.class_weight,
            early_stopping=True,
            random_state=params.seed,
        )
    c = params.classifier
    return LogisticRegression(
        C=c.C,
        solver="lbfgs" if multiclass else c.solver,
        class_weight=None if multiclass else c.class_weight,
        max_iter=c.max_iter,
    )


def escalation_head(params: TrainParams) -> OutOfFoldCalibrated:
    """The calibrated escalation classifier."""
    return OutOfFoldCalibrated(
        base_head(params),
        method=params.calibration.method,
        cv=params.calibration.cv,
        random_state=params.seed,
    )


def label_head(params: TrainParams, labels: list[str]) -> Any | None:
    """A route or priority head, or None when the history has fewer than two distinct labels."""
    if len(set(labels)) < 2:
        return None
    return base_head(params, multiclass=True)
