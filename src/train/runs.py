"""MLflow runs: logging an evaluation (metrics, slice table, plots), a trained model, and the gate.

Nothing logged here carries a customer's words or identifiers: the model's input example is a made-up
ticket (``pyfunc.EXAMPLE_TICKET``), the training set is logged as hashes (``fingerprint``), the reference
profile as shares and one mean vector, the evaluation as figures by slice of at least 20 tickets, and
the word models' vocabularies hold only terms several customers wrote (``features.words``).
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ticketbuddy.model import EscalationModel
from ticketbuddy.policy.model import Policy
from ticketbuddy.schemas import LabelledTicket
from ticketbuddy.scoring.integrity import record_digests
from ticketbuddy.scoring.lookup import load_pyfunc
from ticketbuddy.scoring.profile import log_reference
from ticketbuddy.scoring.tracking import REGISTERED_MODEL, ensure_experiment
from ticketbuddy.train.evaluate import Evaluation, evaluate
from ticketbuddy.train.fingerprint import FINGERPRINT_ARTIFACT, Fingerprint, gate_data_problems
from ticketbuddy.train.params import Params
from ticketbuddy.train.registry import (
    GateDecision,
    champion_version,
    decide,
    gate_checks,
    promote,
    record_refusal,
    refused,
)

log = logging.getLogger(__name__)
#: Decimal places of the figures DVC tracks in git: enough to see a real change, too few for noise.
DVC_DECIMALS = 4


@dataclass
class TrainResult:
    """What a training run produced."""

    run_id: str
    model_version: str
    metrics: dict[str, float]
    threshold: float
    promoted: bool
    promotion_reason: str
    registered_name: str = REGISTERED_MODEL
    gate: GateDecision | None = None
    """The gate's decision; None when it was not run (``train --no-promote``)."""

    def write(self, out_dir: str | Path) -> None:
        """Write what DVC tracks and what this machine's registry holds, as two files.

        ``train_metrics.json`` (the ``train`` stage's output, in git) holds only what the data, code
        and parameters determine: the threshold and the test figures, rounded so that floating-point
        noise does not count as a change. ``model_info.json`` (git-ignored) names this run and the
        version it registered in the local MLflow store: a fresh clone has a different store, so
        recording it in git would be false there and would change on every training.
        """
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        info = {
            "run_id": self.run_id,
            "model_uri": f"models:/{self.registered_name}/{self.model_version}",
            "model_version": self.model_version,
            "threshold": self.threshold,
            "promoted": self.promoted,
            "promotion_reason": self.promotion_reason,
        }
        (folder / "model_info.json").write_text(json.dumps(info, indent=2) + "\n")
        figures = {"threshold": round(self.threshold, DVC_DECIMALS), "test": _rounded(self.metrics)}
        (folder / "train_metrics.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")


def _rounded(metrics: dict[str, float]) -> dict[str, float | None]:
    """Figures to ``DVC_DECIMALS`` places; NaN (undefined on this data) becomes null."""
    return {k: None if math.isnan(v) else round(float(v), DVC_DECIMALS) for k, v in sorted(metrics.items())}


def log_evaluation(evaluation: Evaluation) -> None:
    """Log an evaluation to the active run: every figure, the slice table and the plots."""
    import mlflow

    from ticketbuddy.train.plots import save_all

    mlflow.log_metrics(evaluation.flat())
    mlflow.log_table(evaluation.slices, artifact_file="evaluation/slices.json")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        save_all(evaluation, folder)
        (folder / "metrics.json").write_text(json.dumps(evaluation.nested(), indent=2, allow_nan=False))
        evaluation.slices.to_csv(folder / "slices.csv", index=False)
        mlflow.log_artifacts(str(folder), artifact_path="evaluation")


def champion_figures(
    client: Any, tickets: list[LabelledTicket], policy: Policy, name: str = REGISTERED_MODEL
) -> tuple[str, dict[str, float]] | None:
    """The champion of ``name`` evaluated on ``tickets``: (its version, its flat figures); None if none.

    Raises:
        Exception: whatever loading or scoring the champion raised (see ``run_gate``).

    """
    current = champion_version(client, name)
    if current is None:
        return None
    pyfunc, _ = load_pyfunc(f"models:/{name}/{current.version}")  # its files checked first
    return str(current.version), evaluate(pyfunc, tickets, policy).flat()


