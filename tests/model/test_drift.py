"""Drift: the champion on drifted traffic, and a retraining on feedback drawn from that traffic.

``ticketbuddy data synth --drift`` adds a topic (``subscriptions``), shifts the tier and channel mix,
and changes the rule: subscription tickets are now handed to a person more readily
(``synth.drift.rule_shift``), which a model trained before the change cannot know. Feedback labels from
drifted traffic (another seed) stand in for ``ticketbuddy labels export``.

Measured here (figures printed) and at full size (docs/EVALUATION.md): on drifted traffic the champion
catches fewer escalations within the review budget (recall with 80 % kept falls from 0.64 on undrifted
tickets to 0.51 here; part of that is mechanical, as drifted traffic has more escalations than the
budget holds) and ranks them worse; retraining on the feedback wins part of it back (0.52–0.55), ranks
drifted tickets clearly better, catches more of the subscription tickets the new rule escalates, and
the gate promotes it. At its own threshold the champion's recall does not fall (it escalates most
tickets), so the loss is at the budget, not at the threshold.
"""

import json
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from tests.model.test_retrain import as_labels, champion_copy, write
from ticketbuddy.cli import app
from ticketbuddy.policy.model import load_policy
from ticketbuddy.train.evaluate import evaluate
from ticketbuddy.train.train import load_labelled

pytestmark = pytest.mark.slow

FIGURES = ("pr_auc", "recall", "recall_at_80_kept", "escalation_share", "precision")
SUBS = "slice/topic/subscriptions/"


def drifted(folder: Path, name: str, n: int, seed: int) -> Path:
    result = CliRunner().invoke(app, ["data", "synth", "--drift", "--n", str(n), "--seed", str(seed),
                                      "--out", str(folder / name)])  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder / name


def test_retraining_on_drifted_feedback_wins_back_recall_the_champion_lost_and_passes_the_gate(
    trained, histories, params, tmp_path
):
    from ticketbuddy.train.retrain import retrain

    rows = [json.loads(line) for line in drifted(tmp_path, "raw.jsonl", 900, 31).read_text().splitlines()]
    labels = write(tmp_path / "feedback.jsonl", as_labels(rows, ["feedback"]))
    drift_test = load_labelled(drifted(tmp_path, "drift_test.jsonl", 600, 32))
    champion = champion_copy(trained, "drift-escalation")

    done = retrain(histories[0], [labels], params, experiment="scratch", registered_name="drift-escalation")

    policy = load_policy()
    figures = {}
    for version in (champion, done.result.model_version):
        model = mlflow.pyfunc.load_model(f"models:/drift-escalation/{version}")
        for name, test in (("drifted", drift_test), ("undrifted", load_labelled(histories[1]))):
            flat = evaluate(model, test, policy).flat()
            figures[version, name] = {k: round(flat.get(k, float("nan")), 4) for k in FIGURES}
            figures[version, name] |= {SUBS + k: round(flat.get(SUBS + k, float("nan")), 4) for k in FIGURES}
    print(json.dumps({f"{v} {n}": f for (v, n), f in figures.items()}, indent=1))
    before, after = figures[champion, "drifted"], figures[done.result.model_version, "drifted"]
    undrifted = figures[champion, "undrifted"]
    assert before["recall_at_80_kept"] < undrifted["recall_at_80_kept"] - 0.05  # lost at the budget (0.12)
    # partly won back: 0.04 when this was written, 0.017 since the model stopped counting vetoed keywords
    # (on 600 drifted tickets, about one escalation in a hundred is 0.01)
    assert after["recall_at_80_kept"] > before["recall_at_80_kept"] + 0.01
    assert after["pr_auc"] > before["pr_auc"] + 0.03  # drifted tickets ranked better (0.065)
    assert after[SUBS + "recall"] > before[SUBS + "recall"] + 0.02  # the new rule learned (0.045)
    assert after["recall"] > before["recall"] - 0.01  # and no recall lost at the threshold
    assert done.result.promoted, done.result.promotion_reason
    assert MlflowClient().get_model_version_by_alias("drift-escalation", "champion").version == 2
