"""``ticketbuddy labels export``: verdicts since a date as labelled tickets for ``ticketbuddy retrain``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from ticketbuddy.handoff.cli import DbUrlOpt, store_for

app = typer.Typer(
    help="Training labels from what happened next: hand-off outcomes, verdicts, probable misses.",
    no_args_is_help=True,
)


def _since(value: str) -> datetime:
    """A date (``2026-11-01``) or time (``2026-11-01T09:00:00+00:00``); UTC when no zone is given."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not an ISO date such as 2026-11-01") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="Where to write labelled ticket JSONL.")],
    since: Annotated[
        str,
        typer.Option(
            "--since", help="Verdicts given on or after this date (ISO, UTC unless a zone is given)."
        ),
    ] = "1970-01-01",
    db_url: DbUrlOpt = None,
) -> None:
    """One labelled ticket per ticket with a verdict: hand-off outcomes, feedback, probable misses.

    The newest explicit verdict on a ticket wins; an inferred probable miss counts only without one.
    Each line is a ticket of the history format with its full conversation and ``metadata.label``
    (provenance, source, time), ready for ``ticketbuddy retrain --labels``.
    """
    from ticketbuddy.handoff.labels import export_labels
    from ticketbuddy.handoff.store import StoreUnavailable
    from ticketbuddy.settings import ServiceSettings

    start = _since(since)
    store = store_for(db_url)
    try:
        report = export_labels(store, out, start, ServiceSettings().link_window)
    except StoreUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    finally:
        store.close()
    typer.echo(f"since {start.isoformat()}: {report.describe()}\nlabels in {out}")
