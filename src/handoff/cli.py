"""``ticketbuddy sweep``, ``purge`` and ``handoffs ...``: the queue from the command line.

All read ``TICKETBUDDY_DB_URL`` (or ``--db-url``) like the service, so a scheduler can run the SLA
sweep when the in-service sweeper is off, an operator can erase a customer who asked to be forgotten,
and data scientists can turn agents' verdicts into labels.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ticketbuddy.handoff.store import HandoffStore

app = typer.Typer(
    help="The hand-off queue: export agents' verdicts as training labels.", no_args_is_help=True
)

DbUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--db-url",
        help="Hand-off store URL.",
        show_default="TICKETBUDDY_DB_URL or sqlite:///handoffs.db",
    ),
]


def store_for(db_url: str | None) -> HandoffStore:
    """The hand-off store at ``db_url``, or the service's (``TICKETBUDDY_DB_URL``) when None."""
    from ticketbuddy.handoff.store import HandoffStore
    from ticketbuddy.settings import ServiceSettings

    return HandoffStore(db_url or ServiceSettings().db_url)


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="Where to write labelled ticket JSONL.")],
    db_url: DbUrlOpt = None,
) -> None:
    """Write every resolved hand-off as a labelled ticket (escalated = the agent said a human was needed)."""
    from ticketbuddy.handoff.export import export_resolved
    from ticketbuddy.handoff.store import StoreUnavailable

    store = store_for(db_url)
    try:
        report = export_resolved(store, out)
    except StoreUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    finally:
        store.close()
    typer.echo(
        f"resolved hand-offs {report.resolved} = needed {report.needed} + not needed {report.not_needed};"
        f" labels in {out}"
    )


def sweep(
    db_url: DbUrlOpt = None,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="Escalation policy file.", show_default="the shipped policy"),
    ] = None,
) -> None:
    """One SLA sweep: release stale claims, re-route overdue hand-offs, delete what is past retention."""
    from ticketbuddy.handoff.clock import SystemClock
    from ticketbuddy.handoff.store import StoreUnavailable
    from ticketbuddy.handoff.sweeper import sweep as sweep_once
    from ticketbuddy.policy.model import PolicyError, load_policy
    from ticketbuddy.settings import ServiceSettings

    settings = ServiceSettings()
    store = store_for(db_url)
    try:
        report = sweep_once(
            store, load_policy(policy or settings.policy_path), SystemClock(), settings.ticket_retention
        )
    except (StoreUnavailable, PolicyError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    finally:
        store.close()
    for move in report.moves:
        typer.echo(f"{move.kind:<13} {move.describe()}")
    n = Counter(move.kind for move in report.moves)
    typer.echo(
        f"rerouted {n['rerouted']}, SLA breached {n['sla_breached']}, claims expired {n['claim_expired']},"
        f" {report.removed.describe()}"
    )


def purge(
    customer: Annotated[
        str, typer.Option("--customer", help="The customer id to erase (customer.customer_id).")
    ],
    db_url: DbUrlOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Erase without asking for confirmation.")] = False,
) -> None:
    """Erase one customer: their tickets, hand-offs (open ones too), events, and messages in other hand-offs.

    One transaction; a second run finds nothing and says so. Only the hand-off store: label files,
    training histories and the helpdesk are erased elsewhere.
    """
    from ticketbuddy.handoff.purge import preview, purge_customer
    from ticketbuddy.handoff.store import StoreUnavailable
    from ticketbuddy.policy.engine import PolicyEngine
    from ticketbuddy.policy.model import PolicyError, load_policy
    from ticketbuddy.settings import ServiceSettings

    store = store_for(db_url)
    try:
        planned = preview(store, customer)
        if planned.nothing:
            typer.echo(f"nothing to erase: no ticket, hand-off or message of this customer in {store.where}")
            return
        if not yes:
            typer.echo(f"to erase from {store.where}: {planned.describe()}")
            if not typer.confirm(f"Erase customer {customer!r} from {store.where}?"):
                typer.echo("nothing erased")
                raise typer.Exit(1)
        engine = PolicyEngine(load_policy(ServiceSettings().policy_path))
        done = purge_customer(store, customer, engine)
    except (StoreUnavailable, PolicyError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    finally:
        store.close()
    typer.echo(f"customer erased from {store.where}:")
    typer.echo("\n".join(f"  {line}" for line in done.lines()))
