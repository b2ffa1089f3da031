"""Render a profile (see ``profile``) as a plain-text table for the terminal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_HEADLINES = (
    ("tickets", "tickets"),
    ("rows_rejected", "rows rejected"),
    ("escalation_rate", "escalation rate"),
    ("escalated_without_trigger_keyword", "escalated with no trigger keyword"),
    ("not_escalated_with_trigger_keyword", "not escalated with a trigger keyword"),
    ("unique_customer_message_share", "unique customer messages"),
    ("single_message_share", "single-message tickets"),
    ("mean_customer_turns", "mean customer turns"),
    ("bot_messages", "bot messages"),
    ("bot_confidence_share", "bot messages with a confidence"),
    ("bot_intent_share", "bot messages with an intent"),
)
_SLICES = (
    ("by_topic", "topic"),
    ("by_tier", "tier"),
    ("by_channel", "channel"),
    ("by_trajectory", "trajectory"),
)


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _rows(title: str, rows: list[tuple[str, str]]) -> list[str]:
    width = max([len(k) for k, _ in rows] + [len(title)])
    lines = [title, "-" * (width + 14)]
    lines += [f"  {k.ljust(width)}  {v}" for k, v in rows]
    return lines + [""]


def format_table(report: Mapping[str, Any]) -> str:
    """The profile as aligned text sections: headline figures, slices, distributions, shortcuts."""
    lines: list[str] = []
    lines += _rows("Overview", [(label, _fmt(report.get(key))) for key, label in _HEADLINES])
    for key, label in _SLICES:
        rows = [
            (name, f"{_fmt(v['escalation_rate'])}  (n={v['tickets']})") for name, v in report[key].items()
        ]
        if rows:
            lines += _rows(f"Escalation rate by {label}", rows)
    for key in ("priority", "route"):
        lines += _rows(
            f"{key.capitalize()} (share of escalated)", [(k, _fmt(v)) for k, v in report[key].items()]
        )
    missing = report["missing_customer_fields"]
    lines += _rows("Missing customer fields (share of tickets)", [(k, _fmt(v)) for k, v in missing.items()])
    effect = report.get("vip_vs_standard_mild_complaints")
    if effect:
        rows = [(k, f"{_fmt(v['escalation_rate'])}  (n={v['tickets']})") for k, v in effect.items()]
        lines += _rows("Mild complaints: escalation rate by customer", rows)
    confidence = report.get("mean_bot_confidence") or {}
    if any(v is not None for v in confidence.values()):
        lines += _rows("Mean bot confidence", [(k, _fmt(v)) for k, v in confidence.items()])
    kw = report["keyword_only_classifier"]
    lines += _rows(
        "Keyword-only classifier (escalate = any trigger keyword)", [(k, _fmt(v)) for k, v in kw.items()]
    )
    return "\n".join(lines).rstrip() + "\n"
