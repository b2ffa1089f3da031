"""The TF-IDF baseline tokenises its texts once and still cross-validates as scikit-learn would.

Each fold of ``cross_val_predict(tfidf_lr(), texts)`` builds its own vocabulary (terms in two or
more of its texts, the most frequent ``max_features``). ``evaluate_tfidf`` counts the texts once and
lets ``TermSelection`` pick each fold's terms from the counts; the features and the probabilities
must be the ones the per-fold vectorizers give.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from ticketbuddy.schemas import LabelledTicket, customer_text
from ticketbuddy.train.baselines import TermSelection, evaluate_tfidf, tfidf_lr
from ticketbuddy.train.metrics import choose_threshold
from ticketbuddy.train.params import ThresholdParams

WORDS = ["parcel", "late", "refund", "broken", "lawyer", "thanks", "great", "still", "waiting", "order",
         "account", "card", "charged", "twice", "again", "nobody", "answers", "please", "help", "cancel",
         "my", "the", "is", "a", "it", "was", "not"]  # fmt: skip


def _texts(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = random.Random(seed)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14))) for _ in range(n)]
    labels = np.asarray([("refund" in t) ^ (rng.random() < 0.2) for t in texts], dtype=int)
    return texts, labels


@pytest.mark.parametrize(("min_df", "max_features"), [(2, None), (2, 40), (5, 150)])
def test_each_fold_keeps_the_terms_its_own_vectorizer_keeps(min_df, max_features):
    texts, labels = _texts(300, 1)
    counter = CountVectorizer(ngram_range=(1, 2), min_df=min_df, dtype=np.float64)
    counts = counter.fit_transform(texts)
    for rows, held in StratifiedKFold(3, shuffle=True, random_state=0).split(texts, labels):
        own = TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, max_features=max_features, sublinear_tf=True)
        expected = own.fit_transform([texts[i] for i in rows])
        selection = TermSelection(min_df, max_features)
        selected = Pipeline([("terms", selection), ("tfidf", TfidfTransformer(sublinear_tf=True))]).fit(
            counts[rows]
        )
        names = counter.get_feature_names_out()[selection.columns_]
        assert names.tolist() == own.get_feature_names_out().tolist()
        np.testing.assert_allclose(selected.transform(counts[rows]).toarray(), expected.toarray(), atol=1e-12)
        np.testing.assert_allclose(
            selected.transform(counts[held]).toarray(),
            own.transform([texts[i] for i in held]).toarray(),
            atol=1e-12,
        )


def _ticket(i: int, text: str, escalated: bool) -> LabelledTicket:
    return LabelledTicket.model_validate(
        {"ticket_id": f"t{i}", "channel": "chat", "created_at": "2026-01-01T00:00:00Z", "customer": {},
         "messages": [{"role": "customer", "text": text}], "escalated": escalated}
    )  # fmt: skip


def test_the_baseline_gives_the_probabilities_of_cross_validating_the_whole_pipeline():
    texts, labels = _texts(500, 2)
    tickets = [_ticket(i, t, bool(y)) for i, (t, y) in enumerate(zip(texts, labels, strict=True))]
    train, test = tickets[:400], tickets[400:]
    threshold = ThresholdParams()
    metrics, proba = evaluate_tfidf(train, test, threshold)
    train_texts, y = [customer_text(t) for t in train], labels[:400]
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    oof = cross_val_predict(tfidf_lr(0), train_texts, y, cv=folds, method="predict_proba")[:, 1]
    expected = tfidf_lr(0).fit(train_texts, y).predict_proba([customer_text(t) for t in test])[:, 1]
    np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-9)
    assert metrics["threshold"] == pytest.approx(choose_threshold(y, oof, threshold), abs=1e-9)
