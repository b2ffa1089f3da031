"""``ticketbuddy policy ...``: check a policy file offline, and test it on a ticket history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ticketbuddy.policy.calibrate import TicketTrace
    from ticketbuddy.policy.engine import Learned
    from ticketbuddy.policy.model import Policy
    from ticketbuddy.schemas import Ticket

app = typer.Typer(help="Check escalation policy files and test them on a history.", no_args_is_help=True)


@app.command()
def check(
    file: Annotated[
        Path | None, typer.Argument(help="Policy YAML.", show_default="the shipped policy")
    ] = None,
) -> None:
    """Validate a policy: exit 0 when a service would accept it, 1 naming the entry at fault."""
    from ticketbuddy.policy.model import PolicyError, load_policy

    try:
        policy = load_policy(file)
    except PolicyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"policy ok: {len(policy.teams)} teams, {len(policy.routes)} routes, {len(policy.triggers)} trigger"
        f" families, {len(policy.priority_rules)} priority rules, {len(policy.route_rules)} route rules"
    )


@app.command("test")
def policy_test(
    tickets: Annotated[
        Path, typer.Option("--tickets", help="Ticket JSONL, labelled (escalated) for precision.", exists=True)
    ],
    file: Annotated[Path | None, typer.Argument(help="Policy YAML (default: the shipped policy).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object: traces and summary.")] = False,
    model_uri: Annotated[
        str | None,
        typer.Option("--model-uri", help="Decide with this model and the rules (default: the rules alone)."),
    ] = None,
    summary_only: Annotated[
        bool, typer.Option(help="Print the summary tables only, not each ticket.")
    ] = False,
    families: Annotated[
        bool,
        typer.Option(
            "--families",
            help="Only the trigger families: firing rate, precision and recall by keywords, examples and"
            " both, and the example threshold that balances them best on this history.",
        ),
    ] = False,
) -> None:
    """Show which rules fire on each ticket of a history, and how often and how precisely each fires.

    Calibrate triggers and rules on your own history before switching them on. Without --model-uri the
    escalation decision is the rules' alone, as when no model is loaded.
    """
    from ticketbuddy.data.jsonl import read_tickets
    from ticketbuddy.policy.calibrate import read_labels, summarise, trace_rules
    from ticketbuddy.policy.model import PolicyError, load_policy

    try:
        policy = load_policy(file)
    except PolicyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    read = read_tickets(tickets)
    if read.rejects:
        first = read.rejects[0]
        typer.echo(f"{len(read.rejects)} rows rejected (line {first.line}: {first.reason})", err=True)
    if families:
        _families(policy, read.tickets, tickets, as_json)
        return
    predictions, threshold = _predictions(policy, read.tickets, model_uri)
    traces = trace_rules(policy, read.tickets, read_labels(tickets), predictions, threshold)
    _report(traces, summarise(policy, traces), model_uri, as_json, summary_only)


def _families(policy: Policy, tickets: list[Ticket], path: Path, as_json: bool) -> None:
    """The trigger-family report (``--families``)."""
    from ticketbuddy.policy.calibrate import read_labels
    from ticketbuddy.policy.families import family_report, render_family_report

    report = family_report(policy, tickets, read_labels(path))
    typer.echo(json.dumps(report, indent=2) if as_json else render_family_report(report))


def _predictions(
    policy: Policy, tickets: list[Ticket], model_uri: str | None
) -> tuple[list[tuple[float | None, Learned]] | None, float | None]:
    """Model probability and learned answers per ticket, with the threshold; (None, None) without a model."""
    if model_uri is None:
        return None, None
    from ticketbuddy.scoring.scorer import Scorer, load_model

    model = load_model(model_uri)
    scorer = Scorer(policy, model)
    predictions = []
    for start in range(0, len(tickets), 256):
        predictions += scorer.predictions(tickets[start : start + 256])
    return predictions, model.threshold


def _report(
    traces: list[TicketTrace], summary: dict, model_uri: str | None, as_json: bool, summary_only: bool
) -> None:
    from ticketbuddy.policy.calibrate_report import render_summary, render_trace, trace_to_dict

    if as_json:
        body: dict = {"model_uri": model_uri, "summary": summary}
        if not summary_only:
            body["tickets"] = [trace_to_dict(t) for t in traces]
        typer.echo(json.dumps(body, indent=2))
        return
    if not summary_only:
        for trace in traces:
            typer.echo(render_trace(trace))
        typer.echo("")
    typer.echo(f"decided by {f'model {model_uri} and the rules' if model_uri else 'the rules alone'}")
    typer.echo(render_summary(summary))
