"""The fitted feature Pipeline compiled to plain functions: the lean path that scores one ticket fast.

``Pipeline.transform`` on a one-row frame spends most of its time on plumbing, not features: the
ticket is flattened to a DataFrame and parsed back, the ``ColumnTransformer`` indexes pandas columns,
validates every block and runs each transformer through joblib, and each scikit-learn step checks its
input again. Measured on one ticket that was about half of the model's time; the encoder, the real
work, is the other half.

``compile_features`` walks the *fitted* pipeline once and returns a function from tickets to the
same feature matrix: column positions are fixed at that moment, scalers, imputers and one-hot encoders
become numpy arithmetic on their fitted attributes, and TicketBuddy's own transformers are called
directly on the parsed turns. Nothing is refitted or re-implemented beyond those three standard
steps, whose arithmetic is mirrored operation for operation so the matrix is the same to the last bit
(``tests/model/test_lean_path.py`` holds it to 1e-12 against ``Pipeline.transform``). A step it does
not know is called through its own ``transform``: slower, never different.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from ticketbuddy.features.conversation import ParsedTickets, TicketParser

Step = Callable[[Any], np.ndarray]


def compile_features(features: Pipeline) -> Callable[[ParsedTickets], np.ndarray]:
    """The fitted ``parse -> ColumnTransformer`` pipeline as one function of parsed tickets.

    Raises:
        ValueError: The pipeline is not the shape ``build_features`` makes (a parse step, then a
            fitted ``ColumnTransformer``), so it cannot be compiled; callers keep ``transform``.

    """
    steps = dict(features.steps)
    columns = steps.get("features")
    if list(steps) != ["parse", "features"] or not isinstance(steps["parse"], TicketParser):
        raise ValueError("not a TicketBuddy feature pipeline: expected the steps parse, features")
    if not isinstance(columns, ColumnTransformer) or not hasattr(columns, "transformers_"):
        raise ValueError("the feature step is not a fitted ColumnTransformer")
    blocks = _column_blocks(columns)

    def transform(parsed: ParsedTickets) -> np.ndarray:
        return _hstack([step(_select(parsed, selected)) for step, selected in blocks], len(parsed))

    return transform


def _column_blocks(columns: ColumnTransformer) -> list[tuple[Step, Any]]:
    """Each output block of a fitted ColumnTransformer: its compiled step and the columns it reads."""
    if getattr(columns, "sparse_output_", False):
        raise ValueError("sparse feature output cannot be compiled")
    blocks = []
    for name, fitted, selected in columns.transformers_:
        if fitted == "drop" or (name == "remainder" and fitted != "passthrough"):
            continue
        if fitted == "passthrough":
            raise ValueError(f"block {name!r} passes columns through: not compiled")
        blocks.append((compile_step(fitted), selected))
    return blocks


def _select(parsed: ParsedTickets, selected: Any) -> Any:
    """What a block reads: the turns for ``"messages"``, else the named customer columns.

    A block that reads ``messages`` first (the word score, which takes ``customer_id`` beside it only
    to choose its vocabulary at fit) gets the turns alone: its ``transform`` reads nothing else.
    """
    if selected == "messages" or (not isinstance(selected, str) and list(selected)[:1] == ["messages"]):
        return parsed.messages
    return _Table(parsed.columns, [selected] if isinstance(selected, str) else list(selected))


class _Table:
    """Named columns handed to a step: a nested ColumnTransformer picks by name, others get an array."""

    def __init__(self, columns: dict[str, np.ndarray], names: list[str]) -> None:
        self.columns, self.names = columns, names

    def __len__(self) -> int:
        return len(self.columns[self.names[0]])

    def pick(self, selected: Any) -> _Table:
        return _Table(self.columns, [selected] if isinstance(selected, str) else list(selected))

    def frame(self) -> pd.DataFrame:
        """The columns as the frame a step not compiled was fitted on."""
        return pd.DataFrame({n: self.columns[n] for n in self.names})

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = np.column_stack([self.columns[n] for n in self.names])
        return out if dtype is None else out.astype(dtype)


def compile_step(fitted: Any) -> Step:
    """A fitted step as a function: standard steps become arithmetic, others keep ``transform``."""
    if isinstance(fitted, Pipeline):
        inner = [compile_step(step) for _, step in fitted.steps if step not in (None, "passthrough")]
        return _chain(inner)
    if isinstance(fitted, ColumnTransformer):
        blocks = _column_blocks(fitted)
        return lambda X: _hstack([step(X.pick(sel)) for step, sel in blocks], len(X))
    for kind, compiler in _COMPILERS:
        if type(fitted) is kind:
            compiled = compiler(fitted)
            if compiled is not None:
                return compiled
    return lambda X: fitted.transform(X.frame() if isinstance(X, _Table) else X)


def _chain(steps: list[Step]) -> Step:
    def run(X: Any) -> np.ndarray:
        for step in steps:
            X = step(X)
        return X

    return run


def _hstack(blocks: list[np.ndarray], n: int) -> np.ndarray:
    """Blocks side by side, as ``ColumnTransformer`` joins them (one common dtype)."""
    if not blocks:
        return np.zeros((n, 0))
    return np.hstack([np.asarray(b).reshape(n, -1) for b in blocks])


def _scaler(fitted: StandardScaler) -> Step | None:
    """``StandardScaler.transform``: subtract the mean, divide by the scale, in the input's float type."""
    mean = fitted.mean_ if fitted.with_mean else None
    scale = fitted.scale_ if fitted.with_std else None

    def run(X: Any) -> np.ndarray:
        X = np.asarray(X)
        out = np.array(X, dtype=X.dtype if X.dtype in (np.float32, np.float64) else np.float64)
        if mean is not None:
            out -= mean
        if scale is not None:
            out /= scale
        return out

    return run


