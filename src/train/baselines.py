"""Baselines on the same split: the model must beat them clearly, or it is not worth its weight.

- ``tfidf_lr``: TF-IDF of the customer's turns + logistic regression — what a team would build in an
  afternoon. Its threshold is chosen like the model's, on out-of-fold probabilities.
- ``keyword_rules``: escalate when any of the policy's trigger keywords appears; the number of
  families matched is its score.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from ticketbuddy.features.folds import fold_jobs
from ticketbuddy.features.triggers import KeywordMatcher
from ticketbuddy.schemas import LabelledTicket, Ticket, customer_text
from ticketbuddy.train.metrics import choose_threshold, classification_metrics
from ticketbuddy.train.params import ThresholdParams


def tfidf_lr(seed: int = 0) -> Pipeline:
    """The TF-IDF + logistic regression baseline, unfitted."""
    return Pipeline(
        [
            ("tfidf", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=50_000)),
            ("lr", LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000, random_state=seed)),
        ]
    )


class TermSelection(TransformerMixin, BaseEstimator):
    """The terms a ``TfidfVectorizer`` would keep, chosen from counts over a larger vocabulary.

    Given counts whose columns are a vocabulary in sorted order, ``fit`` keeps the columns a
    vectorizer with the same ``min_df`` and ``max_features`` would keep if it had read the fitted rows'
    texts itself: the terms in at least ``min_df`` of them, the ``max_features`` most frequent, by
    scikit-learn's own rule (``CountVectorizer._limit_features``). Cross-validating on counts
    computed once then gives each fold the vocabulary it would have built, without tokenising
    every text once per fold.
    """

    def __init__(self, min_df: int = 2, max_features: int | None = None) -> None:
        self.min_df = min_df
        self.max_features = max_features

    def fit(self, X: sp.csr_matrix, y: object = None) -> TermSelection:
        """Keep the columns with ``min_df`` documents, then the ``max_features`` most frequent."""
        columns = np.flatnonzero(np.asarray((X > 0).sum(axis=0)).ravel() >= self.min_df)
        if self.max_features is not None and len(columns) > self.max_features:
            frequency = np.asarray(X.sum(axis=0)).ravel()[columns]
            columns = np.sort(columns[(-frequency).argsort()[: self.max_features]])  # scikit-learn's ties
        self.columns_ = columns
        return self

    def transform(self, X: sp.csr_matrix) -> sp.csr_matrix:
        """The kept columns, each row's in column order, as a fitted vectorizer gives a new text's."""
        kept = sp.csr_matrix(X[:, self.columns_])
        kept.sort_indices()
        return kept


def _counted_tfidf_lr(seed: int) -> Pipeline:
    """``tfidf_lr`` on counts of a vocabulary fixed beforehand (``TermSelection`` picks its terms)."""
    (_, vectorizer), (_, model) = tfidf_lr(seed).steps
    selection = TermSelection(vectorizer.min_df, vectorizer.max_features)
    tfidf = TfidfTransformer(sublinear_tf=vectorizer.sublinear_tf)
    return Pipeline([("terms", selection), ("tfidf", tfidf), ("lr", model)])


def _labels(tickets: Sequence[LabelledTicket]) -> np.ndarray:
    return np.asarray([t.escalated for t in tickets], dtype=int)


def evaluate_tfidf(
    train: Sequence[LabelledTicket], test: Sequence[LabelledTicket], threshold: ThresholdParams, seed: int = 0
) -> tuple[dict[str, float], np.ndarray]:
    """Fit the TF-IDF baseline on ``train``; its metrics and probabilities on ``test``.

    Its threshold is chosen on out-of-fold probabilities, each fold building its own vocabulary.
    The texts are tokenised once: every term in two or more training texts is counted, and each
    fold keeps the terms its own vectorizer would (``TermSelection``); the features are those of
    cross-validating ``tfidf_lr`` on the texts, and so are the probabilities, up to the order in which
    a row's squares are summed for its norm (``tests/code/test_baselines.py``: within 1e-9).
    """
    vectorizer = tfidf_lr(seed).named_steps["tfidf"]  # every term that can reach a fold's vocabulary
    counter = CountVectorizer(
        ngram_range=vectorizer.ngram_range, min_df=vectorizer.min_df, dtype=vectorizer.dtype
    )
    counts = counter.fit_transform([customer_text(t) for t in train])
    y = _labels(train)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    oof = cross_val_predict(
        _counted_tfidf_lr(seed), counts, y, cv=folds, method="predict_proba", n_jobs=fold_jobs()
    )[:, 1]
    cut = choose_threshold(y, oof, threshold)
    model = _counted_tfidf_lr(seed).fit(counts, y)
    proba = model.predict_proba(counter.transform([customer_text(t) for t in test]))[:, 1]
    return classification_metrics(_labels(test), proba, cut), proba


def keyword_scores(tickets: Sequence[Ticket], families: dict[str, list[str]]) -> np.ndarray:
    """Number of trigger families matched in each ticket's customer turns."""
    matcher = KeywordMatcher(families)
    return np.asarray([len(matcher.find(customer_text(t))) for t in tickets], dtype=float)


def evaluate_keywords(
    test: Sequence[LabelledTicket], families: dict[str, list[str]]
) -> tuple[dict[str, float], np.ndarray]:
    """The keyword-rules baseline: escalate when any family matches (score = families matched)."""
    scores = keyword_scores(test, families)
    # Squash counts into [0, 1) so the Brier score and calibration figures stay defined.
    proba = scores / (scores + 1.0)
    return classification_metrics(_labels(test), proba, 0.5), proba
