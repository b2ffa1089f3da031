"""Word evidence: cross-fitted TF-IDF scores of the customer's words, for escalation and for routes.

Sentence embeddings capture what a message means; exact words and phrases ("small claims", "third
time", "chargeback") carry evidence of their own. A TF-IDF + logistic-regression model of the
customer's turns is fitted inside the pipeline and its score becomes one feature next to the
embedding. Like scikit-learn's ``TargetEncoder``, ``fit_transform`` returns *cross-fitted* scores
(each training ticket scored by a model that did not see it), so the classifier downstream does not
learn to trust an over-fitted score; ``transform`` uses the model fitted on all the training data.
``RouteWordScores`` does the same for the route label: one log-probability per route, the word
evidence of the route head (routes are about what a complaint names: "mortgage", "debt collector").

The fitted vocabulary is stored with the model, so it must hold language, not customers: a term enters
it only when at least ``MIN_CUSTOMERS`` different customers used it (``shared_terms``). A customer's
name, e-mail address, phone or card number is written by that customer alone, however many tickets
they open; the words of complaints are written by many.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from ticketbuddy.features.conversation import customer_texts, messages_column, parse_turns
from ticketbuddy.features.folds import fold_jobs

#: Words of two or more letters: order numbers, amounts and dates are slots, not evidence, and a model
#: that learned them would change its answer when an order number changes.
LETTER_WORDS = r"(?u)\b[^\W\d_]{2,}\b"
#: scikit-learn's own token pattern (words of two or more letters or digits).
ANY_WORDS = r"(?u)\b\w\w+\b"
#: Different customers who must have written a term before a word model may learn it.
MIN_CUSTOMERS = 3


def shared_terms(
    texts: list[str], owners: list[str] | None, min_owners: int, token_pattern: str, ngram_max: int,
    max_features: int | None = None,
) -> list[str]:  # fmt: skip
    """The terms (1 to ``ngram_max`` words) that at least ``min_owners`` different owners wrote.

    ``owners`` holds each text's customer id; a text without one (``""``) or ``owners`` None counts
    as an owner of its own. The most widely used ``max_features`` terms are kept.

    Example:
        >>> texts = ["refund please, Quentin here", "refund now", "a refund", "Quentin again"]
        >>> shared_terms(texts, ["c1", "c2", "c3", "c1"], 3, LETTER_WORDS, 1)
        ['refund']

    Raises:
        ValueError: No term is shared by that many owners (too little data for a word model).

    """
    keys = owners if owners is not None else [""] * len(texts)
    grouped: dict[str, list[str]] = {}
    for index, (text, owner) in enumerate(zip(texts, keys, strict=True)):
        grouped.setdefault(owner or f"\x00{index}", []).append(text)
    counter = CountVectorizer(
        ngram_range=(1, ngram_max), token_pattern=token_pattern, binary=True, min_df=min_owners,
        max_features=max_features,
    )  # fmt: skip
    try:
        counter.fit(["\n\n".join(group) for group in grouped.values()])
    except ValueError as exc:
        raise ValueError(f"no term is written by {min_owners} different customers: {exc}") from exc
    return sorted(counter.vocabulary_)


def owners_column(X: pd.Series | pd.DataFrame) -> list[str] | None:
    """The customer id of each row (the frame's second column, ``customer_id``), or None without one."""
    if isinstance(X, pd.DataFrame) and X.shape[1] > 1:
        return [str(v) if isinstance(v, str) else "" for v in X.iloc[:, 1]]
    return None


def word_model(vocabulary: list[str], token_pattern: str, ngram_max: int, model: object) -> Pipeline:
    """Counts of the vocabulary's terms (1 to ``ngram_max`` words), their sub-linear TF-IDF, ``model``."""
    counts = CountVectorizer(ngram_range=(1, ngram_max), token_pattern=token_pattern, vocabulary=vocabulary)
    return Pipeline([("counts", counts), ("tfidf", TfidfTransformer(sublinear_tf=True)), ("model", model)])


def cross_fitted(
    pipeline: Pipeline, texts: list[str], labels: np.ndarray, folds: StratifiedKFold, method: str
) -> np.ndarray:
    """Fit a ``word_model`` on all texts and return its out-of-fold scores, tokenising each text once.

    The vocabulary is fixed before the folds, so a text's counts are the same in every fold: they are
    computed once, and each fold fits only the TF-IDF weights (its own idf) and the model on its
    rows. The scores equal those of cross-validating the whole pipeline on the texts
    (``tests/code/test_word_score.py``), for a sixth of the tokenising.
    """
    (_, counter), *rest = pipeline.steps
    counts = counter.fit_transform(texts)
    weighted = Pipeline(rest)  # the same step objects: fitting it fits ``pipeline``
    scores = cross_val_predict(clone(weighted), counts, labels, cv=folds, method=method, n_jobs=fold_jobs())
    weighted.fit(counts, labels)
    return np.asarray(scores)


class WordScore(TransformerMixin, BaseEstimator):
    """Cross-fitted TF-IDF + logistic-regression log-odds of escalation from the customer's words.

    Input is the ``messages`` column, optionally followed by ``customer_id``: the vocabulary is the
    terms ``min_customers`` different customers wrote (``shared_terms``), at least two tickets each.

    Args:
        max_features: Vocabulary size (word 1-2 grams, sub-linear term frequency).
        C: Inverse regularisation of the logistic regression.
        min_customers: Different customers (rows without an id count apart) a term needs.
        cv: Folds for the cross-fitted training scores.
        random_state: Seed of the fold split.

    Attributes:
        model_: TF-IDF + logistic regression fitted on all training tickets.

    Example:
        >>> import pandas as pd
        >>> from ticketbuddy.features.conversation import Turn
        >>> texts = ["refund now", "thanks a lot", "where is my refund", "great service"] * 2
        >>> X = pd.Series([[Turn("customer", t)] for t in texts])
        >>> WordScore(cv=2).fit_transform(X, [1, 0, 1, 0] * 2).shape
        (8, 1)

    """

    def __init__(
        self, max_features: int = 50_000, C: float = 1.0, cv: int = 5, random_state: int = 0,
        min_customers: int = MIN_CUSTOMERS,
    ) -> None:  # fmt: skip
        self.max_features = max_features
        self.C = C
        self.cv = cv
        self.random_state = random_state
        self.min_customers = min_customers

    def _model(self, X: pd.Series | pd.DataFrame, texts: list[str]) -> Pipeline:
        regression = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000)
        return word_model(self._vocabulary(X, texts), ANY_WORDS, 2, regression)

    def _vocabulary(self, X: pd.Series | pd.DataFrame, texts: list[str]) -> list[str]:
        return shared_terms(
            texts, owners_column(X), max(2, self.min_customers), ANY_WORDS, 2, self.max_features
        )

    @staticmethod
    def _texts(X: pd.Series | pd.DataFrame) -> list[str]:
        return ["\n".join(customer_texts(turns)) for turns in messages_column(X)]

    def fit(self, X: pd.Series, y: np.ndarray) -> WordScore:
        """Fit TF-IDF and the logistic regression on all training tickets."""
        if y is None:
            raise ValueError("WordScore learns from labels: fit it with y")
        texts = self._texts(X)
        self.model_ = self._model(X, texts).fit(texts, np.asarray(y, dtype=int))
        return self

    def fit_transform(self, X: pd.Series, y: np.ndarray | None = None, **fit_params: object) -> np.ndarray:
        """Fit on all tickets, but return cross-fitted scores for the training tickets themselves."""
        if y is None:
            raise ValueError("WordScore learns from labels: fit it with y")
        texts = self._texts(X)
        labels = np.asarray(y, dtype=int)
        folds = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
        self.model_ = self._model(X, texts)
        scores = cross_fitted(self.model_, texts, labels, folds, "decision_function")
        return np.asarray(scores, dtype=float).reshape(-1, 1)

    def transform(self, X: pd.Series) -> np.ndarray:
        """Log-odds of the model fitted on all training tickets."""
        return self.model_.decision_function(self._texts(X)).reshape(-1, 1)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """A single feature, ``word_score``."""
        return np.asarray(["word_score"], dtype=object)


