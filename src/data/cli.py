"""``ticketbuddy data ...``: validate, import, generate and profile ticket histories."""

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
    allow_rejects: Annotated[bool, typer.Option(help="Exit 0 even when rows were rejected.")] = False,
) -> None:
    """Check a JSONL file against the ticket contract: exit 0 when valid, 1 with a line per bad row.

    Prints `lines read N = tickets valid V + rows rejected R + blank lines B`, and how many bot
    messages the valid tickets hold and how many of them carry the bot platform's confidence and
    intent. A file with no ticket row (empty, or only blank lines) is refused (exit 1). The file is
    only read: rejected rows go to --rejects when given (validate never writes beside the data it
    checks, which may be an immutable data/raw folder).
    """
    from ticketbuddy.data.bots import BotCoverage
    from ticketbuddy.data.jsonl import no_tickets, read_tickets, write_rejects

    result = read_tickets(path, labelled=labelled)
    for reject in result.rejects:
        typer.echo(f"line {reject.line}: {reject.reason}", err=True)
    if rejects is not None:
        write_rejects(result.rejects, rejects)
    typer.echo(result.summary())
    if empty := no_tickets(path, result):
        typer.echo(f"error: {empty}", err=True)
        raise typer.Exit(1)
    typer.echo(BotCoverage.of(result.tickets).summary() + " (in the valid tickets)")
    if result.rows_read and not result.tickets and all(_not_json(r.reason) for r in result.rejects):
        typer.echo(
            f"error: {path} is not ticket JSONL (no line is a JSON object); to convert a helpdesk"
            " export use `ticketbuddy data import`",
            err=True,
        )
    raise typer.Exit(1 if result.rejects and not allow_rejects else 0)


def _not_json(reason: str) -> bool:
    return reason.startswith(("not valid JSON", "not UTF-8", "expected a JSON object", "line is "))


@app.command("import")
def import_(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="mapping | cfpb | twcs")],
    src: Annotated[Path, typer.Argument(help="The export file.", exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option(help="Ticket JSONL to write.")],
    mapping: Annotated[
        Path | None, typer.Option(help="Column-mapping YAML (mapping format; see docs/IMPORTING.md).")
    ] = None,
    rules: Annotated[
        Path | None, typer.Option(help="CFPB label/route/channel rules YAML (default: built-in rules).")
    ] = None,
    label_rule: Annotated[
        list[str] | None,
        typer.Option(help="twcs: label threads, e.g. 'customer_turns>=3'; repeat to OR rules."),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Rejected rows (line, reason, raw) (default: --out with suffix .rejects.jsonl)."),
    ] = None,
    skipped: Annotated[
        Path | None,
        typer.Option(help="Skipped rows (not tickets) (default: --out with suffix .skipped.jsonl)."),
    ] = None,
    allow_rejects: Annotated[bool, typer.Option(help="Exit 0 even when rows were rejected.")] = False,
) -> None:
    """Import a helpdesk export (CSV / JSONL / Parquet) as ticket JSONL, accounting for every row.

    Every ticket is validated against the contract before it is written; a row that cannot become
    one goes to the rejects file with its line number (CSV: the header is line 1) and the reason.
    Prints `rows read N = tickets written T (from R rows) + rows rejected X (+ rows skipped S)`,
    and how many bot messages carry a confidence and an intent; a confidence or intent mapped on a
    customer or agent row is dropped with a counted warning (the contract keeps them for bots).
    Exit 1 when rows were rejected (unless --allow-rejects) or the source cannot be read (e.g.
    missing columns, all named); 2 for bad options or configuration files.
    """
    from ticketbuddy.data.importers.runner import ConfigError, import_file
    from ticketbuddy.data.importers.sources import SourceError

    try:
        report = import_file(
            fmt.lower(),
            src,
            out,
            mapping=mapping,
            rules=rules,
            label_rules=label_rule or [],
            rejects=rejects,
            skipped=skipped,
        )
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except SourceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    for reject in report.first_rejects:
        typer.echo(f"line {reject.line}: {reject.reason}", err=True)
    if report.rows_rejected > len(report.first_rejects):
        typer.echo(f"... and {report.rows_rejected - len(report.first_rejects)} more", err=True)
    for what, rows in report.ignored.items():
        typer.echo(f"warning: {rows} row(s): {what}", err=True)
    typer.echo(report.summary())
    if balance := report.label_balance():
        typer.echo(balance)
    if report.bots.messages:
        typer.echo(report.bots.summary())
    typer.echo(f"tickets in {report.out}")
    for count, path, what in (
        (report.rows_rejected, report.rejects_path, "rejected"),
        (report.rows_skipped, report.skipped_path, "skipped"),
    ):
        if count:
            typer.echo(f"{what} rows in {path}")
    if not report.reconciles:  # a bug, never a data problem: say so loudly
        typer.echo("error: the counts do not reconcile; please report this", err=True)
        raise typer.Exit(2)
    raise typer.Exit(1 if report.rows_rejected and not allow_rejects else 0)


