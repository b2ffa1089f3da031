"""Trigger signals: families (legal, safety, fraud, a request for a human, ...) found in customer turns.

A family fires on a keyword (``keywords``: any case, inflected or misspelt) or on a sentence that means
what its ``examples`` say. The same ``TriggerFinder`` serves the feature pipeline (as model inputs)
and the escalation policy (as rules), so a family means the same thing to both.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ticketbuddy.features.conversation import customer_texts, messages_column
from ticketbuddy.features.encoder import EMBEDDING_DIM, encoder_variant
from ticketbuddy.features.feature_cache import remembered
from ticketbuddy.features.keywords import KeywordMatcher, normalise
from ticketbuddy.features.memo import Memo
from ticketbuddy.features.semantic import (
    FamilyExamples,
    SemanticHit,
    SemanticMatcher,
    SentenceEncoder,
    units_in_context,
    vetoing,
)
from ticketbuddy.features.sentiment import message_sentiment

__all__ = ["KeywordMatcher", "normalise", "TriggerSpec", "Found", "TriggerFinder", "TriggerSignals"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TriggerSpec:
    """One family as the matcher needs it: keywords, and optionally examples with their threshold."""

    keywords: tuple[str, ...]
    examples: tuple[str, ...] = ()
    not_examples: tuple[str, ...] = ()
    threshold: float = 0.5
    min_similarity: float = 0.35
    no_family_veto: float | None = None
    keyword_min_score: float = 0.0
    veto_min_sentiment: float | None = None


Specs = Mapping[str, "TriggerSpec | Sequence[str]"]


def as_spec(value: TriggerSpec | Sequence[str]) -> TriggerSpec:
    """A family spec from a spec or a bare keyword list (older callers and models)."""
    return value if isinstance(value, TriggerSpec) else TriggerSpec(tuple(value))


@dataclass
class Found:
    """What fired in one ticket: keywords by family, semantic evidence by family, and similarities.

    ``no_family`` is how surely the least ordinary of the customer's sentences reads as no family's
    (the lowest "no family" probability over whole sentences; 0 without semantic matching); keyword
    hits dropped because their sentences read as no family are kept in ``vetoed``.
    """

    keywords: dict[str, list[str]] = field(default_factory=dict)
    semantic: dict[str, SemanticHit] = field(default_factory=dict)
    similarity: dict[str, float] = field(default_factory=dict)
    sentences: list[str] = field(default_factory=list)
    vectors: np.ndarray | None = None
    vetoed: dict[str, list[str]] = field(default_factory=dict)
    no_family: float = 0.0

    @property
    def families(self) -> dict[str, list[str]]:
        """Every fired family with its matched keywords (empty when only the meaning matched)."""
        fired = {name: list(words) for name, words in self.keywords.items()}
        for name in self.semantic:
            fired.setdefault(name, [])
        return dict(sorted(fired.items()))

    def to_bytes(self) -> bytes:
        """What the policy and the model read (not the sentences and their vectors), as JSON."""
        hits = self.semantic.items()
        semantic = {n: [h.sentence, h.example, float(h.similarity), float(h.score)] for n, h in hits}
        return json.dumps(
            {
                "keywords": self.keywords,
                "semantic": semantic,
                "similarity": {n: float(v) for n, v in self.similarity.items()},
                "vetoed": self.vetoed,
                "no_family": float(self.no_family),
            },
            ensure_ascii=False,
        ).encode()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Found:
        """``to_bytes`` read back: equal findings, every number the same float."""
        record = json.loads(blob)
        semantic = {n: SemanticHit(*fields) for n, fields in record["semantic"].items()}
        return cls(
            keywords=record["keywords"],
            semantic=semantic,
            similarity=record["similarity"],
            vetoed=record["vetoed"],
            no_family=record["no_family"],
        )

    def copy(self) -> Found:
        """A copy whose dicts, lists and vectors can be changed without touching this one."""
        return replace(
            self,
            vectors=None if self.vectors is None else self.vectors.copy(),
            keywords={n: list(w) for n, w in self.keywords.items()},
            semantic=dict(self.semantic),
            similarity=dict(self.similarity),
            sentences=list(self.sentences),
            vetoed={n: list(w) for n, w in self.vetoed.items()},
        )


#: What fired in recent tickets, by the finder's families, its encoder (the export's variant: a logged
#: model's copy is the same encoder) and the customer's turns: the model's trigger features and the
#: policy's rules read the same ticket with the same families (the model keeps the policy's at
#: training time), so the second look reuses the first's keyword matches, family scores and veto.
#: Entries of other families never match: the key holds them.
FOUND_MEMO: Memo[tuple, Found] = Memo(1024, Found.copy, per_ticket=1)


class TriggerFinder:
    """Keyword and semantic matching of trigger families over tickets' customer turns.

    Args:
        families: Specs (or bare keyword lists) by family name.
        encoder_path: The encoder directory for the semantic half; None for the local default.
        semantic: False to match keywords only (the figures ``policy test`` compares).
        others: Messages of no family (everyday questions, plain dissatisfaction): the alternative class.

    If the encoder cannot be loaded the finder logs it once and matches keywords only: a ticket is
    still decided, on less evidence, rather than not at all.

    Example:
        >>> spec = TriggerSpec(("lawyer",), ("I am going to sue you", "I will take you to court"))
        >>> finder = TriggerFinder({"legal": spec}, others=["where is my parcel", "thanks for your help"])
        >>> found = finder.find_many([["Honestly I will sue your company over this."]])[0]
        >>> found.families, found.semantic["legal"].example
        ({'legal': []}, 'I am going to sue you')

    """

    def __init__(
        self,
        families: Specs,
        encoder_path: str | None = None,
        semantic: bool = True,
        others: Sequence[str] = (),
    ) -> None:
        self.specs = {name: as_spec(value) for name, value in families.items()}
        self.others = tuple(others)
        self.keywords = KeywordMatcher({n: list(s.keywords) for n, s in self.specs.items()})
        self.encoder = SentenceEncoder(encoder_path)
        self.semantic = semantic and any(s.examples for s in self.specs.values())
        self._matcher: SemanticMatcher | None = None
        calm_checked = [
            s.no_family_veto
            for s in self.specs.values()
            if s.veto_min_sentiment is not None and s.no_family_veto is not None
        ]
        #: The "no family" probability from which a sentence's sentiment matters (``_moods``).
        self._mood_from = min(calm_checked, default=None)
        described = repr((sorted(self.specs.items()), self.others)).encode()
        self.identity = hashlib.sha256(described).hexdigest()

    def matcher(self) -> SemanticMatcher | None:
        """The semantic matcher (its examples embedded on first use); None when switched off or failing."""
        if self.semantic and self._matcher is None:
            try:
                examples = tuple(
                    (
                        n,
                        FamilyExamples(
                            s.examples,
                            s.not_examples,
                            s.threshold,
                            s.min_similarity,
                            s.no_family_veto,
                            s.veto_min_sentiment,
                        ),
                    )
                    for n, s in sorted(self.specs.items())
                )
                self._matcher = _semantic_matcher(self.encoder.directory(), examples, self.others)
            except Exception:  # the encoder is missing or broken: keywords still decide
                log.exception("semantic trigger matching is off: the encoder could not be loaded")
                self.semantic = False
        return self._matcher

    def find_many(self, tickets: Sequence[Sequence[str]]) -> list[Found]:
        """What fires in each ticket, given its customer turns; all sentences embedded in one call.

        A ticket these families were asked about lately is answered from memory (``FOUND_MEMO``), or
        inside an ``embedding_cache`` block (training, evaluation) from disk (``feature_cache.remembered``).
        """
        matcher = self.matcher()
        scope = (self.identity, encoder_variant(self.encoder.directory()) if matcher else None)
        return remembered(
            FOUND_MEMO,
            [(*scope, tuple(texts)) for texts in tickets],
            lambda key: json.dumps(list(key[2]), ensure_ascii=False),
            "found",
            lambda: repr(scope),
            lambda rows: self._find([tickets[r] for r in rows], matcher),
            (Found.to_bytes, Found.from_bytes),
        )

    def _find(self, tickets: Sequence[Sequence[str]], matcher: SemanticMatcher | None) -> list[Found]:
        """``find_many`` without the memory."""
        found = [Found(keywords=self.keywords.find("\n".join(texts))) for texts in tickets]
        if matcher is None:
            return found
        contexts = [units_in_context(texts) for texts in tickets]
        sentences = [units for units, _ in contexts]
        flat = [s for group in sentences for s in group]
        vectors = self.encoder(flat) if flat else np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        scores, every = matcher.scores(vectors, flat), matcher.similarities(vectors)  # the batch at once
        start = 0
        for item, (group, parents) in zip(found, contexts, strict=True):
            rows = slice(start, start + len(group))
            item.sentences, item.vectors = group, vectors[rows]
            start += len(group)
            quiet = matcher.quiet(scores[rows])  # per unit: the clauses, veto, no_family
            whole = [i for i, parent in enumerate(parents) if parent == i]
            mood = self._moods(group, quiet, parents)
            matches = matcher.matches(item.vectors, scores[rows], quiet[parents], every[rows], mood)
            item.semantic = matcher.hits(group, item.vectors, matches)
            item.similarity = {n: m.score for n, m in matches.items()}
            item.no_family = float(quiet[whole].min()) if whole else 0.0
            self._veto_keywords(item, quiet, scores[rows], whole, matcher.names, mood)
        return found

    def _moods(self, units: Sequence[str], quiet: np.ndarray, parents: Sequence[int]) -> np.ndarray | None:
        """Per unit, the sentiment of its whole sentence, where it matters: None when no family asks.

        Only a sentence that could veto (reads as no family at least as surely as the lowest
        ``no_family_veto``) is scored; the others get 1.0 (calm), which changes nothing for them.
        """
        if self._mood_from is None:
            return None
        mood = np.ones(len(units), dtype=np.float32)
        for i in {p for p in parents if quiet[p] >= self._mood_from}:
            mood[i] = message_sentiment(units[i])
        return mood[list(parents)]

    def _veto_keywords(
        self,
        item: Found,
        quiet: np.ndarray,
        scores: np.ndarray,
        whole: Sequence[int],
        names: Sequence[str],
        mood: np.ndarray | None = None,
    ) -> None:
        """Drop a family's keyword hits when no sentence holding them means what the family means.

        "I'm a trainee lawyer and need a laptop bag" holds ``lawyer``; its meaning is an everyday
        question. "I'm a nurse doing nights at the hospital" holds ``hospital`` and reads as no
        family only half surely, but nothing in it is a safety matter. A family keeps its keyword hits
        only when at least one whole sentence (``whole``: their positions among the units) holding
        one reads as no family (``quiet``, per unit) less surely than its ``no_family_veto`` (or is
        angrier than its ``veto_min_sentiment``: ``mood``, per unit, from ``_moods``) and has
        at least its ``keyword_min_score`` as the family's own score (``scores``, per unit, one column
        per family in ``names``). A phrase that spans sentences is kept.
        """
        checked = {n: self.specs[n] for n in item.keywords if n in names and _confirms(self.specs[n])}
        if not checked:
            return
        holding = {i: self.keywords.find(item.sentences[i]) for i in whole}  # each sentence read once
        for name, spec in checked.items():
            rows = [i for i in whole if name in holding[i]]
            if not rows:
                continue
            meant = scores[rows, list(names).index(name)] >= spec.keyword_min_score
            if spec.no_family_veto is not None:
                sentences_mood = None if mood is None else mood[rows]
                meant &= ~vetoing(quiet[rows], sentences_mood, spec.no_family_veto, spec.veto_min_sentiment)
            if not meant.any():
                item.vetoed[name] = item.keywords.pop(name)


def _confirms(spec: TriggerSpec) -> bool:
    """Whether a family's keyword hits must be confirmed by their sentences' meaning."""
    return spec.no_family_veto is not None or spec.keyword_min_score > 0


@lru_cache(maxsize=8)
def _semantic_matcher(
    directory: str, families: tuple[tuple[str, FamilyExamples], ...], others: tuple[str, ...]
) -> SemanticMatcher:
    """One fitted matcher per encoder directory and families.

    The model's trigger step and the policy engine of a service (or every engine a test builds) share
    it instead of each fitting the same classifier.
    """
    return SemanticMatcher(dict(families), SentenceEncoder(directory), others)


class TriggerSignals(TransformerMixin, BaseEstimator):
    """Trigger families in the customer's turns, as model features.

    Per family: how many of its keywords matched in a sentence that reads as something of a family
    (hits the ``no_family_veto`` dropped do not count: a model trained on a history where the
    family's words nearly always meant trouble would otherwise escalate "my solicitor asked me for a
    copy of my statement" on the word alone), and (for a family with examples) the best family score
    of a customer sentence; then how many distinct families fired.

    Args:
        families: Specs or keyword lists by family; normally ``Policy.trigger_specs()`` at training
            time. They are stored with the fitted model, examples embedded, so scoring uses the
            families it learned from.
        encoder_path: Encoder directory (serving points it at the copy inside the logged model).
        others: Messages of no family, the alternative class (normally ``Policy.other_examples``).

    Example:
        >>> t = TriggerSignals({"refund": ["refund"]}).fit(None)
        >>> t.get_feature_names_out().tolist()
        ['trigger_refund', 'trigger_families_fired']

    """

    def __init__(
        self, families: Specs | None = None, encoder_path: str | None = None, others: Sequence[str] = ()
    ) -> None:
        self.families = families
        self.encoder_path = encoder_path
        self.others = others

    def fit(self, X: pd.Series | None, y: object = None) -> TriggerSignals:
        """Fix the family order and the specs; nothing is learned from the data."""
        self.families_ = {name: as_spec(value) for name, value in (self.families or {}).items()}
        self.names_ = sorted(self.families_)
        self.semantic_names_ = [n for n in self.names_ if self.families_[n].examples]
        self.count_fired_ = True
        return self

    def finder(self) -> TriggerFinder:
        """The matcher for these families (rebuilt lazily after unpickling or a new encoder path)."""
        cached = self.__dict__.get("_finder")
        if cached is None or cached.encoder.path != self.encoder_path:
            cached = TriggerFinder(
                self.families_,
                self.encoder_path,
                semantic=bool(self._semantic_names()),
                others=getattr(self, "others", ()),
            )
            self.__dict__["_finder"] = cached
        return cached

    def transform(self, X: pd.Series) -> np.ndarray:
        """One row per ticket: keyword counts, similarities, families fired."""
        found = self.finder().find_many([customer_texts(m) for m in messages_column(X)])
        semantic, fired = self._semantic_names(), getattr(self, "count_fired_", False)
        rows = np.zeros((len(found), len(self.names_) + len(semantic) + int(fired)), dtype=float)
        for i, item in enumerate(found):
            counts = [len(item.keywords.get(n, ())) for n in self.names_]
            sims = [item.similarity.get(n, 0.0) for n in semantic]
            rows[i] = [*counts, *sims, *([len(item.families)] if fired else [])]
        return rows

    def _semantic_names(self) -> list[str]:
        """Families with examples (none in a model fitted before semantic matching existed)."""
        return list(getattr(self, "semantic_names_", []))

    def __getstate__(self) -> dict:
        """Pickle without the matcher (it holds an encoder session); it is rebuilt on first use."""
        state = super().__getstate__()
        state.pop("_finder", None)
        return state

    def __setstate__(self, state: dict) -> None:
        """Read older models too, whose families are bare keyword lists."""
        state.pop("matcher_", None)
        state.setdefault("encoder_path", None)
        state.setdefault("others", ())
        super().__setstate__(state)
        if hasattr(self, "families_"):
            self.families_ = {name: as_spec(value) for name, value in self.families_.items()}

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``trigger_<family>``, ``trigger_<family>_similarity`` (families with examples), then the count."""
        names = [f"trigger_{n}" for n in self.names_]
        names += [f"trigger_{n}_similarity" for n in self._semantic_names()]
        fired = ["trigger_families_fired"] if getattr(self, "count_fired_", False) else []
        return np.asarray([*names, *fired], dtype=object)
