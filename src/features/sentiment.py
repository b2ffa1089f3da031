"""Sentiment trajectory: how the customer's mood moves over the conversation.

Each customer turn is scored with VADER (a lexicon scorer that ships its lexicon, so it runs offline
at ~19,000 texts/s), then the sequence is summarised: where it started and ended, its low point, its
slope, its largest drop between consecutive turns and how many turns were negative. A conversation that
starts calm and ends angry is a different ticket from one that starts angry and ends resolved, even
when the words are alike.

VADER's lexicon is general English, so TicketBuddy layers a small support lexicon over it
(``support_lexicon.txt`` beside this module): words such as "nightmare" or "stranded" and phrases such
as "still waiting" or "never arrived" that VADER misses, and request words it misreads ("please help",
"I would like a refund" are pleas, not pleasure). A phrase becomes one token before VADER reads the
text, so VADER's own negation and emphasis rules still apply around it; @-mentions are dropped, since a
handle names the addressee, not a feeling. ``docs/EVALUATION.md`` measures the scorer with and without
these on human-labelled tweets.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ticketbuddy.features import embedding_cache
from ticketbuddy.features.conversation import customer_texts, messages_column
from ticketbuddy.features.memo import Memo, as_is

TRAJECTORY_FIGURES = [
    "first",
    "last",
    "min",
    "mean",
    "slope",
    "largest_drop",
    "last_minus_first",
    "n_negative",
    "share_negative",
]


#: The support lexicon's file name, inside this package.
SUPPORT_LEXICON = "support_lexicon.txt"
_QUOTES = "'\u2019`"


def _bare(phrase: str) -> str:
    """A phrase as typed in any style: lower case, no apostrophes, words joined by ``_``."""
    return "_".join(phrase.lower().translate({ord(q): None for q in _QUOTES}).split())


def _key(phrase: str) -> str:
    """The token a lexicon entry becomes; apostrophes stay, so VADER still reads "n't" as negation."""
    return "_".join(phrase.lower().translate({ord(q): "'" for q in _QUOTES}).split())


@lru_cache(maxsize=1)
def support_lexicon() -> dict[str, float]:
    """TicketBuddy's support lexicon: word or phrase → valence on VADER's -4..+4 scale (0: neutral).

    Raises:
        ValueError: A line is not ``phrase<TAB>valence``; the message gives its line number.

    """
    text = resources.files("ticketbuddy.features").joinpath(SUPPORT_LEXICON).read_text(encoding="utf-8")
    entries: dict[str, float] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        phrase, _, value = line.rpartition("\t")
        try:
            entries[" ".join(phrase.split())] = float(value)
        except ValueError as exc:
            raise ValueError(f"{SUPPORT_LEXICON} line {number}: {raw!r} is not 'phrase<TAB>valence'") from exc
        if not phrase.strip():
            raise ValueError(f"{SUPPORT_LEXICON} line {number}: {raw!r} has no phrase")
    return entries


@lru_cache(maxsize=1)
def _phrases() -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex for @-mentions (group 1) and the multi-word entries (longest first); bare form → token."""
    phrases = sorted((p for p in support_lexicon() if " " in p), key=len, reverse=True)
    quote = f"[{_QUOTES}]?"

    def words(phrase: str) -> str:
        pieces = (re.split(f"[{_QUOTES}]", w) for w in phrase.split())
        return r"\s+".join(quote.join(re.escape(p) for p in piece) for piece in pieces)

    body = "|".join(words(p.lower()) for p in phrases) or "(?!)"
    pattern = re.compile(rf"(?<![\w{_QUOTES}])(?:(@\w+)|(?:{body})(?![\w{_QUOTES}]))")
    return pattern, {_bare(p): _key(p) for p in phrases}


def _support_text(text: str) -> str:
    """``text`` as the support lexicon reads it: phrases as single tokens, @-mentions dropped.

    A mention names who is addressed, not how the customer feels, yet handles collide with VADER words
    ("@united" reads as "united", +1.8). Capitals of a phrase are kept, as VADER's emphasis. The pattern
    runs case-sensitively on the lower-cased text, about twice as fast as ``re.IGNORECASE``; that matters
    because most messages hold no phrase at all.
    """
    pattern, tokens = _phrases()
    lowered = text.lower()
    if len(lowered) != len(text):  # rare letters (a dotted capital I) lengthen: keep positions aligned
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    if pattern.search(lowered) is None:
        return text
    parts, last = [], 0
    for match in pattern.finditer(lowered):
        original = text[match.start() : match.end()]
        token = "" if match.group(1) else tokens[_bare(match.group(0))]
        parts += [text[last : match.start()], token.upper() if original.isupper() else token]
        last = match.end()
    return "".join([*parts, text[last:]])


@lru_cache(maxsize=2)
def _vader(support: bool = True) -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    if support:
        for phrase, valence in support_lexicon().items():
            if valence == 0:
                analyzer.lexicon.pop(_key(phrase), None)
            else:
                analyzer.lexicon[_key(phrase)] = valence
    return analyzer


def vader_sentiment(text: str, support: bool = True) -> float:
    """VADER compound score of one message, with or without TicketBuddy's support lexicon.

    Args:
        text: The message.
        support: Layer the support lexicon over VADER's and drop @-mentions (what ``message_sentiment``
            does); False gives plain VADER, for comparison.

    Example:
        >>> vader_sentiment("Still waiting, nobody answers", support=False)
        0.0
        >>> vader_sentiment("Still waiting, nobody answers") < -0.5
        True

    """
    if support:
        text = _support_text(text)
    return float(_vader(support).polarity_scores(text)["compound"])