def run_gate(
    client: Any,
    candidate: dict[str, float],
    test: list[LabelledTicket],
    policy: Policy,
    params: Params,
    name: str = REGISTERED_MODEL,
) -> GateDecision:
    """Evaluate the current champion of ``name`` on the same tickets and compare it with the candidate.

    A champion that this code cannot load or score (say, one pickled by an older TicketBuddy) cannot be
    served either, so it does not block the candidate; the reason says so.
    """
    checks = gate_checks(params.promotion)
    current = champion_version(client, name)
    if current is None:
        return decide(candidate, None, checks, params.promotion.tolerance)
    try:
        found = champion_figures(client, test, policy, name)
    except Exception as exc:  # any failure means the champion is unusable by this code
        log.warning("champion version %s cannot be evaluated: %s", current.version, exc)
        reason = f"champion version {current.version} cannot be loaded or scored by this code ({exc!r})"
        return GateDecision(True, reason, candidate, None, checks)
    return decide(candidate, found[1] if found else None, checks, params.promotion.tolerance)


def gate_candidate(
    client: Any,
    model: Any,
    gate_data: list[LabelledTicket],
    training: Fingerprint | None,
    policy: Policy,
    params: Params,
    name: str = REGISTERED_MODEL,
) -> GateDecision:
    """The full gate: refuse data that cannot judge the candidate, else compare it with the champion."""
    problems = gate_data_problems(gate_data, training, params.promotion, policy)
    if problems:
        return refused(problems, gate_checks(params.promotion))
    return run_gate(client, evaluate(model, gate_data, policy).flat(), gate_data, policy, params, name)


def apply_gate(client: Any, version: str, decision: GateDecision, name: str = REGISTERED_MODEL) -> None:
    """Move the alias (with tags) or record the refusal on the version."""
    if decision.promoted:
        promote(client, version, decision, name)
    else:
        record_refusal(client, version, decision, name)


def register_model(model: EscalationModel, name: str = REGISTERED_MODEL, client: Any = None) -> str:
    """Log ``model`` to the active run, register it as ``name`` and record its files' digests.

    Returns:
        The version registered; ``integrity.record_digests`` tagged it, so loading checks its files.

    """
    from mlflow import MlflowClient

    from ticketbuddy.train.pyfunc import log_escalation_model

    info = log_escalation_model(model, registered_name=name)
    version = str(info.registered_model_version)
    record_digests(client or MlflowClient(), name, version)
    return version


#: What a version registered with ``train --no-promote`` says instead of a gate decision.
NOT_GATED = "not gated (--no-promote): registered only, @champion not moved"


def log_and_gate(
    model: EscalationModel,
    params: Params,
    evaluation: Evaluation,
    test_set: list[LabelledTicket],
    policy: Policy,
    experiment: str,
    sources: dict[str, str],
    train_set: list[LabelledTicket] | None = None,
    gate_data: list[LabelledTicket] | None = None,
    name: str = REGISTERED_MODEL,
) -> TrainResult:
    """Log params, evaluation, training fingerprint and model in one run, register it, then gate it.

    The version is registered as ``name`` and judged on ``gate_data`` (the reference set) against
    ``name``'s champion; ``gate_data`` None skips the gate (``train --no-promote``).
    """
    import mlflow
    from mlflow import MlflowClient

    experiment_id = ensure_experiment(experiment)
    client = MlflowClient()
    oof = model.info.pop("oof", {})
    fingerprint = Fingerprint.of(train_set) if train_set is not None else None
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_params(params.flat())
        mlflow.log_params({f"source.{k}": v for k, v in sources.items()})
        mlflow.log_params({f"model.{k}": v for k, v in model.info.items()})
        mlflow.log_dict(policy.model_dump(mode="json"), "policy/policy.json")
        if fingerprint is not None:
            mlflow.log_dict(fingerprint.to_dict(), FINGERPRINT_ARTIFACT)
        mlflow.log_metrics({f"train_oof_{k}": v for k, v in oof.items()})
        log_evaluation(evaluation)
        log_reference(model.features, policy, test_set, evaluation.proba, model.threshold)
        version = register_model(model, name, client)
        gate = None
        if gate_data is None:
            client.set_model_version_tag(name, version, "promotion_skipped", NOT_GATED)
            promoted, reason = False, NOT_GATED
        else:
            gate = gate_candidate(client, model, gate_data, fingerprint, policy, params, name)
            apply_gate(client, version, gate, name)
            mlflow.log_metrics({f"gate/{k}": v for k, v in gate.candidate.items() if k in gate.checks})
            promoted, reason = gate.promoted, gate.reason
        mlflow.set_tags({"promoted": str(promoted).lower(), "promotion_reason": reason[:5000]})
    return TrainResult(
        run_id=run.info.run_id,
        model_version=version,
        metrics=evaluation.metrics,
        threshold=model.threshold,
        promoted=promoted,
        promotion_reason=reason,
        registered_name=name,
        gate=gate,
    )
