"""Calibrating a policy on an organisation's own history before switching it on.

``trace_rules`` runs the policy's rules over tickets and records, per ticket, what fired: trigger
families with the phrases matched, VIP status, the priority and route rules that would decide an
escalation, and the escalation decision itself (the rules alone, or model + rules when predictions are
given). ``summarise`` turns those traces into what a support operations team tunes a policy with:
how often each trigger family and phrase fires and its precision against the history's ``escalated``
labels, which phrases the ``no_family_veto`` or ``keyword_min_score`` dropped and which tickets the
keep rules kept (and how often the history escalated those: the cost of each), how often each
priority and route rule holds and decides, and how often the rule agrees with the priority / route
the history records.
``calibrate_report`` renders the tables as text.

Priority and route rules are traced on every ticket, as if it were escalated, so a rule is judged on the
whole history rather than only on what the current decision happens to escalate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ticketbuddy.policy.engine import Facts, Learned, PolicyEngine
from ticketbuddy.policy.model import Policy, PriorityRule, RouteRule
from ticketbuddy.schemas import Ticket


@dataclass(frozen=True)
class Label:
    """What the history says was done with a ticket, and the trigger families annotated in it (if any)."""

    escalated: bool
    priority: str | None = None
    route: str | None = None
    triggers: tuple[str, ...] | None = None


@dataclass(frozen=True)
class TicketTrace:
    """The rules that fired on one ticket, and the decision they lead to."""

    ticket_id: str
    escalate: bool
    probability: float | None
    triggers: dict[str, list[str]]
    vip: bool
    priority: str
    priority_rule: str
    route: str
    route_rule: str
    priority_rules_holding: list[str]
    route_rules_holding: list[str]
    label: Label | None = None
    vetoed: dict[str, list[str]] = field(default_factory=dict)
    kept_by: str | None = None


@dataclass
class RuleStats:
    """How a rule (or trigger family, or phrase) did over the history."""

    name: str
    fired: int = 0
    labelled: int = 0
    escalated: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def precision(self) -> float | None:
        """Share of the labelled tickets it fired on that the history escalated; None without any."""
        return self.escalated / self.labelled if self.labelled else None

    def add(self, label: Label | None) -> None:
        """Count one firing, with its label."""
        self.fired += 1
        if label is not None:
            self.labelled += 1
            self.escalated += label.escalated

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready row."""
        return {**asdict(self), "precision": self.precision}


def read_labels(path: str | Path) -> dict[str, Label]:
    """The history's labels by ticket id, from the JSONL rows that carry ``escalated`` (others skipped)."""
    labels = {}
    with Path(path).open(encoding="utf-8-sig") as handle:  # a byte-order mark is not part of line 1
        for line in handle:
            try:
                row = json.loads(line)
            except ValueError:
                continue  # a broken row is reported as a reject by the ticket reader
            if isinstance(row, dict) and isinstance(row.get("escalated"), bool) and "ticket_id" in row:
                triggers = row.get("triggers")
                labels[str(row["ticket_id"]).strip()] = Label(
                    row["escalated"],
                    row.get("priority"),
                    row.get("route"),
                    tuple(triggers) if isinstance(triggers, list) else None,
                )
    return labels


def _rule_name(code: str) -> str:
    """``priority.vip-customer`` → ``vip-customer`` (``default`` / ``fallback`` when none matched)."""
    return code.partition(".")[2]


def _fires(engine: PolicyEngine, rule: PriorityRule | RouteRule, facts: Facts, learned: tuple) -> bool:
    """True when the rule would give an answer: its condition holds (and, from the model, confidently)."""
    if not engine.holds(rule.when, facts):
        return False
    answer, confidence = learned
    return not rule.from_model or (bool(answer) and confidence >= rule.min_confidence)


def trace_ticket(engine: PolicyEngine, ticket: Ticket, facts: Facts, label: Label | None) -> TicketTrace:
    """What fired on one ticket given its facts."""
    decision = engine.decide(facts)
    priority, route, (why_priority, why_route) = engine.assign(facts)
    learned_p = (facts.learned.priority, facts.learned.priority_confidence)
    learned_r = (facts.learned.route, facts.learned.route_confidence)
    policy = engine.policy
    return TicketTrace(
        ticket_id=ticket.ticket_id,
        escalate=decision.escalate,
        probability=facts.probability,
        triggers=facts.triggers,
        vip=facts.vip,
        priority=priority,
        priority_rule=_rule_name(why_priority.code),
        route=route,
        route_rule=_rule_name(why_route.code),
        priority_rules_holding=[r.name for r in policy.priority_rules if _fires(engine, r, facts, learned_p)],
        route_rules_holding=[r.name for r in policy.route_rules if _fires(engine, r, facts, learned_r)],
        label=label,
        vetoed=facts.vetoed,
        kept_by=next((_rule_name(r.code) for r in decision.reasons if r.code.startswith("keep.")), None),
    )


