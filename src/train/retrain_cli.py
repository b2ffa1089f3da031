"""``ticketbuddy retrain``: the history plus new labels, trained and always gated against the champion."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ticketbuddy.scoring.tracking import REGISTERED_MODEL
from ticketbuddy.train.cli import ExperimentOpt, ParamsOpt, RegisteredNameOpt, _params


def retrain(
    history: Annotated[
        Path, typer.Option(help="Labelled ticket history JSONL.", exists=True, dir_okay=False)
    ],
    labels: Annotated[
        list[Path],
        typer.Option(
            help="Labelled tickets, as ticketbuddy labels export writes them: a JSONL file or a folder;"
            " repeat for more. A label line replaces the history line of the same ticket_id."
        ),
    ],
    experiment: ExperimentOpt = None,
    params: ParamsOpt = None,
    registered_name: RegisteredNameOpt = REGISTERED_MODEL,
) -> None:
    """Retrain on the history merged with new labels; the newest labels are held out for the gate.

    Prints the rows taken from the history and from the labels (by provenance), the history tickets the
    labels replaced, and each gate figure for champion and candidate on the gate data and on the recent
    labels alone. Exit 0 when the candidate was promoted, 1 when not (or when the data is refused).
    """
    from ticketbuddy.policy.model import PolicyError
    from ticketbuddy.train.reference import label_files
    from ticketbuddy.train.registry import gate_checks
    from ticketbuddy.train.retrain import report
    from ticketbuddy.train.retrain import retrain as run_retrain
    from ticketbuddy.train.train import DataError

    settings = _params(params)
    missing = [str(p) for p in labels if not p.exists()]
    files = [f for p in labels for f in label_files(p)]
    if missing or not files:
        what = f"{', '.join(missing)} not found" if missing else "no *.jsonl label files there"
        typer.echo(f"--labels {' '.join(map(str, labels))}: {what}; nothing to retrain", err=True)
        raise typer.Exit(1)
    try:
        done = run_retrain(history, files, settings, experiment=experiment, registered_name=registered_name)
    except (DataError, PolicyError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"run {done.result.run_id}")
    typer.echo(report(done, gate_checks(settings.promotion)))
    raise typer.Exit(0 if done.result.promoted else 1)
