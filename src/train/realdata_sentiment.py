"""The sentiment check on real text: human-labelled airline tweets scored one message at a time.

Each tweet is scored with ``message_sentiment`` (VADER + the support lexicon, what the trajectory
features use) and with plain VADER, and the compound score is cut into negative / neutral / positive
with the trajectory's own cut-offs, so the accuracy reported is that of the features the model sees.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ticketbuddy.train.realdata import RealDataError, read_csv
from ticketbuddy.train.realdata_report import SENTIMENT_CLASSES, machine, sentiment_figures, texts_per_second

TWEET_TEXT = "text"
TWEET_LABEL = "airline_sentiment"
TWEET_CONFIDENCE = "airline_sentiment_confidence"


def read_tweets(path: str | Path, min_confidence: float = 0.9) -> pd.DataFrame:
    """The tweets whose crowd label has at least ``min_confidence`` agreement: columns ``text``, ``label``."""
    frame = read_csv(Path(path), [TWEET_TEXT, TWEET_LABEL, TWEET_CONFIDENCE], "an airline-sentiment file")
    confidence = pd.to_numeric(frame[TWEET_CONFIDENCE], errors="coerce")
    keep = (confidence >= min_confidence) & frame[TWEET_LABEL].isin(SENTIMENT_CLASSES)
    tweets = frame.loc[keep, [TWEET_TEXT, TWEET_LABEL]].rename(columns={TWEET_LABEL: "label"})
    if tweets.empty:
        raise RealDataError(f"{path}: no labelled tweet with confidence >= {min_confidence}")
    return tweets.reset_index(drop=True)


def sentiment_class(score: float, negative_below: float = -0.05, positive_above: float = 0.05) -> str:
    """Class of a compound score, with the cut-offs the trajectory uses (a turn below -0.05 is negative)."""
    if score < negative_below:
        return "negative"
    return "positive" if score > positive_above else "neutral"


def check_sentiment(
    tweets_path: str | Path,
    min_confidence: float = 0.9,
    negative_below: float = -0.05,
    positive_above: float = 0.05,
    seed: int = 0,
) -> dict[str, Any]:
    """Score human-labelled tweets with ``message_sentiment`` and with plain VADER; figures per half.

    The clean tweets are split (stratified, fixed ``seed``) into a tuning half and a report half: anything
    adjusted after looking at results may only look at the tuning half, and headline figures come from
    the report half. Figures for all the tweets are given too.
    """
    from sklearn.model_selection import train_test_split

    from ticketbuddy.features.sentiment import message_sentiment, vader_sentiment

    tweets = read_tweets(tweets_path, min_confidence)
    texts, labels = tweets[TWEET_TEXT].tolist(), np.asarray(tweets["label"], dtype=object)
    every = np.arange(len(texts))
    stratify = labels if min(Counter(labels).values()) >= 2 else None  # tiny files: a plain split
    tune, report = train_test_split(every, test_size=0.5, random_state=seed, stratify=stratify)
    halves = {"all": every, "tune": np.sort(tune), "report": np.sort(report)}
    scorers: dict[str, Callable[[str], float]] = {
        "message_sentiment": message_sentiment,
        "vader": lambda text: vader_sentiment(text, support=False),
    }
    results: dict[str, Any] = {}
    for name, score in scorers.items():
        predicted = np.asarray(
            [sentiment_class(score(t), negative_below, positive_above) for t in texts], dtype=object
        )
        results[name] = {h: sentiment_figures(list(labels[i]), list(predicted[i])) for h, i in halves.items()}
    return {
        "task": "sentiment",
        "path": str(tweets_path),
        "min_confidence": min_confidence,
        "cutoffs": {"negative_below": negative_below, "positive_above": positive_above},
        "seed": seed,
        "n": {half: len(i) for half, i in halves.items()},
        "label_counts": {c: int((labels == c).sum()) for c in SENTIMENT_CLASSES},
        "texts_per_second": texts_per_second(scorers, texts),
        "machine": machine(),
        "scorers": results,
    }