class RouteWordScores(TransformerMixin, BaseEstimator):
    """Cross-fitted TF-IDF word scores of each route: a linear SVM's margins, or log-probabilities.

    Args:
        C: Inverse regularisation of the word model (word evidence for routes is strong and specific,
            so it wants much less regularisation than the escalation score).
        ngram_max: Longest word n-gram (1 = words, 2 = words and pairs).
        min_df: Tickets a term must appear in to enter the vocabulary.
        cv: Folds for the cross-fitted training scores (fewer for routes with fewer tickets).
        random_state: Seed of the fold split.
        min_customers: Different customers a term needs (``shared_terms``).
        model: ``logreg`` (multinomial logistic regression: its log-probability of each route) or
            ``svc`` (one-vs-rest linear SVM: its margin for each route). On the CFPB routing training
            file the SVM's margins made the better evidence for the route head (cross-validated
            macro-F1 0.785 against 0.782), and they fit about four times faster.

    Input is the ``messages`` column (parsed turns or the JSON the model's input frame carries),
    optionally followed by ``customer_id``: a term needs ``min_customers`` different customers and
    ``min_df`` tickets to enter the vocabulary (``shared_terms``).

    Attributes:
        model_: TF-IDF + the word model, fitted on all training tickets.
        classes_: The routes, in the order of the output columns.

    Example:
        >>> import pandas as pd
        >>> from ticketbuddy.features.conversation import Turn
        >>> texts = ["my mortgage escrow", "debt collector calls", "mortgage payment", "collector again"]
        >>> X = pd.Series([[Turn("customer", t)] for t in texts * 3])
        >>> scores = RouteWordScores(cv=2).fit_transform(X, ["home", "debt"] * 6)
        >>> scores.shape, RouteWordScores(cv=2).fit(X, ["home", "debt"] * 6).classes_.tolist()
        ((12, 2), ['debt', 'home'])

    """

    def __init__(
        self, C: float = 10.0, ngram_max: int = 2, min_df: int = 2, cv: int = 5, random_state: int = 0,
        min_customers: int = MIN_CUSTOMERS, model: str = "logreg",
    ) -> None:  # fmt: skip
        self.model = model
        self.C = C
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.cv = cv
        self.random_state = random_state
        self.min_customers = min_customers

    def _model(self, X: pd.Series | pd.DataFrame, texts: list[str]) -> Pipeline:
        """TF-IDF over the shared terms of ``texts``, then the word model."""
        if self.model not in WORD_MODELS:
            raise ValueError(f"model must be one of {sorted(WORD_MODELS)}, not {self.model!r}")
        least = max(self.min_df, self.min_customers)
        vocabulary = shared_terms(texts, owners_column(X), least, LETTER_WORDS, self.ngram_max)
        return word_model(
            vocabulary, LETTER_WORDS, self.ngram_max, WORD_MODELS[self.model](self.C, self.random_state)
        )

    def _method(self) -> str:
        """How the word model scores (a model pickled before ``model`` existed is a logreg)."""
        return "decision_function" if getattr(self, "model", "logreg") == "svc" else "predict_proba"

    def _as_scores(self, raw: np.ndarray) -> np.ndarray:
        """One column per route: margins as they are, probabilities as floored logs."""
        if self._method() == "predict_proba":
            return _log(raw)
        raw = np.asarray(raw, dtype=float)
        return np.column_stack([-raw, raw]) if raw.ndim == 1 else raw

    @staticmethod
    def _texts(X: pd.Series | pd.DataFrame) -> list[str]:
        return ["\n".join(customer_texts(parse_turns(value))) for value in messages_column(X)]

    def fit(self, X: pd.Series, y: np.ndarray | list[str]) -> RouteWordScores:
        """Fit TF-IDF and the logistic regression on all training tickets."""
        if y is None:
            raise ValueError("RouteWordScores learns from route labels: fit it with y")
        texts = self._texts(X)
        self.model_ = self._model(X, texts).fit(texts, np.asarray(y))
        self.classes_ = self.model_.classes_
        return self

    def fit_transform(self, X: pd.Series, y: np.ndarray | None = None, **fit_params: object) -> np.ndarray:
        """Fit on all tickets, but return cross-fitted log-probabilities for the training tickets."""
        if y is None:
            raise ValueError("RouteWordScores learns from route labels: fit it with y")
        texts, labels = self._texts(X), np.asarray(y)
        smallest = int(np.unique(labels, return_counts=True)[1].min())
        folds = StratifiedKFold(max(2, min(self.cv, smallest)), shuffle=True, random_state=self.random_state)
        self.model_ = self._model(X, texts)
        raw = cross_fitted(self.model_, texts, labels, folds, self._method())
        self.classes_ = self.model_.classes_
        return self._as_scores(raw)

    def transform(self, X: pd.Series) -> np.ndarray:
        """Each route's score from the model fitted on all training tickets."""
        return self._as_scores(getattr(self.model_, self._method())(self._texts(X)))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """One feature per route, ``route_words_<route>``."""
        return np.asarray([f"route_words_{c}" for c in self.classes_], dtype=object)


#: The word models a route score can come from, by name, each built from its ``C`` and seed (the
#: SVM's coordinate descent visits the tickets in a random order: unseeded, two fits differ).
WORD_MODELS = {
    "logreg": lambda C, seed: LogisticRegression(C=C, max_iter=3000),
    "svc": lambda C, seed: LinearSVC(C=C, random_state=seed),
}


def _log(proba: np.ndarray) -> np.ndarray:
    """Log-probabilities, floored so a route the words rule out stays a finite number."""
    return np.log(np.clip(np.asarray(proba, dtype=float), 1e-6, 1.0))
