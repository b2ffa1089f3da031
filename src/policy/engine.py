"""The escalation decision: the model's probability combined with the policy's rules.

The classifier learns *whether* to escalate; the policy says what the organisation insists on (legal
threats always go to a human, regulatory matters to compliance, VIPs to senior agents) and how to
prioritise and route. Every decision carries machine-readable reasons. Without a model the rules
decide alone, and anything in doubt is escalated to the fallback route rather than dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ticketbuddy.features.bot import bot_confidence
from ticketbuddy.features.complexity import complexity_many
from ticketbuddy.features.conversation import Turn
from ticketbuddy.features.sentiment import customer_trajectory
from ticketbuddy.features.shape import conversation_shape
from ticketbuddy.features.triggers import Found, TriggerFinder
from ticketbuddy.policy.evidence import trigger_detail
from ticketbuddy.policy.facts import Facts, Learned, Reason, holds, rule_detail
from ticketbuddy.policy.model import Condition, Policy, PriorityRule, RouteRule
from ticketbuddy.schemas import Ticket


@dataclass
class Decision:
    """The outcome for one ticket: escalate or not, and if so at what priority and to which route."""

    escalate: bool
    priority: str | None
    route: str | None
    reasons: list[Reason] = field(default_factory=list)
    rules_only: bool = False


#: Tickets whose trigger families ``PolicyEngine.facts_many`` finds in one call.
FACTS_BATCH = 256


class PolicyEngine:
    """Applies a ``Policy`` to tickets.

    Args:
        policy: A validated policy (see ``load_policy``).
        encoder_path: The encoder its semantic triggers embed sentences with (the model's own copy
            when a model is loaded); None for the local default.
        semantic: False: families fire on their keywords only (for comparison).

    Example:
        >>> from ticketbuddy.policy.model import load_policy
        >>> engine = PolicyEngine(load_policy())
        >>> ticket = Ticket.model_validate({"ticket_id": "t1", "channel": "email",
        ...     "created_at": "2026-11-20T10:00:00Z", "customer": {"tier": "vip"},
        ...     "messages": [{"role": "customer", "text": "My order is a week late."}]})
        >>> decision = engine.decide(engine.facts(ticket, probability=0.9, threshold=0.4))
        >>> decision.priority, decision.route
        ('P1', 'senior_cx')

    """

    def __init__(self, policy: Policy, encoder_path: str | None = None, semantic: bool = True) -> None:
        self.policy = policy
        self.finder = TriggerFinder(policy.trigger_specs(), encoder_path, semantic, policy.other_examples)

    def facts(
        self,
        ticket: Ticket,
        probability: float | None,
        threshold: float | None,
        learned: Learned | None = None,
    ) -> Facts:
        """Gather what the rules need: triggers, VIP, trajectory, shape, bot, complexity, model answers.

        Triggers are found by keywords and by meaning; the sentences are embedded once (kept per process).
        """
        return self.facts_many([ticket], [probability], threshold, [learned])[0]

    def facts_many(
        self,
        tickets: Sequence[Ticket],
        probabilities: Sequence[float | None],
        threshold: float | None,
        learned: Sequence[Learned | None],
    ) -> list[Facts]:
        """``facts`` of several tickets, their trigger families found ``FACTS_BATCH`` tickets at a time.

        Each batch embeds the sentences the process has not seen in one call and scores them all with
        two matrix products, where ticket-by-ticket calls pay both per ticket (evaluation decides
        thousands); the batch bounds the similarity matrix (sentences x examples).
        """
        texts = [[m.text for m in t.messages if m.role == "customer"] for t in tickets]
        found = [
            item
            for start in range(0, len(texts), FACTS_BATCH)
            for item in self.finder.find_many(texts[start : start + FACTS_BATCH])
        ]
        turns = [[Turn(m.role, m.text, m.confidence) for m in t.messages] for t in tickets]
        figures = complexity_many(turns, self.finder.encoder) if self.finder.semantic else [{} for _ in turns]
        return [
            self._facts(ticket, probability, threshold, answers, fired, conversation, complex_)
            for ticket, probability, answers, fired, conversation, complex_ in zip(
                tickets, probabilities, learned, found, turns, figures, strict=True
            )
        ]

    def _facts(
        self, ticket: Ticket, probability: float | None, threshold: float | None, learned: Learned | None,
        found: Found, turns: list[Turn], figures: dict[str, float],
    ) -> Facts:  # fmt: skip
        """``facts`` of one ticket, given what its triggers found and its complexity figures."""
        shape = conversation_shape(turns)
        return Facts(
            probability=probability,
            threshold=threshold,
            triggers=found.families,
            semantic=found.semantic,
            no_family=found.no_family,
            vetoed=found.vetoed,
            bot=bot_confidence(turns),
            complexity=figures,
            vip=self.is_vip(ticket.customer.tier, ticket.customer.lifetime_value),
            tier=ticket.customer.tier,
            lifetime_value=ticket.customer.lifetime_value,
            channel=ticket.channel,
            customer_turns=int(shape["customer_turns"]),
            sentiment=customer_trajectory(turns),
            shape=shape,
            learned=learned or Learned(),
        )

    def is_vip(self, tier: str | None, lifetime_value: float | None) -> bool:
        """VIP by tier, or by lifetime value at or above the policy's floor."""
        rule = self.policy.vip
        by_value = rule.min_lifetime_value is not None and (lifetime_value or 0) >= rule.min_lifetime_value
        return (tier or "") in rule.tiers or by_value

    def decide(self, facts: Facts) -> Decision:
        """Escalate or not, then priority and route by the first matching rules, with reasons."""
        escalate, reasons = self._should_escalate(facts)
        if not escalate:
            return Decision(False, None, None, reasons, rules_only=facts.probability is None)
        priority, route, why = self.assign(facts)
        reasons += why
        if facts.vip:
            reasons.append(Reason("customer.vip", self._vip_detail(facts)))
        return Decision(True, priority, route, reasons, rules_only=facts.probability is None)

    def assign(self, facts: Facts) -> tuple[str, str, list[Reason]]:
        """Priority and route an escalation of this ticket gets, with the reasons, by the ordered rules."""
        priority, why_priority = self._priority(facts)
        route, why_route = self._route(facts)
        return priority, route, [why_priority, why_route]

    def _should_escalate(self, facts: Facts) -> tuple[bool, list[Reason]]:
        reasons = [self._trigger_reason(name, words, facts) for name, words in sorted(facts.triggers.items())]
        forced = [n for n in facts.triggers if self.policy.triggers[n].escalate == "always"]
        for rule in self.policy.escalation_rules:
            if self.holds(rule.when, facts):
                reasons.append(Reason(f"rule.{rule.name}", rule_detail(rule.when, facts)))
                forced.append(rule.name)
        if facts.probability is None:
            return self._rules_only(facts, reasons, forced)
        p, t = facts.probability, facts.threshold or 0.5
        band = self.policy.low_confidence_band
        if p >= t:
            reasons.insert(0, Reason("model.probability", f"probability {p:.3f} >= threshold {t:.3f}"))
        elif band > 0 and p >= t - band:
            reasons.insert(0, Reason("model.low_confidence", f"probability {p:.3f} within {band} of {t:.3f}"))
        else:
            reasons.insert(0, Reason("model.below_threshold", f"probability {p:.3f} < threshold {t:.3f}"))
        reasons[0] = _with_contributions(reasons[0], facts.learned)
        escalate = p >= t - band if band > 0 else p >= t
        if forced or facts.triggers:
            return bool(forced) or escalate, reasons
        kept = self._keep_rule(facts) if escalate else None
        if kept is not None:
            reasons.append(kept)
        return escalate and kept is None, reasons

    def _keep_rule(self, facts: Facts) -> Reason | None:
        """The first keep rule that holds: a routine message the model would escalate stays with the bot."""
        for rule in self.policy.keep_rules:
            if self.holds(rule.when, facts):
                return Reason(f"keep.{rule.name}", rule_detail(rule.when, facts))
        return None

    def _rules_only(
        self, facts: Facts, reasons: list[Reason], forced: list[str]
    ) -> tuple[bool, list[Reason]]:
        rules = self.policy.rules_only
        reasons.insert(0, Reason("rules_only", "model unavailable: the policy's rules decide alone"))
        low = facts.sentiment["last"] < rules.escalate_when_sentiment_last_below
        if low:
            reasons.append(
                Reason("sentiment.last", f"last customer turn scores {facts.sentiment['last']:.2f}")
            )
        vip = rules.escalate_vip and facts.vip
        if vip:
            reasons.append(Reason("rules_only.vip", "VIP customer: a human takes every VIP ticket meanwhile"))
        any_trigger = rules.escalate_on_any_trigger and bool(facts.triggers)
        return bool(forced) or any_trigger or low or vip, reasons

    def _trigger_reason(self, family: str, words: list[str], facts: Facts) -> Reason:
        mode = self.policy.triggers[family].escalate
        suffix = " (policy: always escalate)" if mode == "always" else ""
        return Reason(f"trigger.{family}", trigger_detail(words, facts.semantic.get(family)) + suffix)

    def _priority(self, facts: Facts) -> tuple[str, Reason]:
        """The first matching rule's priority, raised by the model or a family's floor, never lowered.

        A confident learned priority may raise what a hard rule (one above the learned rule) set;
        then no escalation goes below the ``min_priority`` of a family it fired.
        """
        priority, reason = self._first_priority(facts)
        floors = [
            (self.policy.triggers[f].min_priority, f)
            for f in facts.triggers
            if self.policy.triggers[f].min_priority
        ]
        floor = min(floors, default=None, key=lambda item: str(item[0]))
        if floor is not None and str(floor[0]) < priority:
            detail = (
                f"{floor[0]}: family {floor[1]!r} is never below {floor[0]} (was {priority} by {reason.code})"
            )
            return str(floor[0]), Reason(f"priority.floor.{floor[1]}", detail)
        return priority, reason

    def _first_priority(self, facts: Facts) -> tuple[str, Reason]:
        learned = (facts.learned.priority, facts.learned.priority_confidence)
        hard = True
        for rule in self.policy.priority_rules:
            hard = hard and not rule.from_model
            chosen = _apply(rule, rule.priority, learned, "priority", self.holds(rule.when, facts))
            if chosen:
                return _raised(chosen, learned, self.policy) if hard else chosen
        return "P4", Reason("priority.default", "P4: no priority rule matched")

    def _route(self, facts: Facts) -> tuple[str, Reason]:
        learned = (facts.learned.route, facts.learned.route_confidence)
        for rule in self.policy.route_rules:
            chosen = _apply(rule, rule.route, learned, "route", self.holds(rule.when, facts))
            if chosen and chosen[0] in self.policy.routes:
                return chosen
        fallback = self.policy.fallback_route
        return fallback, Reason("route.fallback", f"{fallback}: no route rule matched")

    def _vip_detail(self, facts: Facts) -> str:
        value = f", lifetime value {facts.lifetime_value:,.0f}" if facts.lifetime_value is not None else ""
        return f"tier {facts.tier or 'unknown'}{value}"

    def holds(self, when: Condition, facts: Facts) -> bool:
        """True when every condition set in ``when`` holds for ``facts`` (see ``facts.holds``)."""
        return holds(when, facts)


