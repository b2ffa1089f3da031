"""Word models tokenise each text once for all their folds, and score as if they had not.

``cross_fitted`` computes the term counts once and cross-validates only the TF-IDF weights and the
model on them. The reference here is what the word models did before: scikit-learn's
``TfidfVectorizer`` pipeline, cross-validated on the raw texts.
"""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from ticketbuddy.features.words import ANY_WORDS, LETTER_WORDS, cross_fitted, shared_terms, word_model

ROUTES = {
    "billing": ["charged twice for order", "refund still missing", "invoice total is wrong", "double charge"],
    "tech": ["app crashes on login", "screen stays black", "error code on setup", "the update broke wifi"],
    "legal": ["my solicitor will write", "taking you to court", "small claims next", "legal action now"],
}


def tickets(n: int = 60) -> tuple[list[str], np.ndarray]:
    """Short tickets of three routes, each a route phrase with a varying tail."""
    rng = np.random.default_rng(3)
    texts, labels = [], []
    tails = ["please help", "thanks", "third time asking", "order 4411", "asap", "this is silly", ""]
    for i in range(n):
        route = list(ROUTES)[i % 3]
        texts.append(f"{rng.choice(ROUTES[route])} {rng.choice(tails)} {rng.choice(tails)}".strip())
        labels.append(route)
    return texts, np.asarray(labels)


@pytest.mark.parametrize(
    ("pattern", "ngram_max", "model", "method"),
    [
        (
            ANY_WORDS,
            2,
            LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000),
            "decision_function",
        ),
        (LETTER_WORDS, 2, LinearSVC(C=0.5, random_state=0), "decision_function"),
        (LETTER_WORDS, 1, LogisticRegression(C=10.0, max_iter=3000), "predict_proba"),
    ],
)
def test_counting_once_scores_as_the_whole_pipeline_cross_validated(pattern, ngram_max, model, method):
    texts, labels = tickets()
    vocabulary = shared_terms(texts, None, 2, pattern, ngram_max)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    reference = Pipeline(
        [
            ("tfidf", TfidfVectorizer(ngram_range=(1, ngram_max), sublinear_tf=True, token_pattern=pattern,
                                      vocabulary=vocabulary)),
            ("model", model),
        ]
    )  # fmt: skip
    expected = cross_val_predict(reference, texts, labels, cv=folds, method=method)
    ours = word_model(vocabulary, pattern, ngram_max, model)
    scores = cross_fitted(ours, texts, labels, folds, method)
    assert scores == pytest.approx(expected, abs=1e-9)
    unseen = ["charged twice, refund please", "court next week", "crashes after the update", "hello"]
    fitted = reference.fit(texts, labels)
    assert getattr(ours, method)(unseen) == pytest.approx(getattr(fitted, method)(unseen), abs=1e-9)
    assert ours.classes_.tolist() == fitted.classes_.tolist()
