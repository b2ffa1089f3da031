"""The family classifier reads a sentence's words beside its embedding."""

import numpy as np
import pytest

from ticketbuddy.features.sentence_classifier import SentenceClassifier

DEMANDS = ["delete my data now", "I want my data deleted today", "erase all my data"]
QUESTIONS = ["what does your data policy say", "where can I read about data", "how long is data kept"]


@pytest.fixture
def same_meaning():
    """Six sentences the embedding cannot tell apart: one vector for all."""
    vectors = np.tile(np.eye(1, 8, dtype=np.float32), (6, 1))
    return vectors, [*DEMANDS, *QUESTIONS], np.array([0, 0, 0, 1, 1, 1])


def test_the_words_tell_apart_sentences_the_embedding_cannot(same_meaning):
    vectors, texts, labels = same_meaning
    blind = SentenceClassifier(words=0).fit(vectors, texts, labels)
    assert blind.probabilities(vectors[:1], ["delete my data please"])[0] == pytest.approx(
        [0.5, 0.5], abs=1e-3
    )
    reading = SentenceClassifier().fit(vectors, texts, labels)
    probabilities = reading.probabilities(vectors[:2], ["please delete my data", "what does the policy say"])
    assert probabilities.argmax(axis=1).tolist() == [0, 1]
    assert probabilities.sum(axis=1) == pytest.approx([1.0, 1.0])


def test_probabilities_match_scikit_learns_for_several_classes():
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(9, 5)).astype(np.float32)
    texts = ["sue you", "court case", "my lawyer", "a person", "an agent", "a human", "hi", "thanks", "ok"]
    labels = np.repeat([0, 1, 2], 3)
    ours = SentenceClassifier().fit(vectors, texts, labels)
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(texts)  # as documented
    reference = LogisticRegression(C=10.0, max_iter=5_000).fit(
        sparse.hstack([vectors, words]).tocsr(), labels
    )
    expected = reference.predict_proba(sparse.hstack([vectors, words]).tocsr())
    assert ours.probabilities(vectors, texts) == pytest.approx(expected, abs=1e-4)
    assert ours.probabilities(vectors[:0], []).shape == (0, 3)
