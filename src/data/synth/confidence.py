"""The bot platform's own confidence and matched intent on each generated bot message.

Real bot platforms report, with each answer, the intent they matched and how sure they were. The
generator gives every bot message the scenario's topic as its ``intent`` and a ``confidence`` that
fits how the conversation goes, so that features reading it learn something true:

- an answer the customer comes back after (the matter was not settled) is unsure on average;
- an answer that settles the matter (the customer's next, last turn says it is solved, or the bot's
  closing reply after that) is confident;
- an answer that stands at the end of the ticket is fairly confident;
- serious, flagged (legal, fraud, safety) or angry scenarios, threats and requests for a person, and
  repeat contacts lower it, so escalation-worthy tickets carry lower confidence on average;
- noise: per ticket (how well the bot's intents cover this customer), per message, and a share of
  answers that are confidently wrong (high confidence, yet the customer comes back).

It reads the scenario's hidden facts and its own noise only, never the label, the labelling quirk or
the flipped labels, so the oracle (``oracle``), which knows every hidden fact, is still the ceiling.
All of it is drawn from a random source of its own, seeded by the ticket id (which holds the history's
seed), never from the history's stream: adding these fields changes no text, time, customer or label
of any ticket, and confidences of one ticket do not depend on the tickets before it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from ticketbuddy.data.synth.scenario import Scenario

#: Logit of the confidence before the scenario's difficulty and the noise, by what followed the answer.
_BASE = {"came_back": 0.0, "settled": 1.9, "closing": 2.3, "stands": 1.1}
_SEVERITY = {"none": 0.0, "low": 0.0, "mild": -0.2, "moderate": -0.5, "severe": -0.9}
_FLAGGED = ("legal", "regulatory", "safety", "fraud")
#: Share of unsettled answers the bot was nevertheless sure of.
CONFIDENTLY_WRONG = 0.12


def bot_rng(ticket_id: str) -> random.Random:
    """The random source of one ticket's bot fields, independent of the history's stream.

    Seeding with text hashes it with SHA-512, so the source is the same on every run and platform.

    Example:
        >>> bot_rng("T-7-0000001").random() == bot_rng("T-7-0000001").random()
        True

    """
    return random.Random(f"bot-confidence:{ticket_id}")


def _outcome(sc: Scenario, turn: int, last_message: bool) -> str:
    """What followed the bot's answer to customer turn ``turn``."""
    if last_message:
        return "closing" if sc.resolved and turn == sc.turns - 1 else "stands"
    return "settled" if sc.resolved and turn + 1 == sc.turns - 1 else "came_back"


def _difficulty(sc: Scenario, turn: int) -> float:
    """How much harder than usual this scenario is for a bot, on the logit scale (zero or less)."""
    penalty = _SEVERITY[sc.intent.severity] - 0.4 * (sc.intent.flag in _FLAGGED)
    penalty -= 0.15 * max(0, -sc.moods[turn]) + 0.2 * min(sc.prior_contact, 2)
    penalty -= sum(0.5 if act.turn == turn else 0.25 for act in sc.acts if act.turn <= turn)
    if sc.trajectory == "worsens":
        penalty -= 0.2 * turn
    return penalty


def _confidence(rng: random.Random, sc: Scenario, turn: int, last: bool, ticket_noise: float) -> float:
    outcome = _outcome(sc, turn, last)
    if outcome == "came_back" and rng.random() < CONFIDENTLY_WRONG:
        logit = rng.gauss(2.0, 0.5)
    else:
        logit = _BASE[outcome] + _difficulty(sc, turn) + ticket_noise + rng.gauss(0.0, 0.6)
    return round(1.0 / (1.0 + math.exp(-logit)), 3)


def annotate_bot_messages(
    messages: Sequence[dict[str, Any]], sc: Scenario, ticket_id: str, unreported: float = 0.0
) -> None:
    """Add ``confidence`` and ``intent`` to the bot messages of a rendered ticket, in place.

    Args:
        messages: The ticket's messages in order (customer turns, each maybe followed by a reply).
        sc: The scenario they were rendered from.
        ticket_id: Seeds the ticket's own random source (see ``bot_rng``).
        unreported: Chance that the ticket's bot platform reports no confidence (intent still set).

    Example:
        >>> from ticketbuddy.data.synth import config_from_dict, generate
        >>> ticket = next(generate(config_from_dict({}), 1, seed=3))
        >>> [sorted(m) for m in ticket["messages"] if m["role"] == "bot"][:1]
        [['confidence', 'intent', 'role', 'sent_at', 'text']]

    """
    rng = bot_rng(ticket_id)
    reported = rng.random() >= unreported
    ticket_noise = rng.gauss(0.0, 0.35)
    turn = -1
    for index, message in enumerate(messages):
        if message["role"] == "customer":
            turn += 1
        elif message["role"] == "bot":
            confidence = _confidence(rng, sc, turn, index == len(messages) - 1, ticket_noise)
            if reported:
                message["confidence"] = confidence
            message["intent"] = sc.topic.name
