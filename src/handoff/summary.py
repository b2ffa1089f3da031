"""A summary an agent can read in ten seconds: the customer's key sentences plus the facts.

Extractive on purpose: every word of the summary is the customer's own or a fact from the ticket, so
it cannot invent anything. Sentences are ranked by how much they say about the problem (the opening of
the first message), the feeling (negativity) and the ask (requests, deadlines, threats).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ticketbuddy.features.sentiment import message_sentiment
from ticketbuddy.policy.engine import Facts
from ticketbuddy.schemas import Ticket

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_ASK = re.compile(
    r"\b(please|i want|i need|i'd like|i would like|can you|could you|if i don't|if i do not|"
    r"unless|refund|replace|call me|contact me|speak to|hear back|by (?:today|tomorrow|monday|friday))\b",
    re.IGNORECASE,
)
MAX_SENTENCE_CHARS = 240


@dataclass(frozen=True)
class Summary:
    """The parts of the summary, and the whole as one paragraph."""

    headline: str
    key_sentences: list[str]
    bot_tried: list[str]
    asks: list[str]
    text: str


def sentences(text: str) -> list[str]:
    """Split a message into sentences, dropping empty pieces and cutting very long ones."""
    parts = (p.strip() for p in _SENTENCE.split(text))
    return [_clip(p) for p in parts if len(p) > 1]


def _clip(sentence: str) -> str:
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return sentence
    return sentence[: MAX_SENTENCE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def key_sentences(ticket: Ticket, limit: int = 3) -> list[str]:
    """The customer's most telling sentences, in conversation order."""
    ranked: list[tuple[float, int, str]] = []
    order = 0
    for m_index, message in enumerate(m for m in ticket.messages if m.role == "customer"):
        for s_index, sentence in enumerate(sentences(message.text)):
            score = -message_sentiment(sentence)
            score += 1.0 if (m_index, s_index) == (0, 0) else 0.0
            score += 0.8 if _ASK.search(sentence) else 0.0
            ranked.append((score, order, sentence))
            order += 1
    best = sorted(ranked, key=lambda r: (-r[0], r[1]))[:limit]
    return [s for _, _, s in sorted(best, key=lambda r: r[1])]


def _headline(ticket: Ticket, facts: Facts) -> str:
    c = ticket.customer
    who = "VIP customer" if facts.vip else f"{(c.tier or 'unknown-tier').capitalize()} customer"
    profile = []
    if c.lifetime_value is not None:
        profile.append(f"lifetime value {c.lifetime_value:,.0f}")
    if c.tenure_days is not None:
        profile.append(f"{c.tenure_days / 365.25:.1f} years")
    if c.prior_escalations:
        profile.append(f"{c.prior_escalations} earlier escalations")
    detail = f" ({', '.join(profile)})" if profile else ""
    turns = int(facts.shape["customer_turns"])
    bots = int(facts.shape["bot_turns"])
    contact = f"{turns} customer message{'s' if turns != 1 else ''}"
    if bots:
        contact += f" after {bots} bot repl{'ies' if bots != 1 else 'y'}"
    mood = facts.sentiment
    trend = (
        "worsening"
        if mood["last_minus_first"] < -0.2
        else "improving"
        if mood["last_minus_first"] > 0.2
        else "steady"
    )
    arc = f"{mood['first']:+.2f} → {mood['last']:+.2f}"
    return f"{who}{detail} via {ticket.channel}; {contact}; mood {trend} ({arc})."


def summarise(ticket: Ticket, facts: Facts) -> Summary:
    """Summarise a ticket for the agent who takes it over."""
    key = key_sentences(ticket)
    bot_tried = [sentences(m.text)[0] for m in ticket.messages if m.role == "bot" and sentences(m.text)]
    asks = [s for m in ticket.messages if m.role == "customer" for s in sentences(m.text) if _ASK.search(s)]
    headline = _headline(ticket, facts)
    parts = [headline, "Customer says: " + " ".join(f"“{s}”" for s in key)]
    if bot_tried:
        parts.append("Already tried by the bot: " + "; ".join(bot_tried[-2:]))
    if asks:
        parts.append("Asks for: " + asks[-1])
    if facts.triggers:
        parts.append(
            "Signals: " + ", ".join(f"{k} ({', '.join(v)})" for k, v in sorted(facts.triggers.items()))
        )
    return Summary(headline, key, bot_tried, asks[-1:], " ".join(parts))
