"""``ticketbuddy train | evaluate | promote | compare``: the data scientist's commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ticketbuddy.scoring.tracking import CHAMPION, REGISTERED_MODEL

ParamsOpt = Annotated[
    Path | None,
    typer.Option("--params", help="Hyper-parameters file.", show_default="the project's params.yaml"),
]
DataOpt = Annotated[Path, typer.Option("--data", help="Labelled ticket JSONL.", exists=True, dir_okay=False)]
RegisteredNameOpt = Annotated[
    str,
    typer.Option(
        help="Registered model name; only ticket-escalation@champion serves. Its own champion gates it."
    ),
]
ExperimentOpt = Annotated[
    str | None, typer.Option(help="MLflow experiment.", show_default="train.experiment in params.yaml")
]


def _params(path: Path | None) -> Any:
    """The hyper-parameters (``load_params``); one line and exit 1 when the file named is unusable."""
    from ticketbuddy.train.params import ParamsError, load_params

    try:
        return load_params(path)
    except ParamsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


def _labelled(path: Path) -> list:
    from ticketbuddy.train.train import DataError, load_labelled

    try:
        return load_labelled(path)
    except DataError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


def train(
    data: DataOpt,
    test_data: Annotated[
        Path | None,
        typer.Option(help="Labelled JSONL to evaluate on.", show_default="a held-out split of --data"),
    ] = None,
    experiment: ExperimentOpt = None,
    params: ParamsOpt = None,
    out_dir: Annotated[
        Path, typer.Option(help="Where train_metrics.json (DVC) and model_info.json (this machine) go.")
    ] = Path("models"),
    policy: Annotated[
        Path | None,
        typer.Option(
            help="Escalation policy to train with (its keywords are features).", show_default="shipped"
        ),
    ] = None,
    unknown_routes: Annotated[
        str,
        typer.Option(
            help="A route label the policy has no team for: `refuse` the history, or map it to the `fallback`"
            " route."
        ),
    ] = "refuse",
    no_promote: Annotated[
        bool, typer.Option("--no-promote", help="Register the version only: no gate, no alias moves.")
    ] = False,
    registered_name: RegisteredNameOpt = REGISTERED_MODEL,
) -> None:
    """Train the escalation model, log it to MLflow, register it and promote it if it is no worse.

    The gate compares candidate and champion on the reference set in params.yaml
    (promotion.reference), not on this run's test data. `--experiment` only groups runs: with
    `--registered-name` or `--no-promote` the serving champion cannot move. The policy's trigger
    families are recorded with the model, so a service whose policy says otherwise can say how it
    differs.
    """
    from ticketbuddy.policy.model import PolicyError
    from ticketbuddy.train.train import DataError
    from ticketbuddy.train.train import train as run_training

    if unknown_routes not in ("refuse", "fallback"):
        typer.echo(f"--unknown-routes must be refuse or fallback, not {unknown_routes!r}", err=True)
        raise typer.Exit(1)
    try:
        result = run_training(
            data, _params(params), test_data=test_data, experiment=experiment,
            policy_path=policy, unknown_routes=unknown_routes,  # type: ignore[arg-type]
            registered_name=registered_name, gate=not no_promote,
        )  # fmt: skip
    except (DataError, PolicyError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    shown = ("pr_auc", "recall_at_80_kept", "ece", "precision", "recall", "escalation_share")
    figures = "  ".join(f"{k}={result.metrics[k]:.3f}" for k in shown)
    typer.echo(f"run {result.run_id}: {figures}  threshold={result.threshold:.3f}")
    result.write(out_dir)
    verdict = f"promoted to @{CHAMPION}" if result.promoted else "not promoted"
    typer.echo(f"{registered_name} version {result.model_version}: {verdict} ({result.promotion_reason})")


def evaluate(
    data: DataOpt,
    model_uri: Annotated[
        str | None,
        typer.Option(
            help="Model to evaluate.", show_default="models:/ticket-escalation@champion, the one serving"
        ),
    ] = None,
    model_info: Annotated[
        Path | None,
        typer.Option(help="Evaluate the version a `ticketbuddy train` run wrote to this model_info.json."),
    ] = None,
    train_data: Annotated[
        Path | None, typer.Option(help="Training history: fit and report the baselines on it.")
    ] = None,
    oracle: Annotated[
        Path | None, typer.Option(help="Oracle probabilities (ticketbuddy data oracle): the ceiling.")
    ] = None,
    out_dir: Annotated[Path, typer.Option(help="Where metrics.json and plots/ are written.")] = Path(
        "models"
    ),
    experiment: ExperimentOpt = None,
    params: ParamsOpt = None,
) -> None:
    """Evaluate a model on labelled tickets: table, metrics.json, plots, and an MLflow run.

    By default the champion, the version serving; ``--model-info`` names the version a training run
    produced (what the DVC ``evaluate`` stage measures), ``--model-uri`` any other.
    """
    import mlflow

    from ticketbuddy.features.embedding_cache import embedding_cache
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.scoring.tracking import ensure_experiment
    from ticketbuddy.train.evaluate import evaluate as run_evaluation
    from ticketbuddy.train.plots import save_all
    from ticketbuddy.train.report import evaluation_table
    from ticketbuddy.train.runs import log_evaluation

    settings = _params(params)
    model, ref = _load(model_uri or _model_from_info(model_info) or f"models:/{REGISTERED_MODEL}@{CHAMPION}")
    with embedding_cache():
        test = _labelled(data)
        train_set = _labelled(train_data) if train_data else None
        ev = run_evaluation(
            model, test, load_policy(), train=train_set, threshold_params=settings.train.threshold,
            oracle=_oracle(oracle),
        )  # fmt: skip
    typer.echo(f"{ref.describe()} on {data} ({len(test):,} tickets)\n")
    typer.echo(evaluation_table(ev))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(ev.nested(), indent=2, allow_nan=False) + "\n")
    save_all(ev, out_dir / "plots")
    with mlflow.start_run(experiment_id=ensure_experiment(experiment or settings.train.experiment),
                          run_name="evaluate") as run:  # fmt: skip
        mlflow.set_tags({"evaluation_of": ref.exact_uri, "evaluation_data": str(data)})
        log_evaluation(ev)
    typer.echo(
        f"\nmetrics in {out_dir / 'metrics.json'}, plots in {out_dir / 'plots'}, MLflow run {run.info.run_id}"
    )


def _load(uri: str) -> tuple[Any, Any]:
    """The pyfunc at ``uri`` and its resolved reference; one line and exit 1 when it cannot be had."""
    from ticketbuddy.scoring.lookup import ModelUnavailable, load_pyfunc

    try:
        return load_pyfunc(uri)
    except ModelUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


def _oracle(path: Path | None) -> dict[str, float] | None:
    if path is None:
        return None
    rows = (json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return {row["ticket_id"]: float(row["probability"]) for row in rows}


def _model_from_info(path: Path | None) -> str | None:
    """The model URI a training run wrote to ``path``; None (the champion is used) when it is absent."""
    if path is None:
        return None
    if not path.is_file():
        typer.echo(
            f"{path} not found (it is written by `ticketbuddy train`): evaluating the champion", err=True
        )
        return None
    return json.loads(path.read_text()).get("model_uri")


def champion() -> None:
    """Show the version that serves (@champion): who promoted it, when and why. Exit 1 when there is none.

    ``make train`` runs this after ``dvc repro``: a tracking store without a champion (a fresh clone, a
    deleted ``mlflow.db``, a new ``MLFLOW_TRACKING_URI``) gets one trained instead of a service that
    would have nothing to serve.
    """
    from ticketbuddy.scoring.lookup import ModelUnavailable
    from ticketbuddy.scoring.lookup import champion as find_champion
    from ticketbuddy.scoring.tracking import configure

    try:
        ref, version = find_champion()
    except ModelUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    tags = version.tags or {}
    typer.echo(f"{ref.name}@{CHAMPION} is version {ref.version} in {configure()} (run {version.run_id})")
    if "promoted_at" in tags:
        who, why = tags.get("promoted_by", "?"), tags.get("promotion_reason", "")
        typer.echo(f"  promoted {tags['promoted_at']} by {who}: {why}")


def compare(
    data: DataOpt,
    test_data: Annotated[Path | None, typer.Option(help="Labelled JSONL to evaluate on.")] = None,
    experiment: ExperimentOpt = None,
    params: ParamsOpt = None,
) -> None:
    """Train and evaluate each variant in params.yaml (compare.variants), one MLflow run each."""
    from ticketbuddy.train.compare import compare as run_compare
    from ticketbuddy.train.report import comparison_table

    results = run_compare(data, _params(params), test_data=test_data, experiment=experiment)
    typer.echo(comparison_table(results))


def register(app: typer.Typer) -> None:
    """Add the training commands to the root ``ticketbuddy`` app."""
    from ticketbuddy.train.promote_cli import promote
    from ticketbuddy.train.retrain_cli import retrain

    for command in (train, evaluate, promote, compare, champion, retrain):
        app.command()(command)
