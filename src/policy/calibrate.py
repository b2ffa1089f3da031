"""Calibrating a policy on an organisation's own history before switching it on.

``trace_rules`` runs the policy's rules over tickets and records, per ticket, what fired: trigger
families with the phrases matched, VIP status, the priority and route rules that would decide an
escalation, and the escalation decision itself (the rules alone, or model + rules when predictions are
given). ``summarise`` turns those traces into what a support operations team tunes a policy with:
how often each trigger family and phrase fires and its precision against the history's ``escalated``
labels, how often each priority and route rule holds and decides, and how often the rule agrees with
the priority / route the history records.

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
    with Path(path).open(encoding="utf-8") as handle:
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


def _trigger_stats(policy: Policy, traces: Sequence[TicketTrace]) -> tuple[list[RuleStats], list[RuleStats]]:
    families = {name: RuleStats(name, extra={"escalate": f.escalate}) for name, f in policy.triggers.items()}
    phrases: dict[tuple[str, str], RuleStats] = {}
    for trace in traces:
        for family, matched in trace.triggers.items():
            families[family].add(trace.label)
            for phrase in matched:
                key = (family, phrase)
                phrases.setdefault(key, RuleStats(phrase, extra={"family": family})).add(trace.label)
    ordered = sorted(phrases.values(), key=lambda s: (s.extra["family"], -s.fired, s.name))
    return list(families.values()), ordered


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
    """The calibration tables: decision, trigger families, phrases, priority rules and route rules."""
    families, phrases = _trigger_stats(policy, traces)
    priority = _assignment_stats([r.name for r in policy.priority_rules], traces, "priority", "default")
    route = _assignment_stats([r.name for r in policy.route_rules], traces, "route", "fallback")
    return {
        "decision": _decision_figures(traces),
        "vip": sum(t.vip for t in traces),
        "triggers": [s.to_dict() for s in families],
        "phrases": [s.to_dict() for s in phrases],
        "priority_rules": [s.to_dict() for s in priority],
        "route_rules": [s.to_dict() for s in route],
    }


def trace_to_dict(trace: TicketTrace) -> dict[str, Any]:
    """A JSON-ready trace."""
    return asdict(trace)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def render_trace(trace: TicketTrace) -> str:
    """One ticket on one line: decision, label, triggers with phrases, VIP, priority and route rules."""
    label = "" if trace.label is None else f" (history: {'escalated' if trace.label.escalated else 'kept'})"
    p = "" if trace.probability is None else f" p={trace.probability:.2f}"
    triggers = " ".join(f"{f}[{', '.join(w)}]" for f, w in sorted(trace.triggers.items())) or "-"
    return (
        f"{trace.ticket_id}: {'ESCALATE' if trace.escalate else 'keep'}{label}{p}; triggers {triggers};"
        f"{' VIP;' if trace.vip else ''} {trace.priority} by {trace.priority_rule};"
        f" {trace.route} by {trace.route_rule}"
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    cells = [list(map(str, headers)), *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]


def render_summary(summary: Mapping[str, Any]) -> str:
    """The calibration tables as text."""
    d = summary["decision"]
    lines = [
        f"{d['tickets']} tickets ({d['labelled']} labelled, {d['escalated_by_history']} escalated in the"
        f" history); the policy escalates {d['escalated_by_policy']}: precision {_pct(d['precision'])},"
        f" recall {_pct(d['recall'])}; {summary['vip']} VIP",
        "",
        "trigger families (precision: share of the labelled tickets it fired on that were escalated)",
        *_table(
            ["family", "escalate", "fired", "precision"],
            [
                [s["name"], s["extra"]["escalate"], s["fired"], _pct(s["precision"])]
                for s in summary["triggers"]
            ],
        ),
        "",
        "phrases that fired",
        *_table(
            ["family", "phrase", "fired", "precision"],
            [[s["extra"]["family"], s["name"], s["fired"], _pct(s["precision"])] for s in summary["phrases"]],
        ),
    ]
    for kind in ("priority", "route"):
        rows = [
            [s["name"], s["extra"]["holds"], s["fired"], _pct(s["precision"]), _agreement(s["extra"])]
            for s in summary[f"{kind}_rules"]
        ]
        lines += ["", f"{kind} rules (holds: condition true; decides: first to hold, on every ticket)"]
        lines += _table(["rule", "holds", "decides", "precision", f"agrees with history {kind}"], rows)
    return "\n".join(lines)


def _agreement(extra: Mapping[str, int]) -> str:
    return f"{extra['agrees']}/{extra['compared']}" if extra["compared"] else "-"
