"""Baselines on the same split: the model must beat them clearly, or it is not worth its weight.

- ``tfidf_lr``: TF-IDF of the customer's turns + logistic regression — what a team would build in an
  afternoon. Its threshold is chosen like the model's, on out-of-fold probabilities.
- ``keyword_rules``: escalate when any of the policy's trigger keywords appears; the number of
  families matched is its score.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

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


def _labels(tickets: Sequence[LabelledTicket]) -> np.ndarray:
    return np.asarray([t.escalated for t in tickets], dtype=int)


def evaluate_tfidf(
    train: Sequence[LabelledTicket], test: Sequence[LabelledTicket], threshold: ThresholdParams, seed: int = 0
) -> tuple[dict[str, float], np.ndarray]:
    """Fit the TF-IDF baseline on ``train``; its metrics and probabilities on ``test``."""
    texts = [customer_text(t) for t in train]
    y = _labels(train)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    oof = cross_val_predict(tfidf_lr(seed), texts, y, cv=folds, method="predict_proba")[:, 1]
    cut = choose_threshold(y, oof, threshold)
    model = tfidf_lr(seed).fit(texts, y)
    proba = model.predict_proba([customer_text(t) for t in test])[:, 1]
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
