"""The ``ticketbuddy`` command line: one sub-command per stage.

Heavy libraries (MLflow, sentence-transformers, torch) are imported inside the commands that need
them, so ``ticketbuddy --help`` and the data commands start in well under a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ticketbuddy.data.cli import app as data_app
from ticketbuddy.handoff.cli import app as handoffs_app
from ticketbuddy.handoff.cli import sweep as sweep_command
from ticketbuddy.policy.cli import app as policy_app
from ticketbuddy.train.check_cli import app as check_app
from ticketbuddy.train.cli import register as register_training

app = typer.Typer(
    name="ticketbuddy",
    help="Escalation management: learn when a ticket needs a human, score live tickets, hand them over.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data_app, name="data")
app.add_typer(policy_app, name="policy")
app.add_typer(handoffs_app, name="handoffs")
app.command("sweep")(sweep_command)
app.add_typer(check_app, name="check")
register_training(app)

ModelUriOpt = Annotated[
    str | None,
    typer.Option("--model-uri", help="Model to use [default: models:/ticket-escalation@champion]."),
]
PolicyOpt = Annotated[
    Path | None, typer.Option("--policy", help="Escalation policy file [default: shipped].")
]


@app.command()
def score(
    input: Annotated[Path, typer.Option("--input", help="Ticket JSONL to score.", exists=True)],
    output: Annotated[Path, typer.Option("--output", help="Where to write one score JSON per line.")],
    model_uri: ModelUriOpt = None,
    policy: PolicyOpt = None,
    allow_rejects: Annotated[bool, typer.Option(help="Exit 0 even when rows were rejected.")] = False,
) -> None:
    """Score a JSONL file of tickets with the same code as the API.

    Batch scoring is offline analysis: it writes each escalation's packet to the output but queues
    nothing (no hand-off, no ticket record); live tickets go through the API, which stores them.
    """
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.serve.batch import score_file
    from ticketbuddy.serve.scoring import Scorer, load_model
    from ticketbuddy.serve.settings import Settings

    uri = model_uri or Settings().model_uri
    scorer = Scorer(load_policy(policy), load_model(uri))
    report = score_file(scorer, input, output)
    typer.echo(
        f"rows read {report.rows_read} = scored {report.scored} + rejected {report.rejected};"
        f" escalated {report.escalated}; scores in {output}"
    )
    if report.rejected:
        typer.echo(f"rejected rows written to {output.with_suffix('.rejects.jsonl')}", err=True)
    raise typer.Exit(1 if report.rejected and not allow_rejects else 0)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface [default: 127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: 8000].")] = None,
    policy: PolicyOpt = None,
) -> None:
    """Serve the scoring API (loads the champion model once at start)."""
    import uvicorn

    from ticketbuddy.serve.app import create_app
    from ticketbuddy.serve.settings import Settings
    from ticketbuddy.train.tracking import tracking_uri

    overrides = {k: v for k, v in {"host": host, "port": port, "policy_path": policy}.items() if v}
    settings = Settings(**overrides)
    typer.echo(f"TicketBuddy API docs: http://{settings.host}:{settings.port}/docs")
    typer.echo(f"MLflow dashboard:     make mlflow-ui  (tracking store {tracking_uri()})")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":  # pragma: no cover
    app()
