"""Keyword families found as people type them: any case, inflected, and with a slip of the finger.

A policy lists ``refund``; customers write "Refunds", "refunded", "refnd". Both the keywords and the
text are brought to canonical words before the phrases are matched:

- **inflections**: every regular form of a keyword word's base (``refund``: refunds, refunded,
  refunding; ``sue``: sues, sued, suing; ``injury``: injuries) is read as that base;
- **misspellings**: a word of five letters or more that is one edit (a letter dropped, added, changed
  or two swapped) from a keyword word of five letters or more is read as it, unless the word is itself
  an English word (found in the encoder's vocabulary: "count" is not a misspelt "court", nor "broker"
  a misspelt "broken").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_VOWELS = "aeiou"
_MIN_FUZZY = 5


def normalise(text: str) -> str:
    """Lower-case, straighten apostrophes and fold white space, so phrases match as people type them."""
    return " ".join(text.translate(_APOSTROPHES).lower().split())


def inflections(base: str) -> set[str]:
    """Regular English forms of a word: plural / third person, past, -ing, with the usual spelling rules.

    Example:
        >>> sorted(inflections("sue"))
        ['sue', 'sued', 'sueing', 'sues', 'suing']

    """
    forms = {base, base + "s", base + "es", base + "ed", base + "ing"}
    if base.endswith("e"):
        forms = {base, base + "s", base + "d", base + "ing", base[:-1] + "ing"}
    if base.endswith("y") and len(base) > 2 and base[-2] not in _VOWELS:
        forms |= {base[:-1] + "ies", base[:-1] + "ied"}
    if len(base) >= 3 and base[-1] not in _VOWELS + "wxy" and base[-2] in _VOWELS and base[-3] not in _VOWELS:
        forms |= {base + base[-1] + "ed", base + base[-1] + "ing"}
    return forms


def lemma(word: str) -> str:
    """The base form a (keyword) word is an inflection of; English words are preferred, then short ones.

    Example:
        >>> [lemma(w) for w in ["refunded", "suing", "crashes", "fraud", "injuries", "scammed"]]
        ['refund', 'sue', 'crash', 'fraud', 'injury', 'scam']

    """
    candidates = {word}
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            base = word[: -len(suffix)]
            candidates |= {base, base + "e", base[:-1] if base[-1] == base[-2:-1] else base}
    for suffix in ("ies", "ied"):
        if word.endswith(suffix):
            candidates.add(word[: -len(suffix)] + "y")
    bases = [c for c in candidates if word in inflections(c)]
    english = english_words()
    return min(bases, key=lambda c: (len(c) < 3, c not in english, len(c), c))


def _deletes(word: str) -> set[str]:
    """The word with each single letter removed."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words of the encoder's vocabulary (about 20,000 common English words)."""
    from ticketbuddy.features.encoder import bundled_model_path

    try:
        lines = (bundled_model_path() / "vocab.txt").read_text(encoding="utf-8").split()
    except (OSError, ImportError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.islower())


class Canon:
    """Maps the words of a text onto the keyword words they are forms or misspellings of.

    Args:
        vocabulary: The words that occur in the keywords.

    Example:
        >>> c = Canon(["refund", "lawyer", "court"])
        >>> [c.word(w) for w in ["refunds", "refnd", "lawyers", "count", "courts", "parcel"]]
        ['refund', 'refund', 'lawyer', 'count', 'court', 'parcel']
        >>> c.word("refund") == c.word("refunded") == c.word("reffund")
        True

    """

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self.vocabulary = set(vocabulary)
        self._forms: dict[str, str] = {}
        self._fuzzy: dict[str, str] = {}
        for word in sorted(self.vocabulary):
            base = lemma(word) if "'" not in word else word
            for form in sorted(inflections(base) | {word}) if "'" not in word else [word]:
                self._forms.setdefault(form, base)
                if len(form) >= _MIN_FUZZY:
                    for variant in sorted(_deletes(form)):
                        self._fuzzy.setdefault(variant, base)
        self.word = lru_cache(maxsize=65_536)(self._word)

    def _word(self, word: str) -> str:
        """The canonical form: the keyword base this word is a form or a misspelling of, else itself."""
        if word.endswith("'s") and word not in self._forms:
            return self._word(word[:-2])  # a possessive: "my lawyer's letter"
        if word in self._forms:
            return self._forms[word]
        if len(word) < _MIN_FUZZY or "'" in word or word in english_words():
            return word
        for variant in (word, *sorted(_deletes(word))):
            if variant in self._fuzzy:
                return self._fuzzy[variant]
            if variant in self._forms:
                return self._forms[variant]
        return word

    def text(self, text: str) -> str:
        """The normalised text with each word replaced by its canonical keyword word."""
        return _WORD.sub(lambda m: self.word(m.group()), normalise(text))


def _pattern(phrases: Sequence[str]) -> re.Pattern[str]:
    ordered = sorted(set(phrases), key=len, reverse=True)
    body = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in ordered)
    return re.compile(rf"(?<!\w)(?<!\w')(?:{body})(?!\w)(?!'\w)")


class KeywordMatcher:
    """Finds which keyword families occur in a text, and which keywords matched.

    Args:
        families: Keywords and phrases by family name, e.g. ``{"legal": ["lawyer", "legal action"]}``.
            Matching ignores case, apostrophe style and extra spaces, respects word boundaries
            ("sue" does not match "issue"), and reads inflections and misspellings as the keyword.

    Example:
        >>> m = KeywordMatcher({"legal": ["legal action", "lawyer"], "refund": ["refund"]})
        >>> m.find("I will take LEGAL  actions, my lawyers say")
        {'legal': ['lawyer', 'legal action']}
        >>> m.find("still no refnd after 3 weeks")
        {'refund': ['refund']}
        >>> m.find("see you in 'legal action'"), m.find("my lawyer's fee")
        ({'legal': ['legal action']}, {'legal': ['lawyer']})

    """

    def __init__(self, families: Mapping[str, Sequence[str]]) -> None:
        self.families = {name: list(words) for name, words in families.items()}
        words = {w for ks in self.families.values() for k in ks for w in _WORD.findall(normalise(k))}
        self.canon = Canon(sorted(words))
        self._patterns: dict[str, tuple[re.Pattern[str], dict[str, str]]] = {}
        for name, keywords in self.families.items():
            forms = {self.canon.text(k): normalise(k) for k in keywords if k.strip()}
            if forms:
                self._patterns[name] = (_pattern(list(forms)), forms)

    def find(self, text: str) -> dict[str, list[str]]:
        """Matched keywords (as the policy spells them) by family, for the families that matched."""
        clean = self.canon.text(text)
        hits: dict[str, list[str]] = {}
        for name, (pattern, forms) in self._patterns.items():
            found = sorted({forms.get(" ".join(m.split()), m) for m in pattern.findall(clean)})
            if found:
                hits[name] = found
        return hits
