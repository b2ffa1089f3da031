"""The reference set the gate judges on, and the labelled-feedback files it and ``retrain`` read.

The reference set is fixed in ``params.yaml`` (``promotion.reference``): the champion's test file plus
recent labelled feedback. A candidate trained on any data, in any experiment, is compared with the
champion on it, never on a split its own run chose.

Label files are labelled tickets in the history format (``ticketbuddy labels export``), each carrying
``metadata.label = {"provenance": "handoff" | "feedback" | "inferred", "source": ..., "at": ISO time}``.
"""

from __future__ import annotations

import contextlib
import glob
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ticketbuddy.policy.model import Policy
from ticketbuddy.schemas import LabelledTicket, in_window
from ticketbuddy.train.params import ReferenceParams


def label_files(spec: str | Path | None) -> list[Path]:
    """The JSONL files ``spec`` names: a file, a folder (its ``*.jsonl``) or a glob; none when absent."""
    if spec is None or str(spec) == "":
        return []
    path = Path(spec)
    if path.is_dir():
        return sorted(path.glob("*.jsonl"))
    if path.is_file():
        return [path]
    return sorted(Path(p) for p in glob.glob(str(spec)) if Path(p).is_file())


def label_time(ticket: LabelledTicket) -> datetime:
    """When the label was given (``metadata.label.at``), else when the ticket was created; in UTC.

    A label time outside the contract's window (``schemas.in_window``) is not used: ``metadata`` is
    free-form, and year 1 would make ``recent`` overflow when it counts days back from the newest.
    """
    label = ticket.metadata.get("label")
    when = ticket.created_at
    if isinstance(label, dict) and isinstance(label.get("at"), str):
        with contextlib.suppress(ValueError):  # an unreadable time: the ticket's own
            at = datetime.fromisoformat(label["at"])
            when = at if in_window(at) else when
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def provenance(ticket: LabelledTicket) -> str:
    """``handoff``, ``feedback`` or ``inferred`` from ``metadata.label``; ``unknown`` without one."""
    label = ticket.metadata.get("label")
    return str(label.get("provenance") or "unknown") if isinstance(label, dict) else "unknown"


def load_labels(paths: Iterable[str | Path], policy: Policy | None = None) -> list[LabelledTicket]:
    """Every labelled ticket in ``paths``; a ticket id in a later file replaces the earlier one."""
    from ticketbuddy.train.train import load_labelled

    by_id: dict[str, LabelledTicket] = {}
    for path in paths:
        for ticket in load_labelled(path, policy):
            by_id[ticket.ticket_id] = ticket
    return list(by_id.values())


def recent(labels: Sequence[LabelledTicket], days: int) -> list[LabelledTicket]:
    """Labels given within ``days`` of the newest one (all of them when ``days`` is 0)."""
    if not labels or days == 0:
        return list(labels)
    newest = max(label_time(t) for t in labels)
    return [t for t in labels if label_time(t) >= newest - timedelta(days=days)]


def newest_share(
    labels: Sequence[LabelledTicket], share: float
) -> tuple[list[LabelledTicket], list[LabelledTicket]]:
    """(the older labels, the newest ``share`` of them by label time); ties broken by ticket id."""
    ordered = sorted(labels, key=lambda t: (label_time(t), t.ticket_id))
    held = round(len(ordered) * share)
    cut = len(ordered) - held
    return ordered[:cut], ordered[cut:]


def merge(
    base: Sequence[LabelledTicket], newer: Sequence[LabelledTicket]
) -> tuple[list[LabelledTicket], list[str]]:
    """``base`` with ``newer`` appended, a newer ticket replacing a base one of the same id.

    Returns the merged tickets and the replaced ticket ids (sorted).
    """
    ids = {t.ticket_id for t in newer}
    kept = [t for t in base if t.ticket_id not in ids]
    replaced = sorted(ids & {t.ticket_id for t in base})
    return kept + list(newer), replaced


def reference_set(
    reference: ReferenceParams,
    policy: Policy | None = None,
    extra: Sequence[LabelledTicket] = (),
    exclude: frozenset[str] = frozenset(),
) -> list[LabelledTicket]:
    """The gate's data: the reference test file, recent labelled feedback and ``extra`` tickets.

    A label (and then an ``extra`` ticket) replaces a test ticket of the same id: it is the newer word.
    Feedback labels whose id is in ``exclude`` are left out (``retrain`` trains on them).

    Raises:
        DataError: the reference test file is missing or breaks the contract.

    """
    from ticketbuddy.train.train import DataError, load_labelled

    if not Path(reference.test_data).is_file():
        raise DataError(
            f"reference test data {reference.test_data} not found (promotion.reference.test_data in "
            "params.yaml; `make data` writes it): the gate cannot judge without it"
        )
    tickets = load_labelled(reference.test_data, policy)
    feedback = recent(load_labels(label_files(reference.labels), policy), reference.recent_days)
    feedback = [t for t in feedback if t.ticket_id not in exclude]
    tickets, _ = merge(tickets, feedback)
    tickets, _ = merge(tickets, extra)
    return tickets