@app.command()
def synth(
    n: Annotated[int | None, typer.Option(help="Tickets to write (default: the section's n).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the section's seed).")] = None,
    out: Annotated[Path | None, typer.Option(help="Output JSONL (default: the section's out).")] = None,
    params: Annotated[
        Path | None,
        typer.Option(help="Params file; default ./params.yaml if present, else built-in defaults."),
    ] = None,
    section: Annotated[
        str, typer.Option(help="Params section for n/seed/out: synth or synth_test.")
    ] = "synth",
    drift: Annotated[
        bool,
        typer.Option(
            "--drift",
            help="Apply the drift block: a new topic, other tier and channel mixes, a changed rule.",
        ),
    ] = False,
) -> None:
    """Generate a labelled ticket history as JSONL: same seed and settings, same bytes.

    Every setting but n/seed/out comes from the params file's synth section, so train and test
    histories share one hidden labelling process; flags override n and seed.
    """
    from ticketbuddy.data.synth import load_settings, write_history

    try:
        cfg, run = load_settings(params, section=section, drifted=drift)
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    count = run.n if n is None else n
    if count < 1:
        typer.echo("error: --n must be at least 1", err=True)
        raise typer.Exit(2)
    summary = write_history(cfg, count, run.seed if seed is None else seed, out or run.out)
    typer.echo(
        f"wrote {summary.tickets} tickets to {summary.path}"
        f" (escalated {summary.escalated / summary.tickets:.1%}) in {summary.seconds:.1f}s"
    )


@app.command()
def oracle(
    out: Annotated[Path, typer.Option(help="Where to write {ticket_id, probability, ...} per line.")],
    n: Annotated[int | None, typer.Option(help="Tickets (default: the section's n).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the section's seed).")] = None,
    params: Annotated[Path | None, typer.Option(help="Params file (as for synth).")] = None,
    section: Annotated[str, typer.Option(help="Params section for n/seed: synth or synth_test.")] = "synth",
    drift: Annotated[bool, typer.Option("--drift", help="The drifted history.")] = False,
) -> None:
    """Write the Bayes-optimal escalation probability of each ticket of a generated history.

    Replays ``data synth`` with the same settings and seed (same ticket ids and labels) and gives the
    probability the hidden process itself implies: the ceiling a trained model is read against
    (``ticketbuddy evaluate --oracle FILE`` reports it next to the model).
    """
    import json

    from ticketbuddy.data.synth import load_settings
    from ticketbuddy.data.synth.oracle import oracle as replay

    cfg, run = load_settings(params, section=section, drifted=drift)
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with out.open("w", encoding="utf-8") as handle:
        for ticket_id, p, escalated, flipped in replay(cfg, run.n if n is None else n,
                                                        run.seed if seed is None else seed):  # fmt: skip
            row = {"ticket_id": ticket_id, "probability": p, "escalated": escalated, "label_flipped": flipped}
            handle.write(json.dumps(row) + "\n")
            count += 1
    typer.echo(f"wrote the oracle's probabilities of {count} tickets to {out}")


@app.command()
def profile(
    path: Annotated[Path, typer.Argument(help="A labelled JSONL file.", exists=True, dir_okay=False)],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the profile as JSON only, instead of the table.")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON profile to this file.")] = None,
) -> None:
    """Describe a labelled history: rates by slice, label mix, shortcuts, variety.

    Prints a table (or, with --json, one JSON object) with: tickets and rejected rows; escalation
    rate overall and by topic, tier, channel and trajectory (topic and trajectory need the
    generator's metadata); priority and route shares among escalated tickets; the share of escalated
    tickets with no trigger keyword and of non-escalated ones with one; unique customer messages,
    single-message tickets, mean customer turns, missing customer fields; bot messages, the share
    carrying the platform's confidence and intent, and the mean confidence of escalated and other
    tickets; the escalation rate of mild complaints for VIP, standard and new standard customers;
    and precision/recall/F1 of a keyword-only classifier (escalate = any policy trigger keyword in
    the customer turns).
    """
    from ticketbuddy.data.synth.profile import dumps, profile_file
    from ticketbuddy.data.synth.table import format_table

    try:
        report = profile_file(path)
    except ValueError as exc:  # no tickets in the file
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(dumps(report) + "\n", encoding="utf-8")
    typer.echo(dumps(report) if as_json else format_table(report))
