"""The hidden labelling process: whether a ticket went to a human, at what priority, to which team.

A latent score adds up what makes support leads hand a ticket over: how serious the problem is, how
the conversation went, what the customer is worth, threats and requests for a person, repeated
contact, plus an unobserved quirk. A ticket is escalated when the score passes a threshold calibrated
so that the share of escalations (after label noise) matches ``base_rate``. The threshold is fixed per
configuration without drift, so train, test and drifted histories share one labelling process — except
where ``--drift`` changes the rule itself (``synth.drift.rule_shift``: a topic now handed over more
readily), which is what a model trained before the change cannot know.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

from ticketbuddy.data.synth.bank import SEVERITY_SCORE
from ticketbuddy.data.synth.config import SynthConfig
from ticketbuddy.data.synth.customers import CustomerPool, Profile
from ticketbuddy.data.synth.scenario import Scenario, draw_scenario

#: Weight of each act in the latent score.
ACT_SCORE = {"legal": 4.5, "public": 4.0, "churn": 1.5, "human": 2.0}
_TIER_SCORE = {"standard": 0.0, "silver": 0.3, "gold": 0.8, "vip": 1.9}
_CALIBRATION_SEED = 20260101
_CALIBRATION_SIZE = 40_000


@dataclass(frozen=True)
class Labels:
    """The decision a (simulated) support lead made about a ticket."""

    escalated: bool
    priority: str | None
    route: str | None
    score: float


def value_score(profile: Profile) -> float:
    """What the customer is worth to the business, on the latent scale (tier, spend, tenure)."""
    spend = min(max((profile.lifetime_value / 300.0), 0.3), 16.0)
    score = _TIER_SCORE[profile.tier] + 0.4 * math.log10(spend)
    if profile.tenure_days < 90:
        score -= 0.4
    elif profile.tenure_days > 1000:
        score += 0.3
    return score


def _conversation_score(sc: Scenario) -> float:
    """How the conversation went: worsening, repeated contact after replies, or resolution."""
    score = 0.5 * max(0, -sc.moods[-1])
    if sc.trajectory == "worsens":
        score += min(0.7 * (sc.turns - 1), 2.8) + (1.5 if _repeated_and_worse(sc) else 0.0)
    elif sc.trajectory == "improves":
        score -= 1.0 + (2.5 if sc.resolved else 0.0)
    elif sc.turns >= 3 and sc.moods[-1] <= -1:
        score += 0.35 * (sc.turns - 2)
    return score


def latent_score(sc: Scenario) -> float:
    """The hidden score of a scenario; higher means a human was needed."""
    score = SEVERITY_SCORE[sc.intent.severity] + sc.quirk
    if sc.is_problem:
        score += value_score(sc.profile) + _conversation_score(sc)
        score += 0.5 * min(sc.prior_contact, 3) + 0.7 * sc.deadline + 0.3 * sc.loyalty
        score += 0.15 * min(sc.profile.prior_escalations, 4)
        score += sum(ACT_SCORE[a.kind] for a in sc.acts)
    else:
        score += sum(0.5 for a in sc.acts if a.kind == "human")
    return score


@lru_cache(maxsize=16)
def threshold(cfg: SynthConfig) -> float:
    """The latent threshold that yields ``cfg.base_rate`` escalations after label noise.

    Flipping a share ``e`` of labels turns a clean rate ``r`` into ``r(1 - e) + (1 - r)e``, so the
    clean rate aimed at is ``(base_rate - e) / (1 - 2e)``. It is found on a fixed calibration sample
    of the undrifted configuration, so it does not depend on the seed of the history generated.
    """
    base = cfg.undrifted()
    noise = min(base.label_noise, 0.49)
    clean = min(max((base.base_rate - noise) / (1 - 2 * noise), 0.0), 1.0)
    rng = random.Random(_CALIBRATION_SEED)
    pool = CustomerPool(rng, "CAL-", base.repeat_rate)
    scores = sorted(latent_score(draw_scenario(rng, base, pool)) for _ in range(_CALIBRATION_SIZE))
    if clean <= 0.0:
        return scores[-1] + 1.0
    if clean >= 1.0:
        return scores[0] - 1.0
    return scores[int((1.0 - clean) * len(scores))]


def _repeated_and_worse(sc: Scenario) -> bool:
    return sc.turns >= 3 and sc.trajectory == "worsens" and sc.moods[-1] == -3


def priority_of(sc: Scenario, margin: float) -> str:
    """Priority from severity: legal, safety, public threat, VIP problems and angry repeats first."""
    flag = sc.intent.flag
    if sc.has("legal") or sc.has("public") or flag == "safety":
        return "P1"
    if (sc.profile.is_vip and sc.is_problem) or _repeated_and_worse(sc):
        return "P1"
    if flag in ("regulatory", "fraud") or sc.intent.severity == "severe" or margin >= 2.5:
        return "P2"
    if sc.has("human") or sc.has("churn") or sc.topic.name == "refunds_billing" or margin >= 1.0:
        return "P3"
    return "P4"


def route_of(sc: Scenario) -> str:
    """Team, in the order the shipped policy applies: compliance, trust, senior, then the topic's."""
    flag = sc.intent.flag
    if sc.has("legal") or flag in ("legal", "regulatory") or sc.topic.name == "legal_regulatory":
        return "legal_compliance"
    if flag in ("safety", "fraud") or sc.topic.name == "account_security":
        return "trust_safety"
    if sc.profile.is_vip and sc.is_problem:
        return "senior_cx"
    if sc.has("public") or sc.has("churn") or flag == "churn" or _repeated_and_worse(sc):
        return "senior_cx"
    return sc.topic.route


def decide(sc: Scenario, cfg: SynthConfig) -> Labels:
    """Label one scenario: the clean decision, then the labelling noise drawn with it."""
    score = latent_score(sc) + (cfg.drift.shift(sc.topic.name) if cfg.drifted else 0.0)
    margin = score - threshold(cfg)
    escalated = margin > 0
    if sc.flip:
        escalated = not escalated
    if not escalated:
        return Labels(False, None, None, score)
    if margin <= 0:  # escalated only by noise: a low-priority hand-off to the topic's team
        return Labels(True, "P4", sc.topic.route, score)
    return Labels(True, priority_of(sc, margin), route_of(sc), score)
