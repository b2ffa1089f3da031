"""``ticketbuddy promote``: move a registered version to @champion through the full gate.

The gate data is the reference set of ``params.yaml`` unless ``--data`` names another file; either way
it is refused when it shares tickets with the version's training set (read back from the fingerprint its
training run logged) or lacks a slice the gate names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ticketbuddy.scoring.tracking import CHAMPION, REGISTERED_MODEL
from ticketbuddy.train.cli import ParamsOpt, RegisteredNameOpt, _labelled, _load, _params


def training_fingerprint(run_id: str | None) -> Any:
    """The ``Fingerprint`` the version's training run logged; None when the run logged none."""
    import mlflow

    from ticketbuddy.train.fingerprint import FINGERPRINT_ARTIFACT, Fingerprint

    if not run_id:
        return None
    try:
        return Fingerprint.from_dict(mlflow.artifacts.load_dict(f"runs:/{run_id}/{FINGERPRINT_ARTIFACT}"))
    except Exception:  # no such artifact (a version trained before fingerprints), or unreadable
        return None


def promote(
    version: Annotated[str, typer.Option(help="Registered version to promote.")],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Labelled JSONL to judge on.",
            show_default="the reference set (promotion.reference in params.yaml)",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    params: ParamsOpt = None,
    registered_name: RegisteredNameOpt = REGISTERED_MODEL,
) -> None:
    """Move @champion to VERSION only if the gate data can judge it and it is no worse than the champion.

    Exit 0 when promoted; 1 when refused (the reason is printed and tagged on the version).
    """
    from mlflow import MlflowClient

    from ticketbuddy.features.embedding_cache import embedding_cache
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.train.reference import reference_set
    from ticketbuddy.train.runs import apply_gate, gate_candidate
    from ticketbuddy.train.train import DataError

    if not version.isdigit() or int(version) < 1:
        hint = "`ticketbuddy champion` shows the one serving, the MLflow UI lists them all"
        typer.echo(f"--version must be a version number such as 3, not {version!r}: {hint}", err=True)
        raise typer.Exit(1)
    settings = _params(params)
    policy = load_policy()
    candidate, ref = _load(f"models:/{registered_name}/{int(version)}")
    client = MlflowClient()
    fingerprint = training_fingerprint(client.get_model_version(registered_name, str(ref.version)).run_id)
    with embedding_cache():
        try:
            gate_data = _labelled(data) if data else reference_set(settings.promotion.reference, policy)
        except DataError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
        decision = gate_candidate(
            client, candidate, gate_data, fingerprint, policy, settings, registered_name
        )
    apply_gate(client, str(ref.version), decision, registered_name)
    verdict = f"promoted to @{CHAMPION}" if decision.promoted else "NOT promoted"
    typer.echo(f"{ref.describe()}: {verdict}\n{decision.reason}")
    raise typer.Exit(0 if decision.promoted else 1)
