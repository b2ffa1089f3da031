"""Figures of the benchmarks, drawn without a display (Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_load(results: dict[str, Any], target: Path) -> None:
    """Latency (p50 solid, p99 dashed, log scale) and throughput against clients, one line per server."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    servers = list(dict.fromkeys(row["server"] for row in results["rows"]))
    fig, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4.2))
    for index, server in enumerate(servers):
        rows = sorted((r for r in results["rows"] if r["server"] == server), key=lambda r: r["clients"])
        clients = [r["clients"] for r in rows]
        color = f"C{index}"
        latency.plot(clients, [r["p50_ms"] for r in rows], "o-", color=color, label=f"{server} p50")
        latency.plot(clients, [r["p99_ms"] for r in rows], "s--", color=color, label=f"{server} p99")
        throughput.plot(clients, [r["throughput_rps"] for r in rows], "o-", color=color, label=server)
    latency.set(yscale="log", xlabel="concurrent clients", ylabel="latency (ms)", title="Latency per request")
    throughput.set(xlabel="concurrent clients", ylabel="requests / s", title="Throughput")
    throughput.set_ylim(bottom=0)
    for axis in (latency, throughput):
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    machine = results["machine"]
    fig.suptitle(
        f"Closed-loop load on loopback, {results['settings']['seconds']:g} s per level"
        f" ({machine['cpu_count']} CPUs, {machine['date'][:10]})",
        fontsize=10,
    )
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=110)
    plt.close(fig)
