"""The model registry: which version is the champion, and the gate a candidate must pass to become it.

Serving loads ``models:/ticket-escalation@champion`` — an explicitly promoted model, never "the best
run by some metric". A candidate takes the alias only when there is no champion yet, or when it is at
least as good as the champion on the same test data by the metric named in ``params.yaml``.
Every promotion is tagged on the model version: who, when, and the figures that justified it.
"""

from __future__ import annotations

import getpass
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ticketbuddy.train.tracking import CHAMPION, REGISTERED_MODEL


@dataclass(frozen=True)
class GateDecision:
    """Outcome of the promotion gate."""

    promoted: bool
    reason: str
    candidate: float
    champion: float | None


def champion_version(client: Any, name: str = REGISTERED_MODEL) -> Any | None:
    """The model version the champion alias points at, or None when there is none."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None


def decide(candidate: float, champion: float | None, metric: str, tolerance: float) -> GateDecision:
    """Compare candidate and champion scores on the same data (higher is better)."""
    if champion is None:
        return GateDecision(True, "no champion yet", candidate, None)
    if math.isnan(candidate):
        return GateDecision(False, f"candidate {metric} is undefined on this data", candidate, champion)
    if math.isnan(champion) or candidate >= champion - tolerance:
        return GateDecision(
            True,
            f"candidate {metric} {candidate:.4f} >= champion {champion:.4f} - {tolerance}",
            candidate,
            champion,
        )
    return GateDecision(
        False,
        f"candidate {metric} {candidate:.4f} < champion {champion:.4f} - {tolerance}: alias kept",
        candidate,
        champion,
    )


def promote(
    client: Any,
    version: str,
    decision: GateDecision,
    metrics: dict[str, float],
    name: str = REGISTERED_MODEL,
) -> None:
    """Point the champion alias at ``version`` and tag it with who, when and why."""
    client.set_registered_model_alias(name, CHAMPION, version)
    tags = {
        "promoted_by": getpass.getuser(),
        "promoted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "promotion_reason": decision.reason,
        **{f"metric.{k}": f"{v:.4f}" for k, v in metrics.items()},
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)


def record_refusal(client: Any, version: str, decision: GateDecision, name: str = REGISTERED_MODEL) -> None:
    """Tag a candidate that did not pass the gate, so the UI shows why it is not serving."""
    client.set_model_version_tag(name, version, "promotion_refused", decision.reason)
