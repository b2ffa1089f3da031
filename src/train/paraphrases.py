"""How TicketBuddy does on tickets phrased in words nobody gave it: the hand-written paraphrase sets.

A positive ticket says a trigger family's thing (a threat to sue, a request for a person, an injury)
without the family's keywords; a hard negative uses the same words or themes calmly. For each ticket
the scorer decides as in production (model and policy, or the rules alone), and on its own, as
``/v1/score`` does. With the per-tensor int8 encoder of earlier stops a text's vector depended on the
texts embedded in the same call, and a family score near its threshold moved with them (117, 119 and
120 of 134 test positives in chunks of 128, all at once and one by one; docs/EVALUATION.md). The
per-token encoder (``features/per_token.py``) removed that; one by one, a ticket's figures depend on
nothing but the ticket, whatever the encoder. The
figures are, per family, how many positives fire the right family, escalate, and do both, and how
many negatives escalate. ``semantic=False`` matches the policy's keywords only, to show what the
examples add (the model's own features are the same in both).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ticketbuddy.policy.calibrate import Label
from ticketbuddy.policy.model import Policy
from ticketbuddy.schemas import Ticket
from ticketbuddy.scoring.scorer import Assessment, LoadedModel, Scorer


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def evaluate_paraphrases(
    policy: Policy,
    model: LoadedModel | None,
    tickets: Sequence[Ticket],
    labels: Mapping[str, Label],
    semantic: bool = True,
) -> dict[str, Any]:
    """Per-family and overall figures on annotated tickets (those with a ``triggers`` label).

    Returns:
        ``positives`` / ``negatives`` counts and shares, ``families`` rows with ``tickets``,
        ``fired`` (the right family fired), ``escalated`` and ``fired_and_escalated``, and ``misses``:
        each positive that did not both fire its family and escalate, and each hard negative that
        escalated, with what fired and the decision's reasons (``miss``).

    """
    annotated = [t for t in tickets if t.ticket_id in labels and labels[t.ticket_id].triggers is not None]
    scorer = Scorer(policy, model, semantic=semantic)
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    negatives = {"tickets": 0, "escalated": 0, "fired": 0}
    misses: list[dict[str, Any]] = []
    positives = {"tickets": 0, "escalated": 0, "fired": 0, "fired_and_escalated": 0}
    for ticket in annotated:
        assessment = scorer.assess([ticket])[0]  # one per call, as /v1/score (see the docstring)
        families = labels[ticket.ticket_id].triggers or ()
        escalated, fired = assessment.decision.escalate, assessment.facts.triggers
        right = all(f in fired for f in families)
        if escalated != bool(families) or not right:
            misses.append(miss(ticket.ticket_id, families, assessment))
        if not families:
            negatives["tickets"] += 1
            negatives["escalated"] += escalated
            negatives["fired"] += bool(fired)
            continue
        positives["tickets"] += 1
        positives["escalated"] += escalated
        positives["fired"] += right
        positives["fired_and_escalated"] += right and escalated
        for family in families:
            row = rows[family]
            row["tickets"] += 1
            row["fired"] += family in fired
            row["escalated"] += escalated
            row["fired_and_escalated"] += family in fired and escalated
    return {
        "semantic": semantic,
        "model": f"{model.name} version {model.version}" if model else None,
        "positives": {**positives, "share": _share(positives["fired_and_escalated"], positives["tickets"])},
        "negatives": {**negatives, "share": _share(negatives["escalated"], negatives["tickets"])},
        "families": {name: dict(row) for name, row in sorted(rows.items())},
        "misses": misses,
    }


def miss(ticket_id: str, wanted: Sequence[str], assessment: Assessment) -> dict[str, Any]:
    """A ticket the check got wrong: the families wanted and fired, the decision and all its reasons.

    The reasons carry their evidence (the keyword, or the customer's sentence and the example it
    resembled, with the similarity; the model's probability and largest contributions), which is
    what a threshold or an example is changed by.
    """
    decision = assessment.decision
    return {
        "ticket_id": ticket_id,
        "wanted": list(wanted),
        "fired": sorted(assessment.facts.triggers),
        "escalated": decision.escalate,
        "priority": decision.priority,
        "reasons": [f"{reason.code}: {reason.detail}" for reason in decision.reasons],
    }


def paraphrases_markdown(results: Sequence[Mapping[str, Any]], misses: bool = False) -> str:
    """One Markdown table per run (with / without the examples), families then the totals.

    With ``misses``, each run's table is followed by the tickets it got wrong, one line each.
    """
    lines: list[str] = []
    for result in results:
        how = "keywords and examples" if result["semantic"] else "keywords only"
        lines += [
            f"### {how} — decided by {result['model'] or 'the rules alone'}",
            "",
            "| family | tickets | right family fired | escalated | both |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, row in result["families"].items():
            cells = [name, row["tickets"], row["fired"], row["escalated"], row["fired_and_escalated"]]
            lines.append("| " + " | ".join(map(str, cells)) + " |")
        p, n = result["positives"], result["negatives"]
        lines += [
            f"| **all positives** | {p['tickets']} | {p['fired']} | {p['escalated']}"
            f" | {p['fired_and_escalated']} ({_percent(p['fired_and_escalated'], p['tickets'])}) |",
            f"| **hard negatives** | {n['tickets']} | {n['fired']} (any family) | {n['escalated']}"
            f" ({_percent(n['escalated'], n['tickets'])}) | |",
            "",
        ]
        if misses:
            lines += _misses_markdown(result["misses"])
    return "\n".join(lines)


def _misses_markdown(misses: Sequence[Mapping[str, Any]]) -> list[str]:
    """The tickets a run got wrong: positives first, then hard negatives, each with its reasons."""
    lines = [f"#### {len(misses)} tickets not as labelled", ""]
    for row in sorted(misses, key=lambda row: (not row["wanted"], row["ticket_id"])):
        wanted = ", ".join(row["wanted"]) or "none (hard negative)"
        fired = ", ".join(row["fired"]) or "nothing"
        outcome = f"escalated {row['priority']}" if row["escalated"] else "kept"
        lines.append(f"- **{row['ticket_id']}**: wanted {wanted}; fired {fired}; {outcome}")
        lines += [f"  - {reason}" for reason in row["reasons"]]
    return [*lines, ""]


def _percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage with one decimal, from the counts (120 of 134: 89.6 %).

    Example:
        >>> _percent(120, 134), _percent(0, 0)
        ('89.6 %', '0.0 %')

    """
    return f"{100 * part / whole if whole else 0.0:.1f} %"
