"""Why the model scored a ticket as it did: each feature group's contribution to the head's raw score.

The escalation head scores a ticket with a raw score (the logit-like ``decision_function``, or the
logit of its probability), which a monotone calibrator turns into the probability the service uses.
Contributions are measured on that raw score, in its units, relative to a *baseline ticket*: the
training mean of every feature, stored with the model. For each ticket they sum, with the baseline's
score, to the ticket's raw score; so ``words +1.20`` reads "the customer's words moved this ticket's
score 1.2 logits above the average ticket's".

* A linear head (coefficients, intercept) is exact and cheap: ``Σ_j∈group coef_j · (x_j − mean_j)``.
* Any other head gets exact Shapley values over the groups: the head is evaluated on all ``2^g``
  coalitions, a feature outside the coalition set to its training mean, batched over the tickets.

Groups are the feature ``ColumnTransformer``'s transformer names and output slices, so a feature group
added later is explained without a change here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer

#: Most groups explained by exact Shapley values (``2^g`` evaluations of the head per ticket).
MAX_SHAPLEY_GROUPS = 8
#: Rows scored by the head at once while evaluating coalitions (bounds the memory of a batch).
CHUNK_ROWS = 8192


@dataclass(frozen=True)
class Contributions:
    """Per ticket, each feature group's signed contribution to the head's raw score.

    Attributes:
        groups: Feature group names, in the feature pipeline's order.
        values: ``(tickets, groups)`` contributions, in the head's raw-score (logit) units.
        base: Raw score of the baseline ticket (the training mean of the features).
        method: ``linear`` (from the coefficients) or ``shapley`` (exact, over the groups).

    Example:
        >>> c = Contributions(["text", "words"], np.array([[0.4104, -0.12]]), base=-1.5, method="linear")
        >>> c.raw.round(4).tolist(), c.as_json()
        ([-1.2096], ['{"text":0.41,"words":-0.12}'])

    """

    groups: list[str]
    values: np.ndarray
    base: float
    method: str

    @property
    def raw(self) -> np.ndarray:
        """Each ticket's raw score: the baseline's plus the contributions."""
        return self.base + self.values.sum(axis=1)

    def as_json(self, digits: int = 3) -> list[str]:
        """One compact JSON object per ticket, ``{"group": value}`` rounded to ``digits`` decimals.

        (``+ 0.0`` turns a rounded ``-0.0`` into ``0.0``.)
        """
        rows = [
            {g: round(float(v), digits) + 0.0 for g, v in zip(self.groups, row, strict=True)}
            for row in self.values
        ]
        return [json.dumps(row, separators=(",", ":")) for row in rows]


def parse_contributions(text: object) -> dict[str, float]:
    """The ``{"group": value}`` of a prediction's ``contributions`` column; empty when absent or unreadable.

    Example:
        >>> parse_contributions('{"text":0.41,"words":-0.12}'), parse_contributions(None)
        ({'text': 0.41, 'words': -0.12}, {})

    """
    if not isinstance(text, str) or not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {str(k): float(v) for k, v in parsed.items() if isinstance(v, int | float)}


def feature_groups(columns: ColumnTransformer) -> dict[str, slice]:
    """Each fitted transformer's name and its slice of the feature matrix (empty outputs left out)."""
    return {
        name: columns.output_indices_[name]
        for name, _, _ in columns.transformers_
        if columns.output_indices_[name].stop > columns.output_indices_[name].start
    }


def raw_score(head: Any, Z: np.ndarray) -> np.ndarray:
    """The head's raw score, the one its calibrator reads (as ``train.heads.raw_scores``)."""
    if hasattr(head, "decision_function"):
        return np.asarray(head.decision_function(Z), dtype=float).ravel()
    p = np.clip(head.predict_proba(Z)[:, 1], 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)), dtype=float)


def is_linear(head: Any) -> bool:
    """True for a binary linear head: one row of coefficients and an intercept."""
    coef = getattr(head, "coef_", None)
    return coef is not None and hasattr(head, "intercept_") and np.ndim(coef) == 2 and coef.shape[0] == 1


def explain(head: Any, groups: dict[str, slice], baseline: np.ndarray, Z: np.ndarray) -> Contributions | None:
    """Contributions of ``groups`` to ``head``'s raw score on the feature rows ``Z``.

    None for a non-linear head with more than ``MAX_SHAPLEY_GROUPS`` groups: an explanation too dear
    to compute exactly is left out rather than let it slow or fail the prediction it explains.

    Args:
        head: The fitted, uncalibrated binary head.
        groups: Group name → its columns of ``Z`` (see ``feature_groups``).
        baseline: The baseline ticket's features (the training mean), one value per column.
        Z: Feature rows of the tickets, as the head reads them.

    """
    if is_linear(head):
        return linear_contributions(head, groups, baseline, Z)
    if len(groups) > MAX_SHAPLEY_GROUPS:
        return None
    return shapley_contributions(lambda X: raw_score(head, X), groups, baseline, Z)


