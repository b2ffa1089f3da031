"""Training logs a complete MLflow run, registers a version and gates the champion alias."""

import json

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient

from tests.contract import DEFAULT_ROUTES
from ticketbuddy.train.train import DataError, load_labelled

pytestmark = pytest.mark.slow


def test_run_has_params_metrics_and_registered_model(trained, mlflow_store):
    run = MlflowClient().get_run(trained.run_id)
    for name in (
        "pr_auc",
        "roc_auc",
        "precision",
        "recall",
        "f1",
        "ece",
        "recall_at_80_kept",
        "route_macro_f1",
    ):
        assert 0.0 <= run.data.metrics[name] <= 1.0, name
    assert "baseline_tfidf_lr_pr_auc" in run.data.metrics and "baseline_keyword_rules_f1" in run.data.metrics
    assert "slice/tier/vip/recall" in run.data.metrics and "train_oof_pr_auc" in run.data.metrics
    artifacts = {a.path for a in MlflowClient().list_artifacts(trained.run_id, "evaluation")}
    assert {
        "evaluation/pr_curve.png",
        "evaluation/calibration.png",
        "evaluation/confusion_matrix.png",
        "evaluation/threshold_tradeoff.png",
        "evaluation/slices.png",
        "evaluation/slices.json",
    } <= artifacts
    assert run.data.params["train.threshold.strategy"] in {"min_recall", "review_budget"}
    assert run.data.params["source.test_data"].endswith("test.jsonl")
    assert trained.metrics["pr_auc"] > 0.6  # far above the ~0.2 base rate: the model learned something
    version = MlflowClient().get_model_version_by_alias("ticket-escalation", "champion")
    assert str(version.version) == trained.model_version and version.run_id == trained.run_id
    assert run.data.tags["promotion_reason"] == "no champion yet" and run.data.tags["promoted"] == "true"


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
    assert "contributions" in info.signature.outputs.input_names()
    pyfunc = mlflow.pyfunc.load_model(uri)
    out = pyfunc.predict(tickets_to_frame(seed_tickets))
    assert list(out.columns) == PREDICTION_COLUMNS
    assert {"text", "words", "triggers"} <= set(json.loads(out["contributions"].iloc[0]))
    assert set(out["route"]) <= DEFAULT_ROUTES
    assert out["threshold"].iloc[0] == pytest.approx(trained.threshold)


def test_written_model_info_for_dvc(trained, tmp_path):
    trained.write(tmp_path)
    info = json.loads((tmp_path / "model_info.json").read_text())
    assert info["model_version"] == trained.model_version
    assert info["model_uri"] == f"models:/ticket-escalation/{trained.model_version}"


def test_worse_candidate_does_not_take_the_champion_alias(trained, worse_trained):
    assert not worse_trained.promoted and "alias kept" in worse_trained.promotion_reason
    client = MlflowClient()
    assert (
        str(client.get_model_version_by_alias("ticket-escalation", "champion").version)
        == trained.model_version
    )
    refused = client.get_model_version("ticket-escalation", worse_trained.model_version)
    assert "alias kept" in refused.tags["promotion_refused"]
    champion = client.get_model_version("ticket-escalation", trained.model_version)
    assert {"promoted_by", "promoted_at", "gate.pr_auc", "gate.slice/vip/vip/pr_auc"} <= set(champion.tags)


def test_training_data_with_bad_rows_is_refused_with_line_numbers(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"ticket_id": "a"}\nnot json\n')
    with pytest.raises(DataError, match=r"(?s)line 1: .*line 2: not valid JSON"):
        load_labelled(bad)


class _Unloadable(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        raise RuntimeError("pickled by an older TicketBuddy")

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return model_input


def test_a_champion_this_code_cannot_load_does_not_block_the_candidate(tmp_path, monkeypatch):
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.scoring.tracking import configure
    from ticketbuddy.train.params import Params
    from ticketbuddy.train.runs import run_gate

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'other.db'}")
    configure()
    try:
        with mlflow.start_run():
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=_Unloadable(),
                registered_model_name="ticket-escalation",
                pip_requirements=["mlflow"],
            )
        client = MlflowClient()
        client.set_registered_model_alias("ticket-escalation", "champion", info.registered_model_version)
        decision = run_gate(client, {"pr_auc": 0.5, "recall_at_80_kept": 0.5}, [], load_policy(), Params())
        assert decision.promoted and "cannot be loaded or scored by this code" in decision.reason
    finally:
        monkeypatch.undo()
        configure()
