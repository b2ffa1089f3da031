import math
from pathlib import Path

import numpy as np
import pytest

from ticketbuddy.train.metrics import (
    choose_threshold,
    classification_metrics,
    expected_calibration_error,
    kept_at_recall,
    recall_at_kept,
)
from ticketbuddy.train.params import Params, ThresholdParams, load_params
from ticketbuddy.train.registry import decide, gate_checks


def test_min_recall_threshold_is_highest_that_reaches_target():
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.6, 0.3, 0.7, 0.5, 0.2, 0.1, 0.1, 0.05])
    t = choose_threshold(y, p, ThresholdParams(strategy="min_recall", min_recall=0.75))
    assert t == pytest.approx(0.6)
    m = classification_metrics(y, p, t)
    assert m["recall"] == pytest.approx(0.75)
    assert m["precision"] == pytest.approx(3 / 4)


def test_review_budget_never_exceeds_budget_even_with_ties():
    rng = np.random.default_rng(0)
    p = np.round(rng.random(1000), 1)  # heavy ties
    y = (rng.random(1000) < p).astype(int)
    t = choose_threshold(y, p, ThresholdParams(strategy="review_budget", review_budget=0.2))
    assert (p >= t).mean() <= 0.2


def test_metrics_with_one_class_are_nan_not_errors():
    m = classification_metrics(np.zeros(5), np.linspace(0, 1, 5), 0.5)
    assert math.isnan(m["pr_auc"]) and m["recall"] == 0.0


def test_gate_decisions():
    checks = ["pr_auc", "slice/vip/vip/pr_auc"]
    first = decide({"pr_auc": 0.8}, None, checks, 0.0)
    assert first.promoted and first.reason == "no champion yet"
    champion = {"pr_auc": 0.80, "slice/vip/vip/pr_auc": 0.70}
    assert decide({"pr_auc": 0.80, "slice/vip/vip/pr_auc": 0.70}, champion, checks, 0.0).promoted
    worse_vip = decide({"pr_auc": 0.85, "slice/vip/vip/pr_auc": 0.65}, champion, checks, 0.0)
    assert not worse_vip.promoted and "slice/vip/vip/pr_auc 0.6500 < champion 0.7000" in worse_vip.reason
    assert decide({"pr_auc": 0.79, "slice/vip/vip/pr_auc": 0.7}, champion, checks, 0.02).promoted
    assert not decide({"pr_auc": float("nan")}, champion, checks, 0.0).promoted
    no_vips = decide({"pr_auc": 0.81}, champion, checks, 0.0)  # no VIP figure: nothing vouches for it
    assert not no_vips.promoted and "slice/vip/vip/pr_auc undefined for the candidate" in no_vips.reason


def test_gate_checks_from_params():
    from ticketbuddy.train.params import PromotionParams

    checks = gate_checks(PromotionParams(metrics=["pr_auc", "recall_at_80_kept"], slices=["vip=vip"]))
    assert checks == [
        "pr_auc",
        "recall_at_80_kept",
        "slice/vip/vip/pr_auc",
        "slice/vip/vip/recall_at_80_kept",
    ]


def test_shipped_params_parse_and_flatten():
    params = load_params("params.yaml")
    flat = params.flat()
    assert flat["train.threshold.strategy"] in {"min_recall", "review_budget"}
    assert params == Params()  # the built-in defaults are the shipped file (tests/code/test_params.py)


def test_recall_at_kept_and_kept_at_recall():
    # 10 tickets, 2 escalations ranked 1st and 4th
    y = np.array([1, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    p = np.linspace(1, 0.1, 10)
    assert recall_at_kept(y, p, kept=0.8) == pytest.approx(0.5)  # humans see the top 2: one caught
    assert kept_at_recall(y, p, recall=0.95) == pytest.approx(0.6)  # need the top 4 to catch both
    assert kept_at_recall(y, p, recall=0.5) == pytest.approx(0.9)


def test_expected_calibration_error():
    y = np.array([0, 0, 1, 1])
    assert expected_calibration_error(y, np.array([0.0, 0.0, 1.0, 1.0])) == pytest.approx(0.0)
    assert expected_calibration_error(y, np.array([0.5, 0.5, 0.5, 0.5])) == pytest.approx(0.0)
    assert expected_calibration_error(y, np.array([0.9, 0.9, 0.9, 0.9])) == pytest.approx(0.4)


def test_both_heads_fit_and_calibrate_on_a_small_problem():
    from ticketbuddy.train.heads import escalation_head, label_head
    from ticketbuddy.train.params import TrainParams

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] + 0.5 * rng.normal(size=300) > 0.8).astype(int)
    for head in ("linear", "hgb"):
        params = TrainParams(head=head)
        clf = escalation_head(params).fit(X, y)
        proba = clf.predict_proba(X)[:, 1]
        assert clf.oof_proba_.shape == (300,) and proba.min() >= 0 and proba.max() <= 1
        assert proba[y == 1].mean() > proba[y == 0].mean() + 0.3, head
        routes = np.where(X[:, 1] > 0, "billing_disputes", "senior_cx")
        router = label_head(params, list(routes)).fit(X, routes)
        assert (router.predict(X) == routes).mean() > 0.8, head
    assert label_head(TrainParams(), ["senior_cx", "senior_cx"]) is None


def test_the_boosted_head_weighs_classes_only_when_params_yaml_asks():
    """Its class weights are its own setting (unweighted as shipped), not the linear head's."""
    from ticketbuddy.train.heads import base_head

    shipped = load_params(Path(__file__).parents[2] / "params.yaml")
    assert shipped.train.classifier.class_weight == "balanced"
    assert base_head(shipped.train.model_copy(update={"head": "hgb"})).class_weight is None
    weighted = shipped.train.model_copy(
        update={"head": "hgb", "hgb": shipped.train.hgb.model_copy(update={"class_weight": "balanced"})}
    )
    assert base_head(weighted).class_weight == "balanced"
    assert base_head(weighted, multiclass=True).class_weight is None
