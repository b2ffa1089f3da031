"""Semantic trigger matching: a customer sentence fires a family when it says what its examples say.

Keywords catch "I will take legal action"; they miss "you'll be hearing from my legal team". Each
trigger family may list ``examples`` (short phrases of what such a message says) and ``not_examples``
(the same words in calm contexts). The examples train a small classifier over the sentence embeddings
(``SemanticMatcher``); a customer sentence (or a clause of a long one) fires the family when its family
score reaches the family's ``threshold``, and the evidence names the example nearest to it. The
encoder is the one the pipeline already runs; each sentence is embedded once per process
(``SentenceEncoder`` keeps the vectors), so the model's trigger features and the policy's rules on the
same ticket share one encoder call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ticketbuddy.features import embedding_cache
from ticketbuddy.features.encoder import (
    EMBEDDING_DIM,
    encoder_variant,
    ensure_encoder,
    load_onnx_encoder,
    progress,
)
from ticketbuddy.features.memo import InFlight, Memo, as_is
from ticketbuddy.features.sentence_classifier import SentenceClassifier

_SPLIT = re.compile(r"(?<=[.!?;])\s+|\s*\n+\s*|\s+(?:-|–|—)\s+")
#: Longest sentence, in words, compared as a whole; a run-on message is read in windows of this size.
MAX_SENTENCE_WORDS = 32
_CLAUSE = re.compile(
    r",\s*(?:and|but|so|or)?\s*|;\s*|\s+(?:but|because|otherwise|or else|so)\s+", re.IGNORECASE
)
_MIN_CLAUSE_SENTENCE = 8
#: Most sentences read per ticket (the latest ones): bounds the cost of a pasted essay.
MAX_SENTENCES = 64


def split_sentences(texts: Sequence[str]) -> list[str]:
    r"""The sentences of some messages, in order; run-ons read in overlapping windows of words.

    Example:
        >>> split_sentences(["Hi. My order is late!\nI want a person", "ok"])
        ['Hi.', 'My order is late!', 'I want a person', 'ok']

    """
    out: list[str] = []
    for text in texts:
        for part in _SPLIT.split(text.strip()):
            words = part.split()
            if not words:
                continue
            if len(words) <= MAX_SENTENCE_WORDS:
                out.append(" ".join(words))
                continue
            step = MAX_SENTENCE_WORDS // 2
            out += [" ".join(words[i : i + MAX_SENTENCE_WORDS]) for i in range(0, len(words) - step, step)]
    return out[-MAX_SENTENCES:]


def match_units(texts: Sequence[str]) -> list[str]:
    """What semantic matching compares with the examples: each sentence, and the clauses of a long one.

    A threat buried in a long sentence ("I waited three weeks, and if I don't hear back today my
    solicitor will be in touch") is closer to an example on its own than with the rest of the sentence.

    Example:
        >>> match_units(["I waited three weeks for this, and if nobody replies my solicitor will call"])[1:]
        ['I waited three weeks for this', 'if nobody replies my solicitor will call']

    """
    return units_in_context(texts)[0]


def units_in_context(texts: Sequence[str]) -> tuple[list[str], list[int]]:
    """``match_units``, and for each unit the position of the whole sentence it was cut from.

    A clause read alone loses its context ("I don't need a real person, just tell me the opening
    hours"): the matcher checks a clause's sentence too.

    Example:
        >>> units_in_context(["Thanks. I don't need a real person, just tell me your opening hours please"])
        (['Thanks.', "I don't need a real person, just tell me your opening hours please", \
"I don't need a real person", 'just tell me your opening hours please'], [0, 1, 1, 1])

    """
    units: dict[str, int] = {}
    for sentence in split_sentences(texts):
        parent = units.setdefault(sentence, len(units))
        if len(sentence.split()) > _MIN_CLAUSE_SENTENCE:
            for clause in (c.strip(" ,;") for c in _CLAUSE.split(sentence)):
                if len(clause.split()) >= 3 and clause != sentence and clause not in units:
                    units[clause] = parent
    return list(units), list(units.values())


class SentenceEncoder:
    """Unit-length embeddings of short texts, kept per process so a sentence is encoded once.

    Args:
        path: Encoder directory (the copy inside a logged model); None for the local default.

    The last 20,000 sentences (about 1.5 KB each) are kept in memory, by encoder variant. Inside an
    ``embedding_cache`` block (training, evaluation) misses also go through the disk cache.

    """

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._default: str | None = None

    def directory(self) -> str:
        """The encoder directory in use (exported on first use when it is the local default)."""
        if self.path:
            return self.path
        if self._default is None:
            self._default = str(ensure_encoder())
        return self._default

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """One vector per text, in order."""
        directory = self.directory()
        variant = encoder_variant(directory)
        kept = {t: _VECTORS.get((variant, t)) for t in dict.fromkeys(texts)}
        found = {t: v for t, v in kept.items() if v is not None}
        missing = [t for t in kept if t not in found]
        if missing:
            found.update(self._missing(variant, missing))
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        return np.vstack([found[t] for t in texts]).astype(np.float32)

    def _missing(self, variant: str, texts: list[str]) -> dict[str, np.ndarray]:
        """Vectors of texts not kept: encoded here, or by the thread already encoding them (waited for)."""
        mine, theirs = _IN_FLIGHT.claim([(variant, text) for text in texts])
        try:
            fresh = self._kept_encode(variant, [text for _, text in mine])
        finally:
            _IN_FLIGHT.release(mine)
        for event in theirs:
            event.wait()
        waited = {t: _VECTORS.get((variant, t)) for t in texts if t not in fresh}
        found = {t: v for t, v in waited.items() if v is not None}
        lost = [t for t in waited if t not in found]  # their call failed, or they were evicted since
        return {**fresh, **found, **self._kept_encode(variant, lost)}

    def _kept_encode(self, variant: str, texts: list[str]) -> dict[str, np.ndarray]:
        """Encode ``texts`` (through the disk cache when one is active) and keep their vectors."""
        if not texts:
            return {}
        cache = embedding_cache.active()
        fresh = cache.encode(variant, texts, self._encode) if cache else self._encode(texts)
        for text, vector in zip(texts, fresh, strict=True):
            _VECTORS.put((variant, text), vector)
        return dict(zip(texts, fresh, strict=True))

    def _encode(self, texts: list[str]) -> np.ndarray:
        encoder = load_onnx_encoder(self.directory())
        steps = range(0, len(texts), 1024)
        parts = [encoder.encode(texts[i : i + 1024], 64) for i in progress(steps, len(texts), "sentences")]
        return np.concatenate(parts)

    @staticmethod
    def forget() -> None:
        """Drop every kept vector, and every memo of what was found with them (``Memo.forget_all``).

        Benchmarks call it so that each ticket pays for its own sentences.
        """
        Memo.forget_all()

    @staticmethod
    def kept() -> dict[tuple[str, str], np.ndarray]:
        """The kept vectors, for ``restore`` (tests that must not disturb later ones)."""
        return _VECTORS.snapshot()

    @staticmethod
    def restore(kept: Mapping[tuple[str, str], np.ndarray]) -> None:
        """Forget everything, then keep exactly ``kept`` (from ``kept()``) again."""
        Memo.forget_all()
        _VECTORS.restore(kept)


#: Sentence vectors by (encoder variant, text), shared by every ``SentenceEncoder`` of the process.
_VECTORS: Memo[tuple[str, str], np.ndarray] = Memo(20_000, as_is)
#: Sentences some thread of the process is encoding now (``InFlight``).
_IN_FLIGHT: InFlight[tuple[str, str]] = InFlight()


@dataclass(frozen=True)
class FamilyExamples:
    """What a family's messages say (``examples``), its calm look-alikes, and the score that fires it."""

    examples: tuple[str, ...]
    not_examples: tuple[str, ...] = ()
    threshold: float = 0.5
    min_similarity: float = 0.35
    no_family_veto: float | None = None
    veto_min_sentiment: float | None = None


def vetoing(quiet: np.ndarray, mood: np.ndarray | None, veto: float, calm_at: float | None) -> np.ndarray:
    """Which sentences veto a family: they read as no family at least ``veto`` surely and are calm.

    ``quiet``: each sentence's "no family" probability; ``mood``: its sentiment (None: not scored);
    ``calm_at``: the family's ``veto_min_sentiment`` (None: every sentence is calm enough). Plain
    anger reads as no family too, but is no calm context for what its clauses ask for.

    Example:
        >>> vetoing(np.array([0.9, 0.9, 0.2]), np.array([0.1, -0.8, 0.1]), 0.7, -0.5).tolist()
        [True, False, False]

    """
    out = quiet >= veto
    if calm_at is not None and mood is not None:
        out &= mood >= calm_at
    return out


@dataclass(frozen=True)
class Match:
    """The best sentence of a ticket for one family: its score, and the example nearest to it."""

    score: float
    sentence: int
    example: int
    similarity: float


@dataclass(frozen=True)
class SemanticHit:
    """The evidence of a semantic match: the customer's sentence, the example it resembled, how much."""

    sentence: str
    example: str
    similarity: float
    score: float = 1.0

    def describe(self) -> str:
        """One line for a reason: the sentence, the nearest example, similarity and score."""
        return (
            f"{self.sentence!r} resembles {self.example!r}"
            f" (similarity {self.similarity:.2f}, family score {self.score:.2f})"
        )


class SemanticMatcher:
    """Scores how much each sentence says what a family's examples say.

    Raw nearest-example similarity of a small encoder separates paraphrases from calm look-alikes
    poorly (a threat and a polite question share many words), so the examples train a small
    classifier on the sentences' embeddings and words (``SentenceClassifier``): every family's
    examples are a class, and the sentences of no family (``others``, and
    every family's ``not_examples``) one more. A sentence's **family score** is that classifier's probability
    for the family, counted only when the sentence is at least ``min_similarity`` (cosine) close to
    one of the family's examples, so a sentence unlike them all is never pushed into the nearest
    family; it fires the family at or above the family's ``threshold``. The evidence names
    the example nearest to the sentence, with its cosine similarity.

    Args:
        families: Examples by family; families without examples are skipped.
        encoder: Embeds the examples (once, here) and, later, the sentences.
        others: Messages of no family (everyday questions, thanks, plain dissatisfaction), shared by
            all families, with every family's ``not_examples``, as the class "no family".
        regularisation: Inverse L2 strength of the classifier (``C``).
        words: Weight of the sentence's words beside its embedding (``SentenceClassifier``).

    Example:
        >>> m = SemanticMatcher({"human": FamilyExamples(("let me talk to a real person",
        ...     "I want to speak to an agent"), ("what are your opening hours",))}, SentenceEncoder())
        >>> hit = m.find(["Thanks.", "Could I chat with an actual human being?"])["human"]
        >>> hit.sentence, hit.example
        ('Could I chat with an actual human being?', 'let me talk to a real person')

    """

    def __init__(
        self,
        families: Mapping[str, FamilyExamples],
        encoder: SentenceEncoder,
        others: Sequence[str] = (),
        regularisation: float = 10.0,
        words: float = 1.0,
    ) -> None:
        self.encoder = encoder
        self.families = {n: f for n, f in families.items() if f.examples}
        self.names = sorted(self.families)
        self._examples = {n: encoder(list(self.families[n].examples)) for n in self.names}
        self._all_examples, self._spans = _stacked(self._examples, self.names)
        calm = (e for n in self.names for e in self.families[n].not_examples)
        quiet = list(dict.fromkeys([*others, *calm]))
        groups = [list(self.families[n].examples) for n in self.names] + ([quiet] if quiet else [])
        blocks = [self._examples[n] for n in self.names] + ([encoder(quiet)] if quiet else [])
        self._classifier: SentenceClassifier | None = None
        if len(groups) >= 2:  # one class per family, then "no family"
            labels = np.concatenate([np.full(len(b), i) for i, b in enumerate(blocks)])
            texts = [t for group in groups for t in group]
            self._classifier = SentenceClassifier(regularisation, words).fit(np.vstack(blocks), texts, labels)

    def scores(self, vectors: np.ndarray, sentences: Sequence[str]) -> np.ndarray:
        """Family scores, one row per sentence (its vector and its text), one column per family."""
        if self._classifier is None:  # one family and no other class: nearest-example similarity
            return np.column_stack([(vectors @ self._examples[n].T).max(axis=1) for n in self.names])
        return self._classifier.probabilities(vectors, sentences)[:, : len(self.names)]

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine similarity of each sentence to every family's examples (one product for all)."""
        return vectors @ self._all_examples.T

    def quiet(self, scores: np.ndarray) -> np.ndarray:
        """Per sentence, the classifier's probability of "no family" (0 when it has no such class).

        ``scores``: the sentences' ``scores`` (computed once, for many tickets at once).
        """
        if self._classifier is None or len(self._classifier.classes_) == len(self.names):
            return np.zeros(len(scores), dtype=np.float32)
        return 1.0 - scores.sum(axis=1)

    def matches(
        self,
        vectors: np.ndarray,
        scores: np.ndarray,
        context: np.ndarray | None = None,
        every: np.ndarray | None = None,
        mood: np.ndarray | None = None,
    ) -> dict[str, Match]:
        """Per family, the best-scoring sentence and the example nearest to it (-1: no sentences).

        ``context``: per unit, the ``quiet`` of the whole sentence it belongs to (``units_in_context``
        gives the sentence); a unit is not scored for a family with a ``no_family_veto`` when its
        sentence reads as no family at least that surely (a clause read alone loses its context).
        ``scores``: the sentences' ``scores``; ``every``: their ``similarities`` when already computed
        (``TriggerFinder`` computes both for a whole batch of tickets at once). ``mood``: per unit,
        its sentence's sentiment; a sentence angrier than the family's ``veto_min_sentiment`` does
        not veto (plain anger reads as no family too, but is no calm context).
        """
        if len(vectors) == 0 or not self.names:
            return {n: Match(0.0, -1, -1, 0.0) for n in self.names}
        every = self.similarities(vectors) if every is None else every
        out = {}
        for j, name in enumerate(self.names):
            family = self.families[name]
            sims = every[:, self._spans[name]]
            nearest = sims.max(axis=1)
            allowed = nearest >= family.min_similarity
            if context is not None and family.no_family_veto is not None:
                allowed &= ~vetoing(context, mood, family.no_family_veto, family.veto_min_sentiment)
            close = np.where(allowed, scores[:, j], 0.0)
            sentence = int(close.argmax())
            example = int(sims[sentence].argmax())
            out[name] = Match(float(close[sentence]), sentence, example, float(nearest[sentence]))
        return out

    def hits(
        self, sentences: Sequence[str], vectors: np.ndarray, matches: Mapping[str, Match] | None = None
    ) -> dict[str, SemanticHit]:
        """The families fired by these sentences (with their vectors, or their ``matches``), with evidence."""
        fired = {}
        if matches is None:
            matches = self.matches(vectors, self.scores(vectors, sentences))
        for name, match in matches.items():
            family = self.families[name]
            if match.sentence >= 0 and match.score >= family.threshold:
                fired[name] = SemanticHit(
                    sentences[match.sentence],
                    family.examples[match.example],
                    round(match.similarity, 3),
                    round(match.score, 3),
                )
        return fired

    def find(self, sentences: Sequence[str]) -> dict[str, SemanticHit]:
        """The families fired by ``sentences``, embedding them first."""
        return self.hits(sentences, self.encoder(list(sentences)))


def _stacked(examples: Mapping[str, np.ndarray], names: Sequence[str]) -> tuple[np.ndarray, dict[str, slice]]:
    """The families' example vectors in one matrix, and each family's rows in it."""
    spans, start = {}, 0
    for name in names:
        spans[name] = slice(start, start + len(examples[name]))
        start += len(examples[name])
    rows = [examples[n] for n in names]
    return (np.vstack(rows) if rows else np.zeros((0, EMBEDDING_DIM), dtype=np.float32)), spans
