"""The figures of a window's cohort (``monitor.window``), overall and by route, channel and tier.

Names match the offline evaluation where they mean the same thing (``precision``, ``recall``,
``escalation_share``), so MLflow lines live and test figures up. Live, ``recall`` is an **estimate**:
escalations confirmed (hand-off resolved as needed, or a verdict saying so) over confirmed plus the
kept tickets later found to need a human (explicit verdicts and probable misses). A figure whose
denominator is zero is left out rather than logged as 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: The columns a cohort is broken down by, and the prefix of their metrics (``by_channel/chat/...``).
GROUPS = ("route", "channel", "tier")
#: Shares that say nothing within one route (every ticket there was routed, so escalated or a miss).
NOT_BY_ROUTE = {"escalation_share", "kept_share", "rules_only_share"}


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def figures(cohort: pd.DataFrame) -> dict[str, float]:
    """Counts, shares and rates of one cohort (NaN where undefined)."""
    n = len(cohort)
    escalated = int(cohort["escalated"].sum())
    kept = n - escalated
    explicit, probable = int(cohort["explicit_miss"].sum()), int(cohort["probable_miss"].sum())
    misses, confirmed = explicit + probable, int(cohort["confirmed"].sum())
    resolved = int(cohort["outcome"].notna().sum())
    needed = int((cohort["outcome"] == "needed").sum())
    claims = cohort["claim_minutes"].dropna().to_numpy(dtype=float)
    return {
        "tickets": float(n),
        "escalated": float(escalated),
        "kept": float(kept),
        "escalation_share": _ratio(escalated, n),
        "kept_share": _ratio(kept, n),
        "rules_only_share": _ratio(int(cohort["rules_only"].sum()), n),
        "handoffs_resolved": float(resolved),
        "handoffs_needed": float(needed),
        "precision": _ratio(needed, resolved),
        "explicit_misses": float(explicit),
        "probable_misses": float(probable),
        "misses": float(misses),
        "explicit_missed_escalation_rate": _ratio(explicit, kept),
        "probable_missed_escalation_rate": _ratio(probable, kept),
        "missed_escalation_rate": _ratio(misses, kept),
        "confirmed_escalations": float(confirmed),
        "recall": _ratio(confirmed, confirmed + misses),
        "time_to_claim_p50_minutes": float(np.percentile(claims, 50)) if claims.size else math.nan,
        "time_to_claim_p90_minutes": float(np.percentile(claims, 90)) if claims.size else math.nan,
        "sla_breaches": float(cohort["sla_breaches"].sum()),
        "reroutes": float(cohort["reroutes"].sum()),
    }


def safe(value: object) -> str:
    """A category as a metric-name part: letters, digits, ``-_.`` kept, anything else ``_``."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(value))


def all_figures(cohort: pd.DataFrame) -> dict[str, float]:
    """Overall figures and ``by_<group>/<value>/<figure>`` for every route, channel and tier; NaNs dropped."""
    if cohort.empty:
        return {"tickets": 0.0}
    out = figures(cohort)
    for group in GROUPS:
        for value, part in cohort.dropna(subset=[group]).groupby(group):
            for name, figure in figures(part).items():
                if not (group == "route" and name in NOT_BY_ROUTE):
                    out[f"by_{group}/{safe(value)}/{name}"] = figure
    return {k: v for k, v in out.items() if not math.isnan(v)}