def _imputer(fitted: SimpleImputer) -> Step | None:
    """``SimpleImputer.transform`` for NaN as missing: fill with the statistics, append the indicators."""
    if not (isinstance(fitted.missing_values, float) and np.isnan(fitted.missing_values)):
        return None
    statistics = np.asarray(fitted.statistics_, dtype=np.float64)
    if np.isnan(statistics).any() and not fitted.keep_empty_features:
        return None
    statistics = np.nan_to_num(statistics, nan=0.0)
    indicator = fitted.indicator_ if fitted.add_indicator else None
    if indicator is not None and (
        indicator.features != "missing-only" or indicator.sparse not in ("auto", False)
    ):
        return None
    flagged = indicator.features_ if indicator is not None else None

    def run(X: Any) -> np.ndarray:
        out = np.array(X, dtype=np.float64)
        missing = np.isnan(out)
        out[missing] = np.broadcast_to(statistics, out.shape)[missing]
        if flagged is None:
            return out
        return np.hstack([out, missing[:, flagged]])

    return run


def _one_hot(fitted: OneHotEncoder) -> Step | None:
    """``OneHotEncoder.transform`` with unknown categories ignored (all zeros) and no category dropped."""
    if fitted.handle_unknown != "ignore" or fitted.drop_idx_ is not None or fitted.sparse_output:
        return None
    if getattr(fitted, "_infrequent_enabled", False):
        return None
    lookups = [{value: i for i, value in enumerate(cats)} for cats in fitted.categories_]
    dtype = fitted.dtype

    def run(X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=object).reshape(len(X), -1)
        parts = []
        for column, lookup in enumerate(lookups):
            block = np.zeros((len(X), len(lookup)), dtype=dtype)
            for row, value in enumerate(X[:, column]):
                index = lookup.get(value)
                if index is not None:
                    block[row, index] = 1
            parts.append(block)
        return np.hstack(parts)

    return run


def _function(fitted: FunctionTransformer) -> Step | None:
    """``FunctionTransformer.transform`` without validation: the function on the array."""
    if fitted.validate or fitted.func is None:
        return None
    func, kwargs = fitted.func, fitted.kw_args or {}
    return lambda X: func(np.asarray(X, dtype=np.float64), **kwargs)


_COMPILERS: list[tuple[type, Callable[[Any], Step | None]]] = [
    (StandardScaler, _scaler),
    (SimpleImputer, _imputer),
    (OneHotEncoder, _one_hot),
    (FunctionTransformer, _function),
]
