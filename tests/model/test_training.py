"""Training logs a complete MLflow run, registers a version and gates the champion alias."""

import json
import random

import mlflow
import pytest
from mlflow import MlflowClient

from ticketbuddy.train.train import DataError, load_labelled, train

pytestmark = pytest.mark.slow


def test_run_has_params_metrics_and_registered_model(trained, mlflow_store):
    run = MlflowClient().get_run(trained.run_id)
    for name in ("pr_auc", "roc_auc", "precision", "recall", "f1"):
        assert 0.0 <= run.data.metrics[f"test_{name}"] <= 1.0
    assert run.data.params["train.threshold.strategy"] in {"min_recall", "review_budget"}
    assert run.data.params["source.test_data"].endswith("test.jsonl")
    assert trained.metrics["pr_auc"] > 0.6  # far above the ~0.2 base rate: the model learned something
    version = MlflowClient().get_model_version_by_alias("ticket-escalation", "champion")
    assert str(version.version) == trained.model_version and version.run_id == trained.run_id
    assert version.tags["promotion_reason"] == "no champion yet"


def test_tracking_uri_from_environment_is_used(trained, mlflow_store):
    assert mlflow.get_tracking_uri() == mlflow_store["uri"]
    assert (mlflow_store["folder"] / "mlflow.db").exists()
    assert any((mlflow_store["folder"] / "mlartifacts").rglob("MLmodel"))


def test_logged_model_has_signature_example_and_scores_raw_tickets(trained, seed_tickets):
    from ticketbuddy.features.conversation import tickets_to_frame
    from ticketbuddy.model import PREDICTION_COLUMNS

    uri = f"models:/ticket-escalation/{trained.model_version}"
    info = mlflow.models.get_model_info(uri)
    assert "messages" in info.signature.inputs.input_names()
    pyfunc = mlflow.pyfunc.load_model(uri)
    out = pyfunc.predict(tickets_to_frame(seed_tickets))
    assert list(out.columns) == PREDICTION_COLUMNS
    assert set(out["route"]) <= {
        "senior_cx",
        "legal_compliance",
        "billing_disputes",
        "trust_safety",
        "technical_support",
        "general_escalations",
    }
    assert out["threshold"].iloc[0] == pytest.approx(trained.threshold)


def test_written_outputs_for_dvc(trained, tmp_path):
    trained.write(tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    info = json.loads((tmp_path / "model_info.json").read_text())
    assert metrics["pr_auc"] == pytest.approx(trained.metrics["pr_auc"])
    assert info["model_version"] == trained.model_version


def test_worse_candidate_does_not_take_the_champion_alias(trained, histories, params, tmp_path):
    train_path, test_path = histories
    lines = train_path.read_text().splitlines()[:800]
    rng = random.Random(0)
    shuffled = []
    for line in lines:  # labels no longer follow the tickets: a model that cannot beat the champion
        row = json.loads(line)
        row["escalated"] = rng.random() < 0.2
        shuffled.append(json.dumps(row))
    noisy = tmp_path / "noisy.jsonl"
    noisy.write_text("\n".join(shuffled) + "\n")
    result = train(noisy, params, test_data=test_path, experiment="tests")
    assert not result.promoted and "alias kept" in result.promotion_reason
    client = MlflowClient()
    assert (
        str(client.get_model_version_by_alias("ticket-escalation", "champion").version)
        == trained.model_version
    )
    refused = client.get_model_version("ticket-escalation", result.model_version)
    assert "alias kept" in refused.tags["promotion_refused"]


def test_training_data_with_bad_rows_is_refused_with_line_numbers(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"ticket_id": "a"}\nnot json\n')
    with pytest.raises(DataError, match=r"(?s)line 1: .*line 2: not valid JSON"):
        load_labelled(bad)