#: Scores of recent messages: the model's trajectory features and the policy's read the same turns.
_SCORES: Memo[str, float] = Memo(8192, as_is, per_ticket=8)


def message_sentiment(text: str) -> float:
    """Compound sentiment of one message, from -1 (very negative) to +1 (very positive).

    VADER with TicketBuddy's support lexicon layered over its own (see the module docstring). Kept
    per process (``_SCORES``): the model's trajectory features and the policy's read the same turns.
    """
    score = _SCORES.get(text)
    if score is None:
        score = vader_sentiment(text)
        _SCORES.put(text, score)
    return score


def trajectory(scores: Sequence[float], negative_below: float = -0.05) -> dict[str, float]:
    """Summarise a sequence of per-turn sentiment scores.

    Args:
        scores: Sentiment of each customer turn, in order. An empty sequence gives neutral figures.
        negative_below: A turn scoring below this counts as negative.

    Returns:
        The figures named in ``TRAJECTORY_FIGURES``. ``slope`` is the least-squares slope per turn
        (0 for a single turn); ``largest_drop`` is the largest fall between consecutive turns (>= 0).

    Example:
        >>> trajectory([0.5, -0.5])["largest_drop"]
        1.0

    """
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        values = np.zeros(1)
    steps = np.diff(values)
    slope = float(np.polyfit(np.arange(values.size), values, 1)[0]) if values.size > 1 else 0.0
    negative = int((values < negative_below).sum())
    return {
        "first": float(values[0]),
        "last": float(values[-1]),
        "min": float(values.min()),
        "mean": float(values.mean()),
        "slope": slope,
        "largest_drop": float(max(0.0, -steps.min())) if steps.size else 0.0,
        "last_minus_first": float(values[-1] - values[0]),
        "n_negative": float(negative),
        "share_negative": negative / values.size,
    }


@lru_cache(maxsize=1)
def scores_variant() -> str:
    """Identity of ``message_sentiment``'s scores in the disk cache: VADER's version and the lexicon.

    Editing ``support_lexicon.txt`` or upgrading VADER changes it, so no stale score is ever read.
    """
    from importlib.metadata import version

    lexicon = repr(sorted(support_lexicon().items())).encode()
    return f"vader-{version('vaderSentiment')}-support-{hashlib.sha256(lexicon).hexdigest()[:16]}"


def message_sentiments(texts: Sequence[str]) -> list[float]:
    """``message_sentiment`` of each text; inside an ``embedding_cache`` block, kept on disk too.

    Training scores every message of a history again on each retrain; with the cache on (training,
    evaluation, never the service) the scores are read back with the embeddings instead. VADER
    rounds its compound score to 4 decimals and the cache keeps 32-bit floats, so rounding again
    gives back the very number computed (``tests/code/test_sentiment_cache.py``).
    """
    cache = embedding_cache.active()
    if cache is None:
        return [message_sentiment(t) for t in texts]
    unique = list(dict.fromkeys(texts))
    kept = cache.encode(scores_variant(), unique, _scored) if unique else np.zeros((0, 1))
    score = {text: round(float(value), 4) for text, value in zip(unique, kept[:, 0], strict=True)}
    for text, value in score.items():  # the policy reads these turns next (``customer_trajectory``)
        _SCORES.put(text, value)
    return [score[t] for t in texts]


def _scored(texts: list[str]) -> np.ndarray:
    return np.asarray([[message_sentiment(t)] for t in texts], dtype=np.float32).reshape(-1, 1)


def customer_trajectory(turns: Sequence, negative_below: float = -0.05) -> dict[str, float]:
    """Trajectory figures of the customer's turns of one conversation."""
    scores = [message_sentiment(t) for t in customer_texts(turns)]
    return trajectory(scores, negative_below)


class SentimentTrajectory(TransformerMixin, BaseEstimator):
    """Per-message sentiment of the customer's turns, summarised as trajectory features.

    Args:
        negative_below: Compound score under which a turn counts as negative (VADER's usual cut-off).

    Example:
        >>> import pandas as pd
        >>> from ticketbuddy.features.conversation import Turn
        >>> X = pd.Series([[Turn("customer", "Great, thanks!")]])
        >>> bool(SentimentTrajectory().fit(X).transform(X)[0, 0] > 0)
        True

    """

    def __init__(self, negative_below: float = -0.05) -> None:
        self.negative_below = negative_below

    def fit(self, X: pd.Series, y: object = None) -> SentimentTrajectory:
        """Nothing is learned; the lexicon is fixed."""
        return self

    def transform(self, X: pd.Series) -> np.ndarray:
        """One row per ticket, the figures in ``TRAJECTORY_FIGURES`` order; all messages scored at once."""
        tickets = [list(customer_texts(turns)) for turns in messages_column(X)]
        flat = message_sentiments([t for texts in tickets for t in texts])
        rows, start = [], 0
        for texts in tickets:
            figures = trajectory(flat[start : start + len(texts)], self.negative_below)
            rows.append([figures[name] for name in TRAJECTORY_FIGURES])
            start += len(texts)
        return np.asarray(rows, dtype=float).reshape(len(rows), len(TRAJECTORY_FIGURES))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``sentiment_<figure>`` for each trajectory figure."""
        return np.asarray([f"sentiment_{n}" for n in TRAJECTORY_FIGURES], dtype=object)
