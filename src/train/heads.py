"""Classifier heads on the shared features: escalation (calibrated), route (with word evidence), priority.

The escalation head is calibrated on out-of-fold scores: the head is fitted k times to score each
training ticket it did not see, a calibrator (Platt sigmoid or isotonic) is fitted on those scores, and
the head is refitted on everything — scikit-learn's ``CalibratedClassifierCV(ensemble=False)``, with
the out-of-fold probabilities kept (``oof_proba_``) so the operating threshold is chosen on tickets
the model did not train on, without fitting the head k more times.

The route head also reads the customer's words (``RouteWithWords``): per-route TF-IDF scores, out of
fold on its training tickets, are appended to the shared features, as the word score is for escalation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.preprocessing import StandardScaler

from ticketbuddy.features.folds import fold_jobs
from ticketbuddy.features.words import RouteWordScores
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
        oof = cross_val_predict(clone(self.estimator), X, y, cv=folds, method=method, n_jobs=fold_jobs())
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
            class_weight=None if multiclass else h.class_weight,
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


class RouteWithWords(ClassifierMixin, BaseEstimator):
    """A route head on the shared features and per-route word scores of the ticket's messages.

    At fit the word scores are cross-fitted (``RouteWordScores.fit_transform``): each training ticket
    is scored by a word model that did not see it, so the head learns how far to trust word evidence
    on unseen text rather than an in-sample score. At predict time the word model fitted on all the
    training tickets scores the messages.

    Args:
        estimator: The multiclass head (fitted on the shared features plus the scaled word scores).
        words: The unfitted per-route word model.
        features: Which shared features the head reads besides the word scores: ``all``, ``text``
            (the text embedding only), or ``auto``: the set with the better cross-validated macro-F1
            on the training tickets (``select_cv`` folds; a tie keeps ``all``). Which helps depends on
            the history: on the generated one the triggers and the customer's value carry routes
            (macro-F1 0.853 with them, 0.783 without, cross-validated); on CFPB narratives, where the
            product is all in the words, they only add noise (0.782 with them, 0.788 without).
        select_cv: Folds of that choice.
        random_state: Seed of its folds.

    ``fit``, ``predict_proba`` and ``predict`` take the feature matrix and the tickets' ``messages``
    (a frame with that column, or the column itself); ``reads_messages`` tells ``EscalationModel`` so.

    Example:
        >>> import numpy as np, pandas as pd
        >>> from sklearn.linear_model import LogisticRegression
        >>> frame = pd.DataFrame({"messages": [[("customer", t)] for t in ["mortgage", "debt"] * 6]})
        >>> head = RouteWithWords(LogisticRegression(), RouteWordScores(min_df=1, cv=2))
        >>> head.fit(np.zeros((12, 3)), ["home", "debt"] * 6, frame).predict(np.zeros((2, 3)), frame[:2])
        array(['home', 'debt'], dtype=object)

    """

    reads_messages = True

    def __init__(
        self, estimator: Any, words: RouteWordScores, features: str = "all", select_cv: int = 3,
        random_state: int = 0,
    ) -> None:  # fmt: skip
        self.estimator = estimator
        self.words = words
        self.features = features
        self.select_cv = select_cv
        self.random_state = random_state

    def fit(self, Z: np.ndarray, y: Any, messages: Any, feature_names: Any = None) -> RouteWithWords:
        """Cross-fitted word scores, the feature set (``features``), then the head on both.

        ``feature_names`` (the pipeline's ``get_feature_names_out``) says which columns are the text
        embedding; ``features`` other than ``all`` need it.
        """
        self.words_ = clone(self.words)
        scores = self.words_.fit_transform(_with_owners(messages), np.asarray(y, dtype=object))
        self.scale_ = StandardScaler().fit(scores)
        scaled = self.scale_.transform(scores)
        self.features_, self.selection_ = self._choose_features(Z, y, scaled, feature_names)
        self.columns_ = text_columns(feature_names) if self.features_ == "text" else None
        self.estimator_ = clone(self.estimator).fit(_stack(Z, scaled, self.columns_), y)
        self.classes_ = self.estimator_.classes_
        return self

    def _choose_features(
        self, Z: np.ndarray, y: Any, scaled: np.ndarray, names: Any
    ) -> tuple[str, dict[str, float]]:
        """The feature set to read, and the cross-validated macro-F1 of each set when ``auto`` chose."""
        if self.features not in ROUTE_FEATURES:
            raise ValueError(f"features must be one of {ROUTE_FEATURES}, not {self.features!r}")
        text = None if names is None else text_columns(names)
        if self.features == "text":
            if text is None:
                raise ValueError("features='text' needs the feature names at fit, with text_emb_ columns")
            return "text", {}
        if self.features == "all" or text is None or len(text) == len(names):
            return "all", {}  # auto: with no names, or nothing but text, there is nothing to choose
        smallest = int(np.unique(np.asarray(y, dtype=object), return_counts=True)[1].min())
        if smallest < 2:
            return "all", {}
        folds = StratifiedKFold(min(self.select_cv, smallest), shuffle=True, random_state=self.random_state)
        figures = {name: self._cv_macro_f1(_stack(Z, scaled, cols), y, folds) for name, cols in
                   (("all", None), ("text", text))}  # fmt: skip
        return ("text" if figures["text"] > figures["all"] else "all"), figures

    def _cv_macro_f1(self, X: np.ndarray, y: Any, folds: StratifiedKFold) -> float:
        """Macro-F1 of the head's out-of-fold predictions on ``X``."""
        predicted = cross_val_predict(clone(self.estimator), X, y, cv=folds, n_jobs=fold_jobs())
        return float(f1_score(y, predicted, average="macro"))

    def predict_proba(self, Z: np.ndarray, messages: Any) -> np.ndarray:
        """Probability of each route (columns in ``classes_`` order)."""
        scaled = self.scale_.transform(self.words_.transform(_messages(messages)))
        return np.asarray(self.estimator_.predict_proba(_stack(Z, scaled, getattr(self, "columns_", None))))

    def predict(self, Z: np.ndarray, messages: Any) -> np.ndarray:
        """The most likely route of each ticket."""
        return np.asarray(self.classes_[self.predict_proba(Z, messages).argmax(axis=1)], dtype=object)


#: The shared-feature sets the route head can read (``RouteWithWords.features``).
ROUTE_FEATURES = ("all", "text", "auto")
#: Columns of the text embedding among the shared features.
TEXT_PREFIX = "text_emb_"


def text_columns(names: Any) -> np.ndarray | None:
    """Positions of the text-embedding columns in ``names``; None when there are none."""
    found = np.flatnonzero(np.char.startswith(np.asarray(names).astype(str), TEXT_PREFIX))
    return found if len(found) else None


def _stack(Z: np.ndarray, scaled: np.ndarray, columns: np.ndarray | None) -> np.ndarray:
    """The head's inputs: the shared features (all, or ``columns``), then the scaled word scores."""
    shared = np.asarray(Z, dtype=float)
    return np.hstack([shared if columns is None else shared[:, columns], scaled])


def _messages(messages: Any) -> Any:
    """The ``messages`` column of a frame, or the column as given."""
    return messages["messages"] if hasattr(messages, "columns") else messages


def _with_owners(messages: Any) -> Any:
    """``messages`` and ``customer_id`` of a frame that has both, else the ``messages`` column.

    The word model's vocabulary counts the customers who wrote each term (``words.shared_terms``).
    """
    if hasattr(messages, "columns") and "customer_id" in messages.columns:
        return messages[["messages", "customer_id"]]
    return _messages(messages)


def route_head(params: TrainParams, labels: list[str]) -> Any | None:
    """The route head: with per-route word scores when ``train.route_words.enabled``; None for one route."""
    head = label_head(params, labels)
    if head is None or not params.route_words.enabled:
        return head
    w = params.route_words
    words = RouteWordScores(
        C=w.C, ngram_max=w.ngram_max, min_df=w.min_df, cv=w.cv, random_state=params.seed, model=w.model
    )
    return RouteWithWords(head, words, features=w.features, select_cv=w.select_cv, random_state=params.seed)
