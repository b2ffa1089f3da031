"""``ticketbuddy data profile``: what a labelled ticket history looks like, and where its shortcuts are.

Works on any labelled JSONL (generated or imported): figures that need the generator's ground truth
(topic, trajectory, severity in ``metadata``) are reported only when it is present. The trigger
figures say how far the policy's keywords alone would get, which is the bar a learned model must beat.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ticketbuddy.schemas import LabelledTicket

_FIELDS = ("customer_id", "tier", "lifetime_value", "tenure_days", "orders_12m", "prior_escalations")
_NEW_CUSTOMER_DAYS = 180


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _rates_by(tickets: Sequence[LabelledTicket], key: Callable[[LabelledTicket], str | None]):
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for t in tickets:
        name = key(t)
        if name is not None:
            counts[name][0] += 1
            counts[name][1] += t.escalated
    return {k: {"tickets": n, "escalation_rate": _share(e, n)} for k, (n, e) in sorted(counts.items())}


def _distribution(values: list[str]) -> dict[str, float | None]:
    counts = Counter(values)
    return {k: _share(v, len(values)) for k, v in sorted(counts.items())}


def _meta(key: str) -> Callable[[LabelledTicket], str | None]:
    def read(t: LabelledTicket) -> str | None:
        value = t.metadata.get(key)
        return None if value is None else str(value)

    return read


def _keyword_figures(tickets: Sequence[LabelledTicket], fired: list[bool]) -> dict[str, Any]:
    escalated = [t.escalated for t in tickets]
    tp = sum(f and e for f, e in zip(fired, escalated, strict=True))
    fp = sum(f and not e for f, e in zip(fired, escalated, strict=True))
    fn = sum(e and not f for f, e in zip(fired, escalated, strict=True))
    precision, recall = _share(tp, tp + fp), _share(tp, tp + fn)
    f1 = None
    if precision and recall:
        f1 = round(2 * precision * recall / (precision + recall), 4)
    return {
        "escalated_without_trigger_keyword": _share(fn, sum(escalated)),
        "not_escalated_with_trigger_keyword": _share(fp, len(tickets) - sum(escalated)),
        "keyword_only_classifier": {"precision": precision, "recall": recall, "f1": f1},
    }


def _value_effect(tickets: Sequence[LabelledTicket]) -> dict[str, Any] | None:
    """Escalation rate of mild complaints by who writes them: VIP, standard, new standard."""
    mild = [t for t in tickets if t.metadata.get("severity") == "mild"]
    if not mild:
        return None
    groups = {
        "vip": [t for t in mild if t.customer.tier == "vip"],
        "standard": [t for t in mild if t.customer.tier == "standard"],
        "new_standard": [
            t
            for t in mild
            if t.customer.tier == "standard"
            and t.customer.tenure_days is not None
            and t.customer.tenure_days < _NEW_CUSTOMER_DAYS
        ],
    }
    return {
        name: {"tickets": len(g), "escalation_rate": _share(sum(t.escalated for t in g), len(g))}
        for name, g in groups.items()
    }


def _conversation_figures(tickets: Sequence[LabelledTicket]) -> dict[str, Any]:
    texts = [m.text for t in tickets for m in t.messages if m.role == "customer"]
    turns = [sum(m.role == "customer" for m in t.messages) for t in tickets]
    missing = {f: _share(sum(getattr(t.customer, f) is None for t in tickets), len(tickets)) for f in _FIELDS}
    any_missing = sum(any(getattr(t.customer, f) is None for f in _FIELDS) for t in tickets)
    missing["any"] = _share(any_missing, len(tickets))
    return {
        "unique_customer_message_share": _share(len(set(texts)), len(texts)),
        "single_message_share": _share(sum(len(t.messages) == 1 for t in tickets), len(tickets)),
        "mean_customer_turns": round(sum(turns) / len(turns), 3) if turns else None,
        "missing_customer_fields": missing,
    }


def _bot_figures(tickets: Sequence[LabelledTicket]) -> dict[str, Any]:
    """How many bot messages carry the platform's confidence and intent, and its mean by outcome."""
    from ticketbuddy.data.bots import BotCoverage

    coverage = BotCoverage.of(tickets)
    by_label: dict[bool, list[float]] = {True: [], False: []}
    for t in tickets:
        by_label[t.escalated] += [m.confidence for m in t.messages if m.confidence is not None]
    return {
        "bot_messages": coverage.messages,
        "bot_confidence_share": coverage.share(coverage.with_confidence),
        "bot_intent_share": coverage.share(coverage.with_intent),
        "mean_bot_confidence": {
            ("escalated" if label else "not_escalated"): round(sum(v) / len(v), 4) if v else None
            for label, v in by_label.items()
        },
    }


def profile_tickets(
    tickets: Sequence[LabelledTicket], families: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """Compute the profile of a labelled history.

    Args:
        tickets: The tickets.
        families: Trigger keywords by family (normally the policy's), matched on customer turns.

    Returns:
        A JSON-ready dict; the keys are described in ``ticketbuddy data profile --help``.

    """
    from ticketbuddy.features.triggers import KeywordMatcher
    from ticketbuddy.schemas import customer_text

    matcher = KeywordMatcher(families)
    fired = [bool(matcher.find(customer_text(t))) for t in tickets]
    escalated = [t for t in tickets if t.escalated]
    return {
        "tickets": len(tickets),
        "escalation_rate": _share(len(escalated), len(tickets)),
        "by_topic": _rates_by(tickets, _meta("topic")),
        "by_tier": _rates_by(tickets, lambda t: t.customer.tier or "(missing)"),
        "by_channel": _rates_by(tickets, lambda t: t.channel),
        "by_trajectory": _rates_by(tickets, _meta("trajectory")),
        "priority": _distribution([t.priority or "(none)" for t in escalated]),
        "route": _distribution([t.route or "(none)" for t in escalated]),
        **_keyword_figures(tickets, fired),
        **_conversation_figures(tickets),
        **_bot_figures(tickets),
        "vip_vs_standard_mild_complaints": _value_effect(tickets),
    }


def profile_file(path: str | Path) -> dict[str, Any]:
    """Read a labelled JSONL file and profile it; rows that fail the contract are counted, not used.

    Raises:
        ValueError: The file holds no ticket row (empty, or only blank lines): nothing to describe.

    """
    from ticketbuddy.data.jsonl import no_tickets, read_tickets
    from ticketbuddy.policy.model import load_policy

    result = read_tickets(path, labelled=True)
    if empty := no_tickets(path, result):
        raise ValueError(empty)
    report = profile_tickets(result.tickets, load_policy().keyword_families())
    return {"path": str(path), "rows_read": result.rows_read, "rows_rejected": len(result.rejects), **report}


def dumps(report: Mapping[str, Any]) -> str:
    """The profile as indented JSON."""
    return json.dumps(report, indent=2, ensure_ascii=False)