def _raised(
    chosen: tuple[str, Reason], learned: tuple[str | None, float], policy: Policy
) -> tuple[str, Reason]:
    """A hard rule's priority, raised to the learned one when that is more urgent and confident enough."""
    answer, confidence = learned
    rule = next((r for r in policy.priority_rules if r.from_model), None)
    if rule is None or not answer or confidence < rule.min_confidence or answer >= chosen[0]:
        return chosen
    detail = f"{answer} from the priority model (confidence {confidence:.2f}), raising {chosen[1].detail}"
    return answer, Reason(f"priority.{rule.name}", detail)


def _with_contributions(reason: Reason, learned: Learned, top: int = 3) -> Reason:
    """The model's reason, with the ``top`` largest feature-group contributions by size when known.

    Example:
        >>> reason = Reason("model.probability", "probability 0.731 >= threshold 0.090")
        >>> learned = Learned(contributions={"text": 0.85, "customer": 0.1, "words": 1.2, "triggers": -0.4})
        >>> _with_contributions(reason, learned).detail
        'probability 0.731 >= threshold 0.090; largest contributions: words +1.20, text +0.85, triggers -0.40'

    """
    largest = sorted(learned.contributions.items(), key=lambda item: (-abs(item[1]), item[0]))[:top]
    if not largest:
        return reason
    listed = ", ".join(f"{name} {value:+.2f}" for name, value in largest)
    return Reason(reason.code, f"{reason.detail}; largest contributions: {listed}")


def _apply(
    rule: PriorityRule | RouteRule,
    fixed: str | None,
    learned: tuple[str | None, float],
    kind: str,
    holds: bool,
) -> tuple[str, Reason] | None:
    """The answer of one priority / route rule, or None when it does not fire."""
    if not holds:
        return None
    if not rule.from_model:
        return str(fixed), Reason(f"{kind}.{rule.name}", f"{fixed} by rule {rule.name!r}")
    answer, confidence = learned
    if not answer or confidence < rule.min_confidence:
        return None
    detail = f"{answer} from the {kind} model (confidence {confidence:.2f}) by rule {rule.name!r}"
    return answer, Reason(f"{kind}.{rule.name}", detail)
