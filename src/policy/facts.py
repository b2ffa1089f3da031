"""What the policy's rules look at for one ticket (``Facts``), and when a rule's conditions hold.

Kept apart from the engine so the conditions — old (triggers, VIP, sentiment) and new (the bot's
confidence, complexity) — and the evidence each names live in one short module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ticketbuddy.features.semantic import SemanticHit
from ticketbuddy.policy.evidence import bot_detail, complexity_detail, distinct_issues
from ticketbuddy.policy.model import Condition


@dataclass(frozen=True)
class Reason:
    """Why part of a decision was taken: a stable ``code`` and a human-readable ``detail``."""

    code: str
    detail: str


@dataclass(frozen=True)
class Learned:
    """The model's route and priority for a ticket, with their confidences (empty without a model).

    ``contributions``: each feature group's contribution to the escalation head's raw score (logit
    units, against the training-mean ticket); empty when the model gives none.
    """

    route: str | None = None
    route_confidence: float = 0.0
    priority: str | None = None
    priority_confidence: float = 0.0
    contributions: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Facts:
    """Everything the rules look at for one ticket."""

    probability: float | None
    threshold: float | None
    triggers: dict[str, list[str]]
    vip: bool
    tier: str | None
    lifetime_value: float | None
    channel: str
    customer_turns: int
    sentiment: dict[str, float]
    shape: dict[str, float]
    learned: Learned = field(default_factory=lambda: Learned())
    semantic: dict[str, SemanticHit] = field(default_factory=dict)
    bot: dict[str, float] = field(default_factory=dict)
    complexity: dict[str, float] = field(default_factory=dict)
    no_family: float = 0.0
    vetoed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def distinct_issues(self) -> int:
        """Distinct trigger families plus every order / account reference beyond the first."""
        return distinct_issues(self.triggers, self.complexity)


def holds(when: Condition, facts: Facts) -> bool:
    """True when every condition set in ``when`` holds for ``facts``."""
    p = facts.probability
    checks = [
        when.triggers_any is None or any(f in facts.triggers for f in when.triggers_any),
        when.vip is None or facts.vip == when.vip,
        when.tiers_any is None or (facts.tier or "") in when.tiers_any,
        when.channels_any is None or facts.channel in when.channels_any,
        when.min_lifetime_value is None or (facts.lifetime_value or 0) >= when.min_lifetime_value,
        when.min_probability is None or (p is not None and p >= when.min_probability),
        when.min_customer_turns is None or facts.customer_turns >= when.min_customer_turns,
        when.sentiment_last_below is None or facts.sentiment["last"] < when.sentiment_last_below,
        when.sentiment_drop_at_least is None
        or facts.sentiment["largest_drop"] >= when.sentiment_drop_at_least,
        when.bot_confidence_below is None
        or (facts.bot.get("reported", 0) > 0 and facts.bot["lowest"] < when.bot_confidence_below),
        when.min_distinct_issues is None or facts.distinct_issues >= when.min_distinct_issues,
        when.min_customer_repeat is None
        or facts.complexity.get("customer_repeat", 0.0) >= when.min_customer_repeat,
        when.min_bot_loop is None or facts.complexity.get("bot_loop", 0.0) >= when.min_bot_loop,
        when.min_customer_words is None
        or facts.complexity.get("customer_words", 0.0) >= when.min_customer_words,
        when.max_probability is None or (p is not None and p < when.max_probability),
        when.min_no_family is None or facts.no_family >= when.min_no_family,
    ]
    return all(checks)


def rule_detail(when: Condition, facts: Facts) -> str:
    """What made an escalation rule hold: the bot's confidence, the complexity figures, the turns."""
    parts = []
    if when.bot_confidence_below is not None:
        parts.append(bot_detail(facts.bot))
    if any(v is not None for v in (when.min_distinct_issues, when.min_customer_repeat, when.min_bot_loop,
                                    when.min_customer_words)):  # fmt: skip
        parts.append(complexity_detail(facts.distinct_issues, facts.complexity))
    if when.min_customer_turns is not None:
        parts.append(f"{facts.customer_turns} customer turns")
    if when.min_no_family is not None:
        parts.append(f"every customer sentence reads as no trigger family (at least {facts.no_family:.2f})")
    if when.max_probability is not None and facts.probability is not None:
        parts.append(f"probability {facts.probability:.3f} < {when.max_probability}")
    return "; ".join(parts) or "rule conditions hold"