def trace_rules(
    policy: Policy,
    tickets: Sequence[Ticket],
    labels: Mapping[str, Label] | None = None,
    predictions: Sequence[tuple[float | None, Learned]] | None = None,
    threshold: float | None = None,
) -> list[TicketTrace]:
    """Trace the policy over ``tickets``: rules alone, or with a model's ``predictions`` and ``threshold``.

    Example:
        >>> from ticketbuddy.policy.model import load_policy
        >>> from ticketbuddy.schemas import Ticket
        >>> ticket = Ticket.model_validate({"ticket_id": "t1", "channel": "chat",
        ...     "created_at": "2026-11-20T10:00:00Z",
        ...     "messages": [{"role": "customer", "text": "I have asked my lawyer to write to you"}]})
        >>> [trace.route for trace in trace_rules(load_policy(), [ticket])]
        ['legal_compliance']

    """
    engine = PolicyEngine(policy)
    labels = labels or {}
    predictions = predictions or [(None, Learned())] * len(tickets)
    return [
        trace_ticket(engine, t, engine.facts(t, p, threshold, learned), labels.get(t.ticket_id))
        for t, (p, learned) in zip(tickets, predictions, strict=True)
    ]


def _decision_figures(traces: Sequence[TicketTrace]) -> dict[str, Any]:
    labelled = [(t, t.label) for t in traces if t.label is not None]
    tp = sum(t.escalate and label.escalated for t, label in labelled)
    predicted = sum(t.escalate for t, _ in labelled)
    actual = sum(label.escalated for _, label in labelled)
    return {
        "tickets": len(traces),
        "labelled": len(labelled),
        "escalated_by_history": actual,
        "escalated_by_policy": sum(t.escalate for t in traces),
        "precision": tp / predicted if predicted else None,
        "recall": tp / actual if actual else None,
    }


def _phrase_stats(traces: Sequence[TicketTrace], kind: str) -> list[RuleStats]:
    """Per (family, phrase) of ``trace.triggers`` or ``trace.vetoed``: the tickets it was on."""
    phrases: dict[tuple[str, str], RuleStats] = {}
    for trace in traces:
        for family, words in getattr(trace, kind).items():
            for phrase in words:
                row = phrases.setdefault((family, phrase), RuleStats(phrase, extra={"family": family}))
                row.add(trace.label)
    return sorted(phrases.values(), key=lambda s: (s.extra["family"], -s.fired, s.name))


def _family_stats(policy: Policy, traces: Sequence[TicketTrace]) -> list[RuleStats]:
    families = {name: RuleStats(name, extra={"escalate": f.escalate}) for name, f in policy.triggers.items()}
    for trace in traces:
        for family in trace.triggers:
            families[family].add(trace.label)
    return list(families.values())


def _keep_stats(traces: Sequence[TicketTrace]) -> list[RuleStats]:
    """Tickets each keep rule kept; precision: the share of them the history escalated."""
    kept: dict[str, RuleStats] = {}
    for trace in traces:
        if trace.kept_by:
            kept.setdefault(trace.kept_by, RuleStats(trace.kept_by)).add(trace.label)
    return sorted(kept.values(), key=lambda s: s.name)


def _assignment_stats(
    names: Sequence[str], traces: Sequence[TicketTrace], kind: str, default: str
) -> list[RuleStats]:
    """Per rule: how often it holds, decides (first to hold), and agrees with the history's label."""
    stats = {name: RuleStats(name, extra={"holds": 0, "agrees": 0, "compared": 0}) for name in names}
    stats.setdefault(default, RuleStats(default, extra={"holds": 0, "agrees": 0, "compared": 0}))
    for trace in traces:
        for name in getattr(trace, f"{kind}_rules_holding"):
            stats[name].extra["holds"] += 1
        rule = stats[getattr(trace, f"{kind}_rule")]
        rule.add(trace.label)
        recorded = getattr(trace.label, kind, None) if trace.label else None
        if recorded:
            rule.extra["compared"] += 1
            rule.extra["agrees"] += recorded == getattr(trace, kind)
    return list(stats.values())


def summarise(policy: Policy, traces: Sequence[TicketTrace]) -> dict[str, Any]:
    """The calibration tables: decision, families, phrases (fired, vetoed), keep, priority, route rules."""
    priority = _assignment_stats([r.name for r in policy.priority_rules], traces, "priority", "default")
    route = _assignment_stats([r.name for r in policy.route_rules], traces, "route", "fallback")
    return {
        "decision": _decision_figures(traces),
        "vip": sum(t.vip for t in traces),
        "triggers": [s.to_dict() for s in _family_stats(policy, traces)],
        "phrases": [s.to_dict() for s in _phrase_stats(traces, "triggers")],
        "vetoed_phrases": [s.to_dict() for s in _phrase_stats(traces, "vetoed")],
        "keep_rules": [s.to_dict() for s in _keep_stats(traces)],
        "priority_rules": [s.to_dict() for s in priority],
        "route_rules": [s.to_dict() for s in route],
    }
