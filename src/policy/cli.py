"""``ticketbuddy policy ...``: check a policy file offline before a service loads it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Check escalation policy files.", no_args_is_help=True)


@app.command()
def check(
    file: Annotated[Path | None, typer.Argument(help="Policy YAML [default: the shipped policy].")] = None,
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
