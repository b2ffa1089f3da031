"""How well each trigger family finds what it should, by keywords, by examples, and by both.

A family is judged against a labelled history. A ticket counts as a **positive** for a family when an
annotator listed the family in its ``triggers`` label; in a history without that annotation, when it
was escalated to the family's route (a rougher proxy: it also counts tickets that went there for
another reason). For each family and each way of matching, ``family_report`` gives the firing rate,
precision and recall, and for the examples a sweep of thresholds with the one that balances
precision and recall best (F1) — what a policy author sets ``threshold`` from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ticketbuddy.features.triggers import TriggerFinder
from ticketbuddy.policy.calibrate import Label
from ticketbuddy.policy.model import Policy
from ticketbuddy.schemas import Ticket

#: Thresholds the examples are swept over.
SWEEP = tuple(round(float(t), 2) for t in np.arange(0.20, 0.90, 0.05))


def _is_positive(label: Label, family: str, route: str) -> bool:
    if label.triggers is not None:
        return family in label.triggers
    return label.escalated and label.route == route


def _figures(fired: np.ndarray, positive: np.ndarray) -> dict[str, Any]:
    """Firing rate, precision and recall of one way of matching."""
    hits = int((fired & positive).sum())
    return {
        "fired": int(fired.sum()),
        "firing_rate": round(float(fired.mean()), 4) if len(fired) else None,
        "precision": round(hits / fired.sum(), 4) if fired.sum() else None,
        "recall": round(hits / positive.sum(), 4) if positive.sum() else None,
    }


def _f1(figures: Mapping[str, Any]) -> float:
    p, r = figures["precision"] or 0.0, figures["recall"] or 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def family_report(policy: Policy, tickets: Sequence[Ticket], labels: Mapping[str, Label]) -> dict:
    """Per family: positives, and firing rate / precision / recall by keywords, examples and both.

    Only labelled tickets count. ``suggested_threshold`` is the swept threshold with the best F1 for
    the examples alone (the higher one on a tie); None for a family without examples or positives.
    """
    labelled = [t for t in tickets if t.ticket_id in labels]
    finder = TriggerFinder(policy.trigger_specs(), others=policy.other_examples)
    found = finder.find_many([[m.text for m in t.messages if m.role == "customer"] for t in labelled])
    annotated = sum(labels[t.ticket_id].triggers is not None for t in labelled)
    report: dict[str, Any] = {"tickets": len(labelled), "annotated": annotated, "families": {}}
    for name, family in policy.triggers.items():
        positive = np.asarray(
            [_is_positive(labels[t.ticket_id], name, family.route) for t in labelled], dtype=bool
        )
        keywords = np.asarray([name in f.keywords for f in found], dtype=bool)
        best = np.asarray([f.similarity.get(name, 0.0) for f in found], dtype=float)
        examples = best >= family.threshold
        sweep = {t: _figures(best >= t, positive) for t in SWEEP} if family.examples else {}
        suggested = max(sweep, key=lambda t: (_f1(sweep[t]), t)) if sweep and positive.any() else None
        report["families"][name] = {
            "positives": int(positive.sum()),
            "threshold": family.threshold,
            "keywords": _figures(keywords, positive),
            "examples": _figures(examples, positive) if family.examples else None,
            "both": _figures(keywords | examples, positive),
            "sweep": {str(t): f for t, f in sweep.items()},
            "suggested_threshold": suggested,
        }
    return report


def render_family_report(report: Mapping[str, Any]) -> str:
    """The family table as text: one row per family and way of matching, then suggested thresholds."""
    basis = "annotated families" if report["annotated"] else "escalated to the family's route"
    lines = [
        f"trigger families on {report['tickets']} labelled tickets (positives: {basis})",
        f"{'family':<16} {'positives':>9}  {'matching':<9} {'fired':>6} {'rate':>7}"
        f" {'precision':>9} {'recall':>7}",
    ]
    for name, row in sorted(report["families"].items()):
        for way in ("keywords", "examples", "both"):
            figures = row[way]
            if figures is None:
                continue
            lines.append(
                f"{name if way == 'keywords' else '':<16} {row['positives'] if way == 'keywords' else '':>9}"
                f"  {way:<9} {figures['fired']:>6} {_pct(figures['firing_rate']):>7}"
                f" {_pct(figures['precision']):>9} {_pct(figures['recall']):>7}"
            )
    lines += ["", "thresholds (examples alone): in force → best F1 on this history"]
    for name, row in sorted(report["families"].items()):
        if row["suggested_threshold"] is not None:
            lines.append(f"  {name:<16} {row['threshold']:.3f} → {row['suggested_threshold']:.3f}")
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"
