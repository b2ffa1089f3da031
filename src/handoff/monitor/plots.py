"""Trend plots of the last windows (one PNG per run): what a manager scans for a change of direction."""

from __future__ import annotations

from pathlib import Path

#: Panels of the trend figure: title and the metrics drawn in it.
MISSES = ["missed_escalation_rate", "explicit_missed_escalation_rate", "probable_missed_escalation_rate"]
PSIS = ["psi_probability", "psi_channel", "psi_tier", "psi_topic", "psi_message_length"]
PANELS: list[tuple[str, list[str]]] = [
    ("Escalation share", ["escalation_share"]),
    ("Hand-off precision and recall estimate", ["precision", "recall"]),
    ("Missed escalations (share of kept tickets)", MISSES),
    ("Drift (PSI; 0.25 = large)", PSIS),
]


def trend_plot(history: list[tuple[str, dict[str, float]]], path: Path) -> Path:
    """Draw each panel's metrics over the windows of ``history`` (oldest first) into ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [name for name, _ in history]
    fig, axes = plt.subplots(len(PANELS), 1, figsize=(9, 2.4 * len(PANELS)), sharex=True)
    for ax, (title, metrics) in zip(axes, PANELS, strict=True):
        for metric in metrics:
            values = [m.get(metric, float("nan")) for _, m in history]
            if any(v == v for v in values):
                ax.plot(names, values, marker="o", label=metric)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="upper left")
    axes[-1].tick_params(axis="x", rotation=45, labelsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
