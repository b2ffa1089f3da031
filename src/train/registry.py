"""The model registry: which version is the champion, and the gate a candidate must pass to become it.

Serving loads ``models:/ticket-escalation@champion`` — an explicitly promoted model, never "the best
run by some metric". A candidate takes the alias only when there is no champion yet, or when it is no
worse than the champion on the same evaluation data by every metric named in ``params.yaml``, overall
and on the named slices (the VIP customers by default). That data is the fixed reference set
(``promotion.reference``), never data the candidate's run chose. Every promotion is tagged on the model
version: who, when, and the figures that justified it; a refusal is tagged with its reason.

Another registered name (``train --registered-name``) has its own champion alias: its gate compares with
that champion, and ``ticket-escalation@champion`` is never touched.
"""

from __future__ import annotations

import getpass
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ticketbuddy.scoring.tracking import CHAMPION, REGISTERED_MODEL
from ticketbuddy.train.params import PromotionParams


@dataclass(frozen=True)
class GateDecision:
    """Outcome of the promotion gate, with every check's figures."""

    promoted: bool
    reason: str
    candidate: dict[str, float]
    champion: dict[str, float] | None
    checks: list[str] = field(default_factory=list)


def champion_version(client: Any, name: str = REGISTERED_MODEL) -> Any | None:
    """The model version the champion alias points at, or None when there is none."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None


def gate_checks(promotion: PromotionParams) -> list[str]:
    """Metric names the gate compares: each metric overall and on each slice (``slice/col/value/m``)."""
    checks: list[str] = list(promotion.metrics)
    for spec in promotion.slices:
        column, _, value = spec.partition("=")
        checks += [f"slice/{column}/{value}/{metric}" for metric in promotion.metrics]
    return checks


def decide(
    candidate: dict[str, float],
    champion: dict[str, float] | None,
    checks: list[str],
    tolerance: float,
) -> GateDecision:
    """Compare candidate and champion figures (higher is better) on the same data.

    A check the data cannot compute for the candidate, overall or on a slice, is failed: nothing
    vouches for the candidate there (the gate's data checks refuse a missing slice before this, with
    its row count). One it cannot compute for the champion alone is passed.
    """
    if champion is None:
        return GateDecision(True, "no champion yet", candidate, None, checks)
    failures, passes = [], []
    for check in checks:
        mine, theirs = candidate.get(check, math.nan), champion.get(check, math.nan)
        if math.isnan(mine):
            failures.append(f"{check} undefined for the candidate")
            continue
        if math.isnan(theirs) or mine >= theirs - tolerance:
            margin = f" - {tolerance}" if tolerance else ""
            passes.append(f"{check} {mine:.4f} >= {theirs:.4f}{margin}")
        else:
            failures.append(f"{check} {mine:.4f} < champion {theirs:.4f}")
    if failures:
        reason = f"alias kept: {'; '.join(failures)} (tolerance {tolerance})"
        return GateDecision(False, reason, candidate, champion, checks)
    return GateDecision(True, f"no worse than the champion: {'; '.join(passes)}", candidate, champion, checks)


def refused(problems: list[str], checks: list[str]) -> GateDecision:
    """A refusal before any comparison: the gate's data cannot judge this candidate (``problems``)."""
    return GateDecision(False, f"gate data refused: {'; '.join(problems)}", {}, None, checks)


def promote(client: Any, version: str, decision: GateDecision, name: str = REGISTERED_MODEL) -> None:
    """Point the champion alias at ``version`` and tag it with who, when, why and the figures."""
    client.set_registered_model_alias(name, CHAMPION, version)
    tags = {
        "promoted_by": getpass.getuser(),
        "promoted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "promotion_reason": decision.reason[:5000],
        **{f"gate.{check}": f"{decision.candidate.get(check, math.nan):.4f}" for check in decision.checks},
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)


def record_refusal(client: Any, version: str, decision: GateDecision, name: str = REGISTERED_MODEL) -> None:
    """Tag a candidate that did not pass the gate, so the UI shows why it is not serving."""
    client.set_model_version_tag(name, version, "promotion_refused", decision.reason[:5000])
    client.set_model_version_tag(name, version, "refused_at", datetime.now(UTC).isoformat(timespec="seconds"))
