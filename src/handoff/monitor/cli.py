"""``ticketbuddy monitor``: measure windows of live traffic and log one MLflow run each (cron-able).

Exit codes: 0 all well, 1 the store or params cannot be used, 3 a window with enough tickets breached
an alert of ``monitor.alerts`` (a scheduler pages on it).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ticketbuddy.handoff.cli import DbUrlOpt, store_for

if TYPE_CHECKING:
    from ticketbuddy.handoff.monitor.champion import Champion

#: Exit code of a run in which some window breached an alert.
ALERT_EXIT = 3
_LENGTH = re.compile(r"^(\d+)([dh])$")


def window_length(text: str) -> timedelta:
    """``1d`` → one day, ``6h`` → six hours.

    Raises:
        typer.BadParameter: Anything else.

    """
    match = _LENGTH.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise typer.BadParameter(f"--window {text!r}: give a number of days or hours, e.g. 1d or 6h")
    number, unit = int(match.group(1)), match.group(2)
    return timedelta(days=number) if unit == "d" else timedelta(hours=number)


def parse_until(text: str | None) -> datetime | None:
    """``2026-11-20`` (midnight UTC) or an ISO date-time (UTC when no zone is given)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"--until {text!r}: give an ISO date such as 2026-11-20") from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def monitor(
    window: Annotated[str, typer.Option("--window", help="Window length: days (1d) or hours (6h).")] = "1d",
    until: Annotated[
        str | None,
        typer.Option("--until", help="End of the last window (ISO date, UTC).", show_default="now, floored"),
    ] = None,
    backfill: Annotated[int, typer.Option("--backfill", min=1, help="How many windows up to --until.")] = 1,
    db_url: DbUrlOpt = None,
    model_uri: Annotated[
        str | None,
        typer.Option(
            "--model-uri",
            help="Model whose reference profile drift is measured against.",
            show_default="TICKETBUDDY_MODEL_URI or models:/ticket-escalation@champion",
        ),
    ] = None,  # fmt: skip
    params_file: Annotated[
        Path | None,
        typer.Option(
            "--params", help="Parameters file with a monitor section.", show_default="./params.yaml"
        ),
    ] = None,
) -> None:
    """Measure windows of live traffic (hand-off precision, misses, recall estimate, drift) into MLflow.

    One run per window in the experiment `ticket-escalation-live` (a window measured again replaces
    its run). Exits 3 when a window with at least `monitor.min_tickets` tickets breaches an alert.
    """
    from ticketbuddy.handoff.monitor.params import MonitorParamsError, load_monitor_params
    from ticketbuddy.handoff.monitor.runs import log_window
    from ticketbuddy.handoff.monitor.window import windows
    from ticketbuddy.handoff.store import StoreUnavailable

    length, end = window_length(window), parse_until(until)
    try:
        params = load_monitor_params(params_file)
    except MonitorParamsError as exc:
        typer.echo(f"ticketbuddy monitor: {exc}", err=True)
        raise typer.Exit(1) from exc
    champion = _champion(model_uri)
    store = store_for(db_url)
    paged = False
    try:
        for each in windows(length, end, backfill, datetime.now(UTC)):
            result = log_window(store, each, champion, params)
            typer.echo(
                _line(result.window.name, result.metrics, result.alert, result.too_few, params.min_tickets)
            )
            paged = paged or bool(result.breaches)
    except StoreUnavailable as exc:
        typer.echo(f"ticketbuddy monitor: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        store.close()
    raise typer.Exit(ALERT_EXIT if paged else 0)


def _champion(model_uri: str | None) -> Champion | None:
    """The model to compare with, or None (said on stderr): the operational figures still count."""
    from ticketbuddy.handoff.monitor.champion import load_champion
    from ticketbuddy.scoring.lookup import ModelUnavailable
    from ticketbuddy.settings import ServiceSettings

    try:
        return load_champion(model_uri or ServiceSettings().model_uri)
    except ModelUnavailable as exc:
        typer.echo(f"ticketbuddy monitor: drift not measured: {exc}", err=True)
        return None


def _line(name: str, metrics: dict[str, float], alert: str, too_few: bool, floor: int) -> str:
    """One summary line per window for the cron log."""
    figures = " ".join(
        f"{k}={metrics[k]:.3f}" for k in ("escalation_share", "precision", "recall", "missed_escalation_rate")
        if k in metrics
    )  # fmt: skip
    state = f"too few tickets (< {floor}): no alert" if too_few else f"alert={alert}"
    return f"{name}: tickets={int(metrics.get('tickets', 0))} {figures} {state}"
