"""The explanation maths on small problems: groups from the ColumnTransformer, Shapley's axioms."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from ticketbuddy.explain import (
    MAX_SHAPLEY_GROUPS,
    Contributions,
    explain,
    feature_groups,
    parse_contributions,
    shapley_contributions,
)


def test_groups_are_the_transformers_names_and_output_slices_whatever_they_are():
    frame = pd.DataFrame({"bot": [0.1, 0.9, 0.5], "tier": ["a", "b", "c"], "complexity": [1.0, 2.0, 3.0]})
    columns = ColumnTransformer(
        [
            ("bot", StandardScaler(), ["bot"]),
            ("customer", OneHotEncoder(), ["tier"]),
            ("unused", "drop", ["bot"]),
            ("complexity", StandardScaler(), ["complexity"]),
        ]
    ).fit(frame)
    assert feature_groups(columns) == {"bot": slice(0, 1), "customer": slice(1, 4), "complexity": slice(4, 5)}


def test_shapley_values_are_efficient_symmetric_and_zero_for_an_unused_group():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(50, 6))
    baseline = rng.normal(size=6)

    def score(X):
        return np.tanh(X[:, 0] * X[:, 1]) + X[:, 2] ** 2 + 0.5 * X[:, 3] + X[:, 0] * X[:, 3]

    groups = {"a": slice(0, 1), "b": slice(1, 2), "c": slice(2, 3), "d": slice(3, 4), "unused": slice(4, 6)}
    explained = shapley_contributions(score, groups, baseline, Z)
    np.testing.assert_allclose(explained.raw, score(Z), atol=1e-12)
    assert explained.base == pytest.approx(score(baseline[None, :])[0])
    np.testing.assert_allclose(explained.values[:, 4], 0.0, atol=1e-12)
    only = shapley_contributions(lambda X: np.tanh(X[:, 0] * X[:, 1]), groups, np.zeros(6), Z)
    np.testing.assert_allclose(only.values[:, 0], only.values[:, 1], atol=1e-12)


def test_too_many_groups_for_exact_shapley_values_are_refused_and_left_unexplained():
    n = MAX_SHAPLEY_GROUPS + 1
    groups = {f"g{i}": slice(i, i + 1) for i in range(n)}
    with pytest.raises(ValueError, match="exact Shapley values stop at"):
        shapley_contributions(lambda X: X.sum(axis=1), groups, np.zeros(n), np.ones((1, n)))
    X, y = np.random.default_rng(0).normal(size=(40, n)), np.arange(40) % 2
    assert explain(DecisionTreeClassifier(max_depth=2).fit(X, y), groups, np.zeros(n), X) is None
    linear = explain(LogisticRegression().fit(X, y), groups, np.zeros(n), X)  # any number of groups
    assert linear is not None and linear.values.shape == (40, n)


def test_contributions_travel_as_compact_json_and_back():
    explained = Contributions(["text", "words"], np.array([[-0.00004, -1.23456]]), base=0.0, method="linear")
    assert explained.as_json() == ['{"text":0.0,"words":-1.235}']  # no "-0.0"
    assert parse_contributions(explained.as_json()[0]) == {"text": 0.0, "words": -1.235}
    assert parse_contributions("not json") == {} and parse_contributions("[1, 2]") == {}
