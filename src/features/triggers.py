"""Trigger signals: keyword families (legal, regulatory, refund, threats, ...) found in customer turns.

The same matcher serves the feature pipeline (as model inputs) and the escalation policy (as rules), so
a keyword means the same thing to both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ticketbuddy.features.conversation import customer_texts, messages_column

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


def normalise(text: str) -> str:
    """Lower-case, straighten apostrophes and fold white space, so phrases match as people type them."""
    return " ".join(text.translate(_APOSTROPHES).lower().split())


def _pattern(keywords: Sequence[str]) -> re.Pattern[str]:
    phrases = sorted({normalise(k) for k in keywords if k.strip()}, key=len, reverse=True)
    body = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in phrases)
    return re.compile(rf"(?<![\w])(?:{body})(?![\w])")


class KeywordMatcher:
    """Finds which keyword families occur in a text, and which phrases matched.

    Args:
        families: Keywords and phrases by family name, e.g. ``{"legal": ["lawyer", "legal action"]}``.
            Matching ignores case, apostrophe style and extra spaces, and respects word boundaries
            ("sue" does not match "issue").

    Example:
        >>> KeywordMatcher({"legal": ["legal action"]}).find("I will take LEGAL  action")
        {'legal': ['legal action']}

    """

    def __init__(self, families: Mapping[str, Sequence[str]]) -> None:
        self.families = {name: list(words) for name, words in families.items()}
        self._patterns = {name: _pattern(words) for name, words in self.families.items()}

    def find(self, text: str) -> dict[str, list[str]]:
        """Matched phrases by family, for the families that matched at least once."""
        clean = normalise(text)
        hits: dict[str, list[str]] = {}
        for name, pattern in self._patterns.items():
            found = sorted({" ".join(m.split()) for m in pattern.findall(clean)})
            if found:
                hits[name] = found
        return hits


class TriggerSignals(TransformerMixin, BaseEstimator):
    """Count of matches per keyword family in the customer's turns, as model features.

    Args:
        families: Keywords by family; normally ``Policy.keyword_families()`` at training time. The
            families are stored with the fitted model, so scoring uses the words it learned from.

    Example:
        >>> t = TriggerSignals({"refund": ["refund"]}).fit(None)
        >>> t.get_feature_names_out().tolist()
        ['trigger_refund']

    """

    def __init__(self, families: Mapping[str, Sequence[str]] | None = None) -> None:
        self.families = families

    def fit(self, X: pd.Series | None, y: object = None) -> TriggerSignals:
        """Fix the family order and compile the matcher; nothing is learned from the data."""
        self.families_ = dict(self.families or {})
        self.names_ = sorted(self.families_)
        self.matcher_ = KeywordMatcher(self.families_)
        return self

    def transform(self, X: pd.Series) -> np.ndarray:
        """One row per ticket, one column per family: how many distinct phrases of it matched."""
        rows = np.zeros((len(X), len(self.names_)), dtype=float)
        for i, messages in enumerate(messages_column(X)):
            hits = self.matcher_.find("\n".join(customer_texts(messages)))
            for j, name in enumerate(self.names_):
                rows[i, j] = len(hits.get(name, ()))
        return rows

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``trigger_<family>`` for each family, in sorted order."""
        return np.asarray([f"trigger_{n}" for n in self.names_], dtype=object)
