"""Terminal tables of an evaluation and of a comparison of variants."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ticketbuddy.train.evaluate import Evaluation

HEADLINE = [
    ("pr_auc", "PR-AUC"),
    ("roc_auc", "ROC-AUC"),
    ("brier", "Brier score"),
    ("ece", "expected calibration error"),
    ("recall_at_80_kept", "recall with 80 % kept by the AI"),
    ("kept_at_95_recall", "kept by the AI at 95 % recall"),
    ("threshold", "operating threshold"),
    ("precision", "precision at threshold"),
    ("recall", "recall at threshold"),
    ("f1", "F1 at threshold"),
    ("escalation_share", "share sent to humans"),
    ("decision_recall", "recall of decisions (model + policy)"),
    ("decision_escalation_share", "share sent to humans (model + policy)"),
    ("route_macro_f1", "route macro-F1 (escalated tickets)"),
    ("route_head_macro_f1", "route macro-F1, route model alone"),
    ("priority_accuracy", "priority accuracy (escalated tickets)"),
    ("clean_pr_auc", "PR-AUC on labels before noise"),
    ("clean_recall_at_80_kept", "recall with 80 % kept, labels before noise"),
    ("clean_kept_at_95_recall", "kept at 95 % recall, labels before noise"),
]


def _cell(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.3f}"


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """A plain fixed-width table."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)), line]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def evaluation_table(ev: Evaluation) -> str:
    """Headline metrics of the model next to the baselines, then the slice table."""
    names = list(ev.baselines)
    rows = [
        [label, _cell(ev.metrics.get(key)), *[_cell(ev.baselines[n].get(key)) for n in names]]
        for key, label in HEADLINE
        if key in ev.metrics
    ]
    headline = table(rows, ["metric", "TicketBuddy", *names])
    slice_rows = [
        [
            r.slice,
            r.value,
            f"{r.n:,}",
            _cell(r.base_rate),
            _cell(r.pr_auc),
            _cell(r.recall),
            _cell(r.precision),
            _cell(r.escalation_share),
        ]  # fmt: skip
        for r in ev.slices.itertuples()
    ]
    header = ["slice", "value", "tickets", "base rate", "PR-AUC", "recall", "precision", "to humans"]
    return f"{headline}\n\nBy slice (at the operating threshold):\n{table(slice_rows, header)}"


def comparison_table(results: Mapping[str, Mapping[str, float]]) -> str:
    """Variants side by side, best PR-AUC first."""
    keys = ["pr_auc", "recall_at_80_kept", "kept_at_95_recall", "ece", "route_head_macro_f1", "fit_seconds"]
    ordered = sorted(results.items(), key=lambda kv: -kv[1].get("pr_auc", 0.0))
    rows = [[name, *[_cell(figures.get(k)) for k in keys]] for name, figures in ordered]
    return table(rows, ["variant", *keys])