def linear_contributions(
    head: Any, groups: dict[str, slice], baseline: np.ndarray, Z: np.ndarray
) -> Contributions:
    """Exact contributions of a linear head: ``coef · (x − baseline)`` summed within each group.

    Example:
        >>> from types import SimpleNamespace
        >>> head = SimpleNamespace(coef_=np.array([[1.0, 2.0, -1.0]]), intercept_=np.array([0.5]))
        >>> c = linear_contributions(head, {"a": slice(0, 2), "b": slice(2, 3)}, np.zeros(3),
        ...                          np.array([[1.0, 1.0, 1.0]]))
        >>> c.values.tolist(), c.base, c.method
        ([[3.0, -1.0]], 0.5, 'linear')

    """
    coef = np.asarray(head.coef_, dtype=float).ravel()
    weighted = (np.asarray(Z, dtype=float) - baseline) * coef
    values = np.column_stack([weighted[:, s].sum(axis=1) for s in groups.values()])
    base = float(baseline @ coef + float(np.ravel(head.intercept_)[0]))
    return Contributions(list(groups), values, base, "linear")


def shapley_contributions(
    score: Any, groups: dict[str, slice], baseline: np.ndarray, Z: np.ndarray
) -> Contributions:
    """Exact Shapley values of ``score`` over the groups, absent groups set to the baseline.

    Every coalition of groups is scored for every ticket (``2^g`` rows a ticket, scored in chunks of
    about ``CHUNK_ROWS``); a group's value is its weighted mean marginal contribution over them. They
    sum, with ``score(baseline)``, to ``score(Z)`` (efficiency).

    Example:
        >>> score = lambda X: X[:, 0] * X[:, 1] + X[:, 2]
        >>> c = shapley_contributions(score, {"a": slice(0, 1), "b": slice(1, 2), "c": slice(2, 3)},
        ...                           np.zeros(3), np.array([[2.0, 3.0, 1.0]]))
        >>> c.values.round(6).tolist(), c.base, c.method
        ([[3.0, 3.0, 1.0]], 0.0, 'shapley')

    """
    g = len(groups)
    if g > MAX_SHAPLEY_GROUPS:
        raise ValueError(f"{g} feature groups: exact Shapley values stop at {MAX_SHAPLEY_GROUPS}")
    Z = np.asarray(Z, dtype=float)
    members = (np.arange(2**g)[:, None] >> np.arange(g)) & 1  # coalition × group: 1 when present
    present = np.zeros((2**g, Z.shape[1]), dtype=bool)
    for i, columns in enumerate(groups.values()):
        present[:, columns] = members[:, [i]].astype(bool)
    per_chunk = max(1, CHUNK_ROWS // 2**g)
    values = np.empty((len(Z), g))
    for start in range(0, len(Z), per_chunk):
        rows = Z[start : start + per_chunk]
        X = np.where(present[:, None, :], rows[None, :, :], baseline[None, None, :])
        scored = np.asarray(score(X.reshape(-1, Z.shape[1])), dtype=float).reshape(2**g, len(rows))
        values[start : start + len(rows)] = scored.T @ _shapley_weights(members)
    base = float(np.asarray(score(baseline[None, :]), dtype=float).ravel()[0])
    return Contributions(list(groups), values, base, "shapley")


def _shapley_weights(members: np.ndarray) -> np.ndarray:
    """Coalition × group weights: ``v @ W`` gives each group's Shapley value from coalition values ``v``.

    A coalition S holding group i adds ``|S−1|!(g−|S|)!/g!`` of v(S); one without it subtracts
    ``|S|!(g−|S|−1)!/g!`` of v(S): together, the weighted marginal contributions ``v(S∪i) − v(S)``.
    """
    g = members.shape[1]
    size = members.sum(axis=1)
    weight = [math.factorial(s) * math.factorial(g - s - 1) / math.factorial(g) for s in range(g)]
    with_i = np.array([weight[s - 1] if s else 0.0 for s in size])[:, None]
    without_i = np.array([weight[s] if s < g else 0.0 for s in size])[:, None]
    return np.where(members == 1, with_i, -without_i)
