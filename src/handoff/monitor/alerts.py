"""Alert rules: a window with enough tickets that breaches a threshold of ``monitor.alerts`` pages."""

from __future__ import annotations

from dataclasses import dataclass

from ticketbuddy.handoff.monitor.params import AlertParams


@dataclass(frozen=True)
class Breach:
    """One broken rule: the metric, its value and the limit it crossed."""

    metric: str
    value: float
    limit: float
    below: bool

    def describe(self) -> str:
        """``recall 0.620 < 0.800``."""
        return f"{self.metric} {self.value:.3f} {'<' if self.below else '>'} {self.limit:.3f}"


def breaches(metrics: dict[str, float], alerts: AlertParams) -> list[Breach]:
    """Every overall figure outside its limit; a figure not measured (no denominator) breaks nothing."""
    found: list[Breach] = []
    floors = {"recall": alerts.min_recall, "precision": alerts.min_precision}
    ceilings = {
        "missed_escalation_rate": alerts.max_missed_escalation_rate,
        "embedding_shift": alerts.max_embedding_shift,
        **{name: alerts.max_psi for name in metrics if name.startswith("psi_")},
    }
    for name, limit in floors.items():
        if name in metrics and metrics[name] < limit:
            found.append(Breach(name, metrics[name], limit, below=True))
    for name, limit in sorted(ceilings.items()):
        if name in metrics and metrics[name] > limit:
            found.append(Breach(name, metrics[name], limit, below=False))
    return found
