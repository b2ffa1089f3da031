"""Message sentiment kept on disk with the embeddings: the same numbers, read back instead of scored."""

import numpy as np
import pandas as pd
import pytest

from ticketbuddy.features import embedding_cache, sentiment
from ticketbuddy.features.conversation import Turn
from ticketbuddy.features.sentiment import SentimentTrajectory, message_sentiment, message_sentiments

MESSAGES = [
    "Still waiting, nobody answers",
    "Great, thanks so much!",
    "my parcel never arrived and this is the third time I ask",
    "ok",
    "I would like a refund please",
    "Absolutely furious. Worst service I have ever had.",
]


def test_the_cache_gives_back_the_very_scores_computed(tmp_path):
    expected = [message_sentiment(t) for t in MESSAGES]
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite") as cache:
        first = message_sentiments([*MESSAGES, MESSAGES[0]])
        assert cache.misses == len(MESSAGES) and cache.hits == 0  # the repeat is scored once
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite") as cache:
        again = message_sentiments(MESSAGES)
        assert cache.hits == len(MESSAGES) and cache.misses == 0
    assert first == [*expected, expected[0]]
    assert again == expected  # exactly: 4-decimal scores survive 32-bit storage


def test_a_kept_score_is_what_the_trajectory_reads(tmp_path):
    """Read back, not recomputed: a score planted in the cache is the one the features use."""
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite") as cache:
        cache.encode(
            sentiment.scores_variant(), ["ok"], lambda texts: np.asarray([[-0.75]], dtype=np.float32)
        )
        X = pd.Series([[Turn("customer", "ok")]])
        row = SentimentTrajectory().fit(X).transform(X)[0]
    assert row[0] == pytest.approx(-0.75)
    assert SentimentTrajectory().fit(X).transform(X)[0][0] == message_sentiment("ok")  # cache off


def test_the_features_are_the_same_with_and_without_the_cache(tmp_path):
    X = pd.Series(
        [[Turn("customer", a), Turn("bot", "Sorry to hear that."), Turn("customer", b)] for a, b in
         zip(MESSAGES, reversed(MESSAGES), strict=True)]
    )  # fmt: skip
    plain = SentimentTrajectory().fit(X).transform(X)
    for _ in range(2):  # filling the cache, then reading it
        with embedding_cache.embedding_cache(tmp_path / "c.sqlite"):
            assert np.array_equal(SentimentTrajectory().fit(X).transform(X), plain)


def test_the_variant_names_the_lexicon(monkeypatch):
    before = sentiment.scores_variant()
    sentiment.scores_variant.cache_clear()
    monkeypatch.setattr(sentiment, "support_lexicon", lambda: {"nightmare": -2.5})
    try:
        assert sentiment.scores_variant() != before
    finally:
        sentiment.scores_variant.cache_clear()
