"""The ``ticketbuddy`` command line: one sub-command per stage.

Heavy libraries (MLflow, sentence-transformers, torch) are imported inside the commands that need
them, so ``ticketbuddy --help`` and the data commands start in well under a second.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ticketbuddy.data.cli import app as data_app
from ticketbuddy.handoff.cli import app as handoffs_app
from ticketbuddy.handoff.cli import purge as purge_command
from ticketbuddy.handoff.cli import sweep as sweep_command
from ticketbuddy.handoff.db_cli import app as db_app
from ticketbuddy.handoff.labels_cli import app as labels_app
from ticketbuddy.handoff.monitor.cli import monitor as monitor_command
from ticketbuddy.train.check_cli import app as check_app
from ticketbuddy.train.cli import register as register_training
from ticketbuddy.train.policy_cli import app as policy_app

if TYPE_CHECKING:
    from ticketbuddy.handoff.store import HandoffStore

app = typer.Typer(
    name="ticketbuddy",
    help="Escalation management: learn when a ticket needs a human, score live tickets, hand them over.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
app.add_typer(data_app, name="data")
app.add_typer(policy_app, name="policy")
app.add_typer(handoffs_app, name="handoffs")
app.add_typer(db_app, name="db")
app.add_typer(labels_app, name="labels")
app.command("sweep")(sweep_command)
app.command("purge")(purge_command)
app.command("monitor")(monitor_command)
app.add_typer(check_app, name="check")
register_training(app)

ModelUriOpt = Annotated[
    str | None,
    typer.Option("--model-uri", help="Model to use.", show_default="models:/ticket-escalation@champion"),
]
PolicyOpt = Annotated[
    Path | None, typer.Option("--policy", help="Escalation policy file.", show_default="the shipped policy")
]


@app.command()
def score(
    input: Annotated[Path, typer.Option("--input", help="Ticket JSONL to score.", exists=True)],
    output: Annotated[Path, typer.Option("--output", help="Where to write one score JSON per line.")],
    model_uri: ModelUriOpt = None,
    policy: PolicyOpt = None,
    rejects: Annotated[
        Path | None,
        typer.Option(
            help="Where rows that break the contract go.",
            show_default="the output with suffix .rejects.jsonl",
        ),
    ] = None,
    allow_rejects: Annotated[bool, typer.Option(help="Exit 0 even when rows were rejected.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Chunks scored at once, each with a one-thread encoder (same scores).",
            show_default="TICKETBUDDY_SCORE_WORKERS, else one per core",
        ),
    ] = None,
) -> None:
    """Score a JSONL file of tickets with the same code as the API.

    Batch scoring is offline analysis: it writes each escalation's packet to the output but queues
    nothing (no hand-off, no ticket record); live tickets go through the API, which stores them.
    """
    from ticketbuddy.features.encoder import use_encoder_threads, use_numeric_threads
    from ticketbuddy.handoff.batch import score_file
    from ticketbuddy.policy.model import PolicyError, load_policy
    from ticketbuddy.scoring.lookup import ModelUnavailable
    from ticketbuddy.scoring.scorer import Scorer, load_model
    from ticketbuddy.scoring.warm import ready
    from ticketbuddy.settings import BatchSettings, ServiceSettings

    workers = workers or BatchSettings().workers()
    if workers > 1:  # one core each: an encoder thread pool per call would oversubscribe them
        use_encoder_threads(1)
        use_numeric_threads(1)
    try:
        scorer = Scorer(load_policy(policy), load_model(model_uri or ServiceSettings().model_uri))
    except (ModelUnavailable, PolicyError) as exc:
        typer.echo(f"ticketbuddy score: {exc}", err=True)
        raise typer.Exit(1) from exc
    if scorer.model is not None and scorer.model.version is not None:
        typer.echo(f"scoring with {scorer.model.name} version {scorer.model.version}")
    report = score_file(ready(scorer), input, output, rejects, workers=workers)
    typer.echo(
        f"rows read {report.rows_read} = scored {report.scored} + rejected {report.rejected};"
        f" escalated {report.escalated}; scores in {output}"
    )
    if report.rejects_path is not None:
        typer.echo(f"rejected rows (line and reason) written to {report.rejects_path}", err=True)
    raise typer.Exit(1 if report.rejected and not allow_rejects else 0)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on.", show_default="127.0.0.1")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.", show_default="8000")] = None,
    policy: PolicyOpt = None,
    allow_rules_only: Annotated[
        bool,
        typer.Option(
            "--allow-rules-only",
            help="Start even when no model can be loaded, deciding by the policy's rules alone"
            " (TICKETBUDDY_REQUIRE_MODEL=false does the same).",
        ),
    ] = False,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev",
            help="Development: API keys may come from ./.env, and without any a one-off all-scope key"
            " is printed on the terminal. Without it keys come only from the environment or the keys file.",
        ),
    ] = False,
) -> None:
    """Serve the scoring API and the hand-off queue with the champion model.

    Without a model to serve it refuses to start and says how to train one: the rules-only fallback
    is for a model that fails in production, not for a forgotten training step. The hand-off store's
    schema is brought to head before the server starts; a store upgraded by a newer TicketBuddy is
    refused (one line, exit 1), an unreachable one is retried while the API answers 503.
    """
    import uvicorn
    from pydantic import ValidationError

    from ticketbuddy.handoff.store import SchemaMismatch
    from ticketbuddy.policy.model import PolicyError
    from ticketbuddy.scoring.lookup import ModelUnavailable
    from ticketbuddy.scoring.tracking import tracking_uri
    from ticketbuddy.serve.app import create_app, serving_holder
    from ticketbuddy.serve.keys import ApiKeyError
    from ticketbuddy.settings import SecuritySettings, ServiceSettings, settings_problem

    given: dict[str, Any] = {"host": host, "port": port, "policy_path": policy}
    overrides = {k: v for k, v in given.items() if v}
    if allow_rules_only:
        overrides["require_model"] = False
    try:
        settings = ServiceSettings(**overrides)
        # Outside development a stale ./.env must grant no one a key: keys come from the environment.
        security = SecuritySettings() if dev else SecuritySettings(_env_file=None)
        holder = serving_holder(settings)
        application = create_app(settings, holder=holder, security=security, dev=dev)
        store_line = _schema_at_start(application.state.store)
    except (ModelUnavailable, PolicyError, SchemaMismatch, ApiKeyError) as exc:
        typer.echo(f"ticketbuddy serve: not started: {exc}", err=True)
        raise typer.Exit(1) from exc
    except ValidationError as exc:  # a setting read at start, e.g. TICKETBUDDY_REDACT_PATTERNS
        typer.echo(f"ticketbuddy serve: not started: {settings_problem(exc)}", err=True)
        raise typer.Exit(1) from exc
    model = holder.current().model
    serving = f"{model.name} version {model.version}" if model else "NO MODEL: the policy's rules alone"
    typer.echo(f"Serving:              {serving} ({settings.model_uri})")
    if store_line is not None:
        typer.echo(f"Hand-off store:       {store_line}")
    typer.echo(f"TicketBuddy API docs: http://{settings.host}:{settings.port}/docs")
    typer.echo(f"MLflow dashboard:     make mlflow-ui  (tracking store {tracking_uri()})")
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again: by default that kills the
    # process before its exit handlers run, and the model's local copy (``scoring.copies``) would stay
    # behind. As an exit it runs them.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")


def _exit_on_signal(signum: int, frame: object) -> None:
    """End the process as an exit (exit handlers run) with the shell's status for the signal."""
    raise SystemExit(128 + signum)


def _schema_at_start(store: HandoffStore) -> str | None:
    """Bring the hand-off store's schema to head before the server starts; say where it stands.

    None when the store cannot be reached now: the service starts all the same, and its start-up
    tries again, logs why it failed and answers 503 until the store is back. A schema this code
    cannot use (``SchemaMismatch``, e.g. newer) is raised: the service must not start.
    """
    from ticketbuddy.handoff.store import SchemaMismatch, StoreUnavailable

    try:
        change = store.open()
    except SchemaMismatch:
        raise
    except StoreUnavailable:
        return None
    return f"{store.where}, schema {change.describe() if change else 'at head'}"


if __name__ == "__main__":  # pragma: no cover
    app()
