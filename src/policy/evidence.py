"""The evidence a reason names: what matched, what it resembled, how unsure the bot was, how complex.

An agent reading a hand-off, or a manager auditing one, should see *why* in the ticket's own words:
"'could someone real call me' resembles 'let me speak to a real person' (similarity 0.71)", not
"trigger.human_request".
"""

from __future__ import annotations

from collections.abc import Mapping

from ticketbuddy.features.semantic import SemanticHit


def trigger_detail(keywords: list[str], hit: SemanticHit | None) -> str:
    """The matched keywords and / or the customer sentence with the example it resembled.

    Example:
        >>> trigger_detail(["lawyer"], None)
        "matched 'lawyer'"
        >>> trigger_detail([], SemanticHit("I will sue", "I am going to sue you", 0.81, 0.93))
        "'I will sue' resembles 'I am going to sue you' (similarity 0.81, family score 0.93)"

    """
    parts = []
    if keywords:
        parts.append("matched " + ", ".join(repr(w) for w in keywords))
    if hit is not None:
        parts.append(hit.describe())
    return "; ".join(parts)


def bot_detail(bot: Mapping[str, float]) -> str:
    """The bot's confidence figures in words.

    Example:
        >>> bot_detail({"last": 0.4, "lowest": 0.31, "low_turns": 2, "low_then_customer": 1, "reported": 3})
        'lowest bot confidence 0.31 (last 0.40); 2 unsure bot answers, 1 followed by the customer again'

    """
    if not bot.get("reported"):
        return "the bot reported no confidence"
    return (
        f"lowest bot confidence {bot['lowest']:.2f} (last {bot['last']:.2f}); {int(bot['low_turns'])}"
        f" unsure bot answers, {int(bot['low_then_customer'])} followed by the customer again"
    )


def distinct_issues(triggers: Mapping[str, list[str]], figures: Mapping[str, float]) -> int:
    """Distinct trigger families, plus every order / account reference beyond the first.

    Example:
        >>> distinct_issues({"refund": ["refund"], "technical": []}, {"references": 3.0})
        4

    """
    return len(triggers) + max(int(figures.get("references", 0)) - 1, 0)


def complexity_detail(issues: int, figures: Mapping[str, float]) -> str:
    """The complexity figures in words.

    Example:
        >>> complexity_detail(3, {"references": 2, "customer_repeat": 0.91, "bot_loop": 0.8,
        ...     "customer_words": 412, "topic_spread": 0.7}).split("; ")[:3]
        ['3 distinct issues (2 references)', 'customer repeat 0.91', 'bot loop 0.80']

    """
    get = figures.get
    return "; ".join(
        [
            f"{issues} distinct issues ({int(get('references', 0))} references)",
            f"customer repeat {get('customer_repeat', 0.0):.2f}",
            f"bot loop {get('bot_loop', 0.0):.2f}",
            f"{int(get('customer_words', 0))} customer words",
            f"topic spread {get('topic_spread', 0.0):.2f}",
        ]
    )
