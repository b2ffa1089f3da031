"""The figures a support manager looks at: PR curve, calibration, confusion, threshold trade-off, slices.

Each function returns a matplotlib ``Figure``; ``save_all`` writes them as PNG files, which training and
evaluation also log to the MLflow run so they appear on the run page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_curve

from ticketbuddy.train.evaluate import Evaluation


def _figure(width: float = 6.0, height: float = 4.5) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height), dpi=110)
    return fig, ax


def pr_curve(ev: Evaluation) -> Any:
    """Precision-recall curves of the model and the baselines, with the operating point marked."""
    fig, ax = _figure()
    curves = {"TicketBuddy": ev.proba, **ev.baseline_proba}
    for name, proba in curves.items():
        precision, recall, _ = precision_recall_curve(ev.y, proba)
        ax.plot(recall, precision, label=name, linewidth=2 if name == "TicketBuddy" else 1)
    ax.scatter([ev.metrics["recall"]], [ev.metrics["precision"]], color="black", zorder=5,
               label=f"operating point (t={ev.threshold:.2f})")  # fmt: skip
    ax.axhline(ev.y.mean(), color="grey", linestyle=":", label="base rate")
    ax.set(xlabel="recall (escalations caught)", ylabel="precision", title="Precision-recall", xlim=(0, 1),
           ylim=(0, 1.02))  # fmt: skip
    ax.legend(loc="lower left", fontsize=8)
    return fig


def calibration(ev: Evaluation, bins: int = 10) -> Any:
    """Reliability diagram: predicted probability against the observed escalation rate."""
    fig, ax = _figure()
    index = np.minimum((ev.proba * bins).astype(int), bins - 1)
    mids, rates, sizes = [], [], []
    for b in range(bins):
        member = index == b
        if member.any():
            mids.append(ev.proba[member].mean())
            rates.append(ev.y[member].mean())
            sizes.append(member.sum())
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect")
    ax.plot(mids, rates, marker="o", label=f"model (ECE {ev.metrics['ece']:.3f})")
    for x, y, n in zip(mids, rates, sizes, strict=True):
        ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set(xlabel="predicted probability", ylabel="observed escalation rate", title="Calibration",
           xlim=(0, 1), ylim=(0, 1))  # fmt: skip
    ax.legend(loc="upper left", fontsize=8)
    return fig


def confusion(ev: Evaluation) -> Any:
    """Confusion matrix of the escalation decision at the operating threshold."""
    fig, ax = _figure(4.5, 4.0)
    matrix = confusion_matrix(ev.y, (ev.proba >= ev.threshold).astype(int), labels=[0, 1])
    ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, f"{count:,}", ha="center", va="center", fontsize=12,
                color="white" if count > matrix.max() / 2 else "black")  # fmt: skip
    ax.set_xticks([0, 1], ["AI keeps", "to a human"])
    ax.set_yticks([0, 1], ["not needed", "needed a human"])
    ax.set(xlabel="decision", ylabel="history says", title=f"Decisions at threshold {ev.threshold:.2f}")
    return fig


def threshold_tradeoff(ev: Evaluation) -> Any:
    """Recall, precision and the share of tickets the AI keeps, as the threshold moves."""
    fig, ax = _figure()
    grid = np.linspace(0, 1, 201)
    positives = max(int(ev.y.sum()), 1)
    recall = [((ev.proba >= t) & (ev.y == 1)).sum() / positives for t in grid]
    kept = [(ev.proba < t).mean() for t in grid]
    precision = [ev.y[ev.proba >= t].mean() if (ev.proba >= t).any() else np.nan for t in grid]
    ax.plot(grid, recall, label="recall (escalations caught)")
    ax.plot(grid, kept, label="kept by the AI")
    ax.plot(grid, precision, label="precision", linestyle="--")
    ax.axvline(ev.threshold, color="black", linestyle=":", label=f"operating threshold {ev.threshold:.2f}")
    ax.set(xlabel="threshold", ylabel="share", title="Threshold trade-off", xlim=(0, 1), ylim=(0, 1.02))
    ax.legend(loc="center right", fontsize=8)
    return fig


def slice_table(ev: Evaluation) -> Any:
    """The slice metrics as a table figure (recall and precision per tier, channel, topic, …)."""
    table = ev.slices
    fig, ax = _figure(8.0, 0.6 + 0.24 * (len(table) + 1))
    ax.axis("off")
    cells = [[r.slice, r.value, f"{r.n:,}", f"{r.base_rate:.2f}", f"{r.pr_auc:.3f}", f"{r.recall:.3f}",
              f"{r.precision:.3f}", f"{r.escalation_share:.2f}"] for r in table.itertuples()]  # fmt: skip
    header = ["slice", "value", "tickets", "base rate", "PR-AUC", "recall", "precision", "to humans"]
    drawn = ax.table(cellText=cells or [[""] * len(header)], colLabels=header, loc="center")
    drawn.auto_set_font_size(False)
    drawn.set_fontsize(7)
    ax.set_title("Metrics by slice (operating threshold)")
    return fig


PLOTS = {
    "pr_curve.png": pr_curve,
    "calibration.png": calibration,
    "confusion_matrix.png": confusion,
    "threshold_tradeoff.png": threshold_tradeoff,
    "slices.png": slice_table,
}


def save_all(ev: Evaluation, folder: Path) -> list[Path]:
    """Write every plot as a PNG into ``folder``; return the paths."""
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in PLOTS.items():
        fig = draw(ev)
        fig.tight_layout()
        fig.savefig(folder / name)
        plt.close(fig)
        written.append(folder / name)
    return written
