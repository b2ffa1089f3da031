"""Each probability comes with its feature groups' contributions to the head's raw score.

The session's champion (linear head) and a small gradient-boosted model trained here, on real features.
"""

import json
import re

import joblib
import numpy as np
import pytest

from ticketbuddy.data.jsonl import read_tickets
from ticketbuddy.explain import feature_groups, raw_score, shapley_contributions
from ticketbuddy.features.conversation import tickets_to_frame
from ticketbuddy.features.embedding_cache import embedding_cache
from ticketbuddy.handoff.batch import score_tickets
from ticketbuddy.model import EscalationModel
from ticketbuddy.train.heads import raw_scores

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def champion(scorer) -> EscalationModel:
    return scorer.model.pyfunc.unwrap_python_model().model


@pytest.fixture(scope="module")
def test_tickets(histories):
    return read_tickets(histories[1], labelled=True).tickets[:200]


@pytest.fixture(scope="module")
def hgb(histories) -> EscalationModel:
    """A small gradient-boosted model on the session's history (its embeddings are cached)."""
    from ticketbuddy.train.params import CalibrationParams, HgbParams, TrainParams
    from ticketbuddy.train.train import fit_model

    params = TrainParams(
        head="hgb", hgb=HgbParams(max_iter=40, max_leaf_nodes=8), calibration=CalibrationParams(cv=3)
    )
    with embedding_cache():
        return fit_model(read_tickets(histories[0], labelled=True).tickets[:800], params)


def features(model, tickets):
    with embedding_cache():
        return model.features.transform(tickets_to_frame(tickets))


def test_linear_contributions_sum_with_the_baseline_to_the_raw_score(champion, test_tickets):
    Z = features(champion, test_tickets)
    head = champion.classifier.estimator_
    explained = champion.contributions(Z)
    assert explained.method == "linear"
    columns = champion.features.named_steps["features"]
    assert explained.groups == [name for name, _, _ in columns.transformers_ if name != "remainder"]
    assert {"text", "words", "triggers", "customer"} <= set(explained.groups)
    np.testing.assert_allclose(explained.base + explained.values.sum(axis=1), raw_scores(head, Z), atol=1e-6)
    assert explained.base == pytest.approx(raw_scores(head, champion.baseline[None, :])[0], abs=1e-9)


def test_exact_shapley_values_of_a_linear_head_are_its_coefficient_contributions(champion, test_tickets):
    Z = features(champion, test_tickets[:40])
    head = champion.classifier.estimator_
    columns = champion.features.named_steps["features"]
    shapley = shapley_contributions(
        lambda X: raw_score(head, X), feature_groups(columns), champion.baseline, Z
    )
    np.testing.assert_allclose(shapley.values, champion.contributions(Z).values, atol=1e-8)


def test_shapley_contributions_of_the_hgb_head_are_efficient(hgb, test_tickets):
    Z = features(hgb, test_tickets)
    head = hgb.classifier.estimator_
    explained = hgb.contributions(Z)
    assert explained.method == "shapley" and "words" in explained.groups
    np.testing.assert_allclose(explained.base + explained.values.sum(axis=1), raw_scores(head, Z), atol=1e-6)
    assert explained.base == pytest.approx(raw_scores(head, hgb.baseline[None, :])[0], abs=1e-9)
    assert np.abs(explained.values).sum() > 0
    with embedding_cache():
        rows = hgb.predict(tickets_to_frame(test_tickets[:20]))["contributions"].map(json.loads)
    for row, values in zip(rows, explained.values[:20], strict=True):
        assert list(row) == explained.groups
        np.testing.assert_allclose(list(row.values()), values, atol=5e-4)


@pytest.mark.parametrize("which", ["champion", "hgb"])
def test_a_ticket_with_a_strong_word_signal_has_words_among_its_largest_contributions(
    which, request, test_tickets
):
    model = request.getfixturevalue(which)
    Z = features(model, test_tickets)
    column = model.features.named_steps["features"].output_indices_["words"]
    strongest = int(np.argmax(np.abs(Z[:, column] - model.baseline[column]).ravel()))
    explained = model.contributions(Z[[strongest]])
    top = [explained.groups[i] for i in np.argsort(-np.abs(explained.values[0]))[:4]]  # of eight groups
    assert "words" in top, str(
        dict(zip(explained.groups, explained.values[0].round(2).tolist(), strict=True))
    )


def test_a_model_pickled_without_the_baseline_still_predicts(champion, test_tickets, tmp_path):
    old = object.__new__(EscalationModel)
    old.__dict__.update({k: v for k, v in vars(champion).items() if k != "baseline"})
    joblib.dump(old, tmp_path / "old.joblib")
    loaded = joblib.load(tmp_path / "old.joblib")
    assert "baseline" not in vars(loaded)
    with embedding_cache():
        frame = tickets_to_frame(test_tickets[:10])
        before, after = champion.predict(frame), loaded.predict(frame)
        assert loaded.contributions(frame) is None
    assert (after["contributions"] == "{}").all()
    np.testing.assert_allclose(after["probability"], before["probability"])
    assert (before["contributions"] != "{}").all()


def test_the_model_reason_names_the_largest_contributions(scorer, seed_tickets, champion):
    groups = "|".join(feature_groups(champion.features.named_steps["features"]))
    pattern = rf"probability 0\.\d{{3}} >= threshold 0\.\d{{3}}; largest contributions: (({groups}) [+-]\d+\.\d\d(, )?){{3}}"
    for score in score_tickets(scorer, seed_tickets):
        assert re.fullmatch(pattern, score.reasons[0].detail), score.reasons[0].detail
        assert score.handoff is not None and score.handoff.reasons[0] == score.reasons[0]
    (_, learned), *_ = scorer.predictions(seed_tickets)
    assert set(learned.contributions) == set(groups.split("|"))
