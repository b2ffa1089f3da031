"""``ticketbuddy policy test`` as text: one line per ticket, and the calibration tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from ticketbuddy.policy.calibrate import TicketTrace


def trace_to_dict(trace: TicketTrace) -> dict[str, Any]:
    """A JSON-ready trace."""
    return asdict(trace)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def render_trace(trace: TicketTrace) -> str:
    """One ticket on one line: decision, label, triggers with phrases, VIP, priority and route rules."""
    label = "" if trace.label is None else f" (history: {'escalated' if trace.label.escalated else 'kept'})"
    p = "" if trace.probability is None else f" p={trace.probability:.2f}"
    triggers = " ".join(f"{f}[{', '.join(w)}]" for f, w in sorted(trace.triggers.items())) or "-"
    vetoed = "".join(f" vetoed {f}[{', '.join(w)}];" for f, w in sorted(trace.vetoed.items()))
    kept = f" kept by {trace.kept_by};" if trace.kept_by else ""
    return (
        f"{trace.ticket_id}: {'ESCALATE' if trace.escalate else 'keep'}{label}{p}; triggers {triggers};"
        f"{vetoed}{kept}"
        f"{' VIP;' if trace.vip else ''} {trace.priority} by {trace.priority_rule};"
        f" {trace.route} by {trace.route_rule}"
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    cells = [list(map(str, headers)), *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]


def render_summary(summary: Mapping[str, Any]) -> str:
    """The calibration tables as text."""
    d = summary["decision"]
    lines = [
        f"{d['tickets']} tickets ({d['labelled']} labelled, {d['escalated_by_history']} escalated in the"
        f" history); the policy escalates {d['escalated_by_policy']}: precision {_pct(d['precision'])},"
        f" recall {_pct(d['recall'])}; {summary['vip']} VIP",
        "",
        "trigger families (precision: share of the labelled tickets it fired on that were escalated)",
        *_table(
            ["family", "escalate", "fired", "precision"],
            [
                [s["name"], s["extra"]["escalate"], s["fired"], _pct(s["precision"])]
                for s in summary["triggers"]
            ],
        ),
        "",
        "phrases that fired",
        *_table(
            ["family", "phrase", "fired", "precision"],
            [[s["extra"]["family"], s["name"], s["fired"], _pct(s["precision"])] for s in summary["phrases"]],
        ),
        "",
        "phrases vetoed: their sentences read as no family, or not as theirs (escalated: what the history"
        " did with them)",
        *_table(
            ["family", "phrase", "vetoed", "escalated"],
            [
                [s["extra"]["family"], s["name"], s["fired"], _pct(s["precision"])]
                for s in summary.get("vetoed_phrases", [])
            ],
        ),
        "",
        "keep rules (kept: tickets the model would have escalated; escalated: what the history did)",
        *_table(
            ["rule", "kept", "escalated"],
            [[s["name"], s["fired"], _pct(s["precision"])] for s in summary.get("keep_rules", [])],
        ),
    ]
    for kind in ("priority", "route"):
        rows = [
            [s["name"], s["extra"]["holds"], s["fired"], _pct(s["precision"]), _agreement(s["extra"])]
            for s in summary[f"{kind}_rules"]
        ]
        lines += ["", f"{kind} rules (holds: condition true; decides: first to hold, on every ticket)"]
        lines += _table(["rule", "holds", "decides", "precision", f"agrees with history {kind}"], rows)
    return "\n".join(lines)


def _agreement(extra: Mapping[str, int]) -> str:
    return f"{extra['agrees']}/{extra['compared']}" if extra["compared"] else "-"
