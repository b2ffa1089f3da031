"""The TF-IDF baseline of the routes check, tuned honestly: on a validation split of the training file.

A baseline with default settings flatters whatever it is compared with. ``tune_tfidf`` searches the
settings that matter for a TF-IDF + logistic-regression text classifier — the inverse regularisation
``C``, word 1-grams or 1-2 grams, and sub-linear term frequency — by macro-F1 on a stratified share of
the *training* rows held out from fitting, then refits the best on every training row. The test file
is never seen while tuning.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

#: The baseline's search grid (``C`` × longest n-gram × sub-linear tf): 20 settings.
TFIDF_GRID: dict[str, tuple[Any, ...]] = {
    "C": (1.0, 3.0, 10.0, 30.0, 100.0),
    "ngram_max": (1, 2),
    "sublinear_tf": (True, False),
}


@dataclass
class Tuned:
    """The chosen settings, the validation macro-F1 of every setting tried, and the refitted model."""

    best: dict[str, Any]
    scores: list[dict[str, Any]] = field(default_factory=list)
    model: Any = None


def tfidf_model(C: float = 1.0, ngram_max: int = 2, sublinear_tf: bool = True) -> Any:
    """TF-IDF of word n-grams (min_df 2) + multinomial logistic regression.

    Example:
        >>> tfidf_model(C=3.0, ngram_max=1)[1].C
        3.0

    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    vectorizer = TfidfVectorizer(ngram_range=(1, ngram_max), sublinear_tf=sublinear_tf, min_df=2)
    return make_pipeline(vectorizer, LogisticRegression(C=C, max_iter=3000))


def tune_tfidf(
    texts: Sequence[str],
    labels: Sequence[str],
    seed: int = 0,
    validation: float = 0.2,
    grid: dict[str, tuple[Any, ...]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Tuned:
    """Choose the baseline's settings by validation macro-F1 on training rows; refit it on all of them.

    Each (n-gram, sub-linear) vocabulary is built once on the fitting share; the settings are fitted
    in parallel, each from scratch.

    Example:
        >>> texts = ["mortgage escrow late", "debt collector calls", "mortgage payment", "collector debt"] * 5
        >>> tuned = tune_tfidf(texts, ["home", "debt"] * 10, grid={"C": (1.0,), "ngram_max": (1,),
        ...                    "sublinear_tf": (True,)})
        >>> tuned.best, tuned.model.predict(["my mortgage"]).tolist()
        ({'C': 1.0, 'ngram_max': 1, 'sublinear_tf': True}, ['home'])

    """
    from joblib import Parallel, delayed
    from sklearn.model_selection import train_test_split

    grid = grid or TFIDF_GRID
    fit_x, val_x, fit_y, val_y = train_test_split(
        list(texts), list(labels), test_size=validation, random_state=seed, stratify=list(labels)
    )
    vocabularies = []
    for ngram_max, sublinear in product(grid["ngram_max"], grid["sublinear_tf"]):
        vectorizer = tfidf_model(1.0, ngram_max, sublinear)[0].fit(fit_x)
        vocabularies.append((ngram_max, sublinear, vectorizer.transform(fit_x), vectorizer.transform(val_x)))
    settings = [(v, C) for v in vocabularies for C in grid["C"]]
    f1s = Parallel(n_jobs=-1)(
        delayed(_validation_f1)(X_fit, fit_y, X_val, val_y, C) for (_, _, X_fit, X_val), C in settings
    )
    tuned = Tuned(best={})
    best_f1 = -1.0
    for ((ngram_max, sublinear, _, _), C), f1 in zip(settings, f1s, strict=True):
        setting = {"C": float(C), "ngram_max": int(ngram_max), "sublinear_tf": bool(sublinear)}
        tuned.scores.append({**setting, "validation_macro_f1": round(f1, 4)})
        if progress:
            progress(f"tfidf: {setting} validation macro-F1 {f1:.3f}")
        if f1 > best_f1:
            best_f1, tuned.best = f1, setting
    tuned.model = tfidf_model(**tuned.best).fit(list(texts), list(labels))
    return tuned


def _validation_f1(X_fit: Any, fit_y: list[str], X_val: Any, val_y: list[str], C: float) -> float:
    """Macro-F1 on the validation rows of the baseline's classifier fitted with ``C``."""
    from sklearn.metrics import f1_score

    head = tfidf_model(C=C)[1].fit(X_fit, fit_y)
    return float(f1_score(val_y, head.predict(X_val), average="macro"))
