"""``ticketbuddy evaluate``, ``promote`` and ``compare`` on the session's model and histories."""

import json
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient
from typer.testing import CliRunner

from ticketbuddy.cli import app

pytestmark = pytest.mark.slow


def test_evaluate_writes_table_metrics_plots_and_run(trained, histories, tmp_path):
    train_path, test_path = histories
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            "--data",
            str(test_path),
            "--model-uri",
            "models:/ticket-escalation@champion",
            "--train-data",
            str(train_path),
            "--out-dir",
            str(tmp_path),
            "--experiment",
            "tests",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "recall with 80 % kept by the AI" in result.output and "tfidf_lr" in result.output
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    # Equal up to the int8 encoder's batch dependence: a sentence embedded again in another batch
    # moves in the fourth decimal (docs/PERFORMANCE.md); a different model or data would move it far more.
    assert metrics["model"]["pr_auc"] == pytest.approx(trained.metrics["pr_auc"], abs=1e-3)
    assert set(metrics["baselines"]) == {"tfidf_lr", "keyword_rules"}
    assert {"tier", "vip", "channel", "topic", "length", "trajectory"} <= set(metrics["slices"])
    # The model ranks escalations far better than keyword rules on the same split.
    assert metrics["model"]["pr_auc"] > metrics["baselines"]["keyword_rules"]["pr_auc"] + 0.1
    for name in ("pr_curve", "calibration", "confusion_matrix", "threshold_tradeoff", "slices"):
        assert (tmp_path / "plots" / f"{name}.png").stat().st_size > 5_000


def test_promote_refuses_a_worse_version_and_keeps_the_alias(trained, worse_trained, histories):
    _, test_path = histories
    refused = CliRunner().invoke(
        app, ["promote", "--version", worse_trained.model_version, "--data", str(test_path)]
    )
    assert refused.exit_code == 1 and "NOT promoted" in refused.output and "alias kept" in refused.output
    champion = MlflowClient().get_model_version_by_alias("ticket-escalation", "champion")
    assert str(champion.version) == trained.model_version


def test_promote_accepts_a_version_no_worse_than_the_champion(trained, histories):
    _, test_path = histories
    result = CliRunner().invoke(
        app, ["promote", "--version", trained.model_version, "--data", str(test_path)]
    )
    assert result.exit_code == 0 and "promoted to @champion" in result.output


def test_compare_logs_one_run_per_variant(trained, histories, tmp_path):
    train_path, test_path = histories
    params = yaml.safe_load(Path("params.yaml").read_text())
    params["train"]["calibration"]["cv"] = 3
    params["compare"] = {
        "experiment": "tests-compare",
        "variants": [
            {"name": "words", "head": "linear"},
            {"name": "no-words", "head": "linear", "text": {"scope": "customer", "word_score": False}},
        ],
    }
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    result = CliRunner().invoke(
        app, ["compare", "--data", str(train_path), "--test-data", str(test_path), "--params", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert "no-words" in result.output and "baseline:tfidf_lr" in result.output
    client = MlflowClient()
    experiment = client.get_experiment_by_name("tests-compare")
    runs = client.search_runs([experiment.experiment_id])
    names = {r.info.run_name for r in runs}
    assert {"compare", "words", "no-words"} <= names
    child = next(r for r in runs if r.info.run_name == "no-words")
    assert child.data.params["train.text.word_score"] == "False" and "pr_auc" in child.data.metrics
