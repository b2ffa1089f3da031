"""Logging a trained model to MLflow, registering it, and passing it through the promotion gate."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ticketbuddy.features.conversation import tickets_to_frame
from ticketbuddy.model import EscalationModel
from ticketbuddy.schemas import LabelledTicket
from ticketbuddy.train.metrics import evaluate
from ticketbuddy.train.params import Params
from ticketbuddy.train.registry import champion_version, decide, promote, record_refusal
from ticketbuddy.train.tracking import REGISTERED_MODEL, ensure_experiment


@dataclass
class TrainResult:
    """What a training run produced."""

    run_id: str
    model_version: str
    metrics: dict[str, float]
    threshold: float
    promoted: bool
    promotion_reason: str

    def write(self, out_dir: str | Path) -> None:
        """Write ``metrics.json`` (test metrics) and ``model_info.json`` (run, version, gate) for DVC."""
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "metrics.json").write_text(json.dumps(self.metrics, indent=2, sort_keys=True) + "\n")
        info = {
            "run_id": self.run_id,
            "model_uri": f"models:/{REGISTERED_MODEL}/{self.model_version}",
            "model_version": self.model_version,
            "threshold": self.threshold,
            "promoted": self.promoted,
            "promotion_reason": self.promotion_reason,
        }
        (folder / "model_info.json").write_text(json.dumps(info, indent=2) + "\n")


def log_and_gate(
    model: EscalationModel,
    params: Params,
    metrics: dict[str, float],
    oof_metrics: dict[str, float],
    test_set: list[LabelledTicket],
    experiment: str,
    sources: dict[str, str],
) -> TrainResult:
    """Log params, metrics and the model in one run; register it; promote it if it passes the gate.

    Returns:
        A ``TrainResult`` naming the run, the registered version and the gate's decision.

    """
    import mlflow
    from mlflow import MlflowClient

    from ticketbuddy.train.pyfunc import log_escalation_model

    experiment_id = ensure_experiment(experiment)
    client = MlflowClient()
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_params(params.flat())
        mlflow.log_params({f"source.{k}": v for k, v in sources.items()})
        mlflow.log_params({f"model.{k}": v for k, v in model.info.items()})
        mlflow.log_metrics({f"test_{k}": v for k, v in metrics.items()})
        mlflow.log_metrics({f"train_oof_{k}": v for k, v in oof_metrics.items()})
        example = tickets_to_frame(test_set[:2])
        info = log_escalation_model(model, example, registered_name=REGISTERED_MODEL)
        version = str(info.registered_model_version)
        gate = _gate(client, params, metrics, test_set)
        if gate.promoted:
            promote(client, version, gate, metrics)
        else:
            record_refusal(client, version, gate)
        mlflow.set_tags({"promoted": str(gate.promoted).lower(), "promotion_reason": gate.reason})
    return TrainResult(
        run_id=run.info.run_id,
        model_version=version,
        metrics=metrics,
        threshold=model.threshold,
        promoted=gate.promoted,
        promotion_reason=gate.reason,
    )


def _gate(client: Any, params: Params, metrics: dict[str, float], test_set: list) -> Any:
    """Score the current champion on the same test tickets and compare."""
    import mlflow

    metric = params.promotion.metric
    current = champion_version(client)
    champion_score = None
    if current is not None:
        champion = mlflow.pyfunc.load_model(f"models:/{REGISTERED_MODEL}/{current.version}")
        champion_score = evaluate(champion, test_set)[metric]
    return decide(metrics[metric], champion_score, metric, params.promotion.tolerance)
