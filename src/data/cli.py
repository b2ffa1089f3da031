"""``ticketbuddy data ...``: validate, generate and profile ticket histories."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Validate, generate and profile ticket histories.", no_args_is_help=True)


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="A ticket JSONL file.", exists=True, dir_okay=False)],
    labelled: Annotated[bool, typer.Option(help="Require training labels (escalated, ...).")] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Write rejected rows (line, reason, raw) to this JSONL file."),
    ] = None,
) -> None:
    """Check a JSONL file against the ticket contract: exit 0 when valid, 1 with a line per bad row."""
    from ticketbuddy.data.jsonl import read_tickets, write_rejects

    result = read_tickets(path, labelled=labelled)
    for reject in result.rejects:
        typer.echo(f"line {reject.line}: {reject.reason}", err=True)
    if rejects is not None:
        write_rejects(result.rejects, rejects)
    typer.echo(
        f"rows read {result.rows_read} = tickets valid {len(result.tickets)}"
        f" + rows rejected {len(result.rejects)}"
    )
    raise typer.Exit(1 if result.rejects else 0)
