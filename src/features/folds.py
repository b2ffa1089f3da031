"""Cross-validation folds on every core, with a model that does not depend on how many there are.

Most of a retrain's fitting is cross-validation: the word models' out-of-fold scores, the escalation
head's calibration, the route head's choice of features, the TF-IDF baseline. The folds are
independent, so inside ``parallel_folds`` each of those calls runs them in ``fold_jobs()`` worker
processes (joblib's ``loky``). Nothing else is spread out: the feature pipeline, which reads the
training-time embedding cache, stays in this process. Every fit, in a worker or not, runs numpy's
BLAS on one thread: a BLAS pool sized to the machine changes the last bits of a sum with the core
count, and a retrain on another machine would not give the same model
(``tests/model/test_training_cores.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from joblib import parallel_config
from threadpoolctl import threadpool_limits

from ticketbuddy.settings import TrainingSettings

_JOBS: ContextVar[int] = ContextVar("fold_jobs", default=1)


def fold_jobs() -> int:
    """Processes for cross-validation folds here: 1 outside ``parallel_folds`` (and in its workers)."""
    return _JOBS.get()


@contextmanager
def parallel_folds(settings: TrainingSettings | None = None) -> Iterator[int]:
    """Inside the block, ``fold_jobs()`` processes run the folds and BLAS has one thread; yields the number.

    Example:
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.model_selection import cross_val_predict
        >>> X, y = make_classification(n_samples=200, random_state=0)
        >>> with parallel_folds(TrainingSettings(train_jobs=2, _env_file=None)) as jobs:
        ...     p = cross_val_predict(LogisticRegression(), X, y, cv=4, n_jobs=fold_jobs())
        >>> jobs, fold_jobs(), p.shape
        (2, 1, (200,))

    """
    jobs = (settings or TrainingSettings()).jobs()
    token = _JOBS.set(jobs)
    try:
        with threadpool_limits(1, user_api="blas"), parallel_config("loky", inner_max_num_threads=1):
            yield jobs
    finally:
        _JOBS.reset(token)
