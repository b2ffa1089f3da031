"""The log redaction's cost per KB, on realistic and on crafted text, at 1 KB, 16 KB, 256 KB and 1 MB.

Crafted text is what made the old patterns backtrack from every position (``"1-(" * n``: 1.9 s for
16 KB; ``"a" * n``: 0.25 s). A linear redactor costs about the same per KB at every size, so each row
of the table should be flat: compare along a row, within this run. Measured on ``pii.scrub`` (every
pattern, no cut), then on ``redaction.redact`` of one 1 MB value (what logging it costs after the cut).
"""

from __future__ import annotations

import time
from collections.abc import Callable

SIZES = {"1KB": 1024, "16KB": 16 * 1024, "256KB": 256 * 1024, "1MB": 1024 * 1024}
REALISTIC_LINES = (
    '127.0.0.1:59970 - "POST /v1/score HTTP/1.1" 200',
    "scoring ticket T-1001: probability 0.930 >= threshold 0.231 in 12.5 ms at 2026-11-20 16:05:00",
    "Customer jane.doe@example.com rang +44 7700 900123 (or (555) 123-4567) about order 12345",
    "Please refund card 4111 1111 1111 1111 to IBAN GB82 WEST 1234 5698 7654 32, not DE89370400440532013000",
    "Deliver to 221B Baker Street, London NW1 6XE; handoff 123e4567-e89b-12d3-a456-426614174000 to senior_cx",
    "I have been a customer for 3 years and my corporate gift order has still not arrived. This is embarrassing.",
)
#: Each repeated to the size measured: the shapes the old patterns backtracked on, and their kin.
CRAFTED = {
    "digits-dash-bracket": "1-(",
    "digits-dash": "1-",
    "digits-space": "1 ",
    "letters": "a",
    "dotted-letters": "a.",
    "at-signs": "a@",
    "house-numbers": "1 Aaaa ",
}


def inputs(size: int) -> dict[str, str]:
    """Every input of the benchmark at about ``size`` characters, realistic first.

    Crafted text is made of whole units, so that it ends as the unit does (``"1-(1-("``): a run that
    cannot end where it stops is what made the old patterns give up and retry from the next position.
    """
    realistic = "\n".join(REALISTIC_LINES) + "\n"
    texts = {"realistic": (realistic * (size // len(realistic) + 1))[:size]}
    texts.update({name: unit * (size // len(unit)) for name, unit in CRAFTED.items()})
    return texts


def best_seconds(redactor: Callable[[str], str], text: str, budget: float = 0.3) -> float:
    """The best time of one call on ``text``: at least 3 calls, more while within ``budget`` seconds."""
    best, spent, calls = float("inf"), 0.0, 0
    while calls < 3 or spent < budget:
        started = time.perf_counter()
        redactor(text)
        elapsed = time.perf_counter() - started
        best, spent, calls = min(best, elapsed), spent + elapsed, calls + 1
    return best


def _table(rows: dict[str, dict[str, float]]) -> str:
    width = max(len(name) for name in rows)
    lines = [f"{'s per KB':<{width}}  " + "  ".join(f"{size:>9}" for size in SIZES)]
    for name, by_size in rows.items():
        lines.append(f"{name:<{width}}  " + "  ".join(f"{by_size[size]:9.2e}" for size in SIZES))
    return "\n".join(lines)


def bench_redaction() -> dict:
    """Seconds per KB of ``scrub`` by input and size, and the slowest 1 MB value through ``redact``."""
    from ticketbuddy.serve.pii import scrub
    from ticketbuddy.serve.redaction import redact

    rows: dict[str, dict[str, float]] = {}
    for size_name, size in SIZES.items():
        for name, text in inputs(size).items():
            rows.setdefault(name, {})[size_name] = best_seconds(scrub, text) / (len(text) / 1024)
    print(_table(rows))
    results = {
        f"redaction_{name}_{size}_s_per_kb": float(f"{value:.3g}")
        for name, by_size in rows.items()
        for size, value in by_size.items()
    }
    logged = max(best_seconds(redact, text) for text in inputs(SIZES["1MB"]).values())
    results["redaction_1MB_value_logged_max_s"] = float(f"{logged:.3g}")
    return results
