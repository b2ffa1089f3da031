"""A summary an agent can read in ten seconds: the customer's key sentences plus the facts.

Extractive on purpose: every word of the summary is the customer's own or a fact from the ticket, so
it cannot invent anything. Sentences are ranked by how much they say about the problem (the opening of
each conversation), the feeling (negativity) and the ask (requests, deadlines, threats). With linked
tickets the summary covers the whole history: what the customer said by email before they chatted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ticketbuddy.features.sentiment import message_sentiment
from ticketbuddy.policy.engine import Facts
from ticketbuddy.schemas import Message, Ticket

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_ASK = re.compile(
    r"\b(please|i want|i need|i'd like|i would like|can you|could you|if i don't|if i do not|"
    r"unless|refund|replace|call me|contact me|speak to|hear back|by (?:today|tomorrow|monday|friday))\b",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"^(sorry|i'm sorry|i am sorry|i understand|thanks|thank you|i see|ok|okay|hello|hi)\b", re.IGNORECASE
)
MAX_SENTENCE_CHARS = 240
#: At most this many of the customer's sentences, whatever the length of the history.
MAX_KEY_SENTENCES = 5


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


def _ticket_of(message: Message) -> str | None:
    """The ticket a history message came from (None for a plain ticket's message)."""
    return getattr(message, "ticket_id", None)


def key_sentences(messages: Sequence[Message], limit: int = 3, leave_out: str | None = None) -> list[str]:
    """The customer's most telling sentences, in conversation order.

    The opening of the first conversation scores highest (it usually states the problem), the
    opening of every later linked conversation a little less, so each channel's story is heard.
    ``leave_out`` (the customer's ask, shown on its own) is not repeated.
    """
    ranked: list[tuple[float, int, str]] = []
    opened: set[str | None] = set()
    order = 0
    for message in (m for m in messages if m.role == "customer"):
        ticket = _ticket_of(message)
        opening = 0.0 if ticket in opened else (1.0 if not opened else 0.5)
        opened.add(ticket)
        for s_index, sentence in enumerate(sentences(message.text)):
            score = -message_sentiment(sentence) + (opening if s_index == 0 else 0.0)
            score += 0.8 if _ASK.search(sentence) else 0.0
            if sentence != leave_out:
                ranked.append((score, order, sentence))
            order += 1
    best = sorted(ranked, key=lambda r: (-r[0], r[1]))[:limit]
    return [s for _, _, s in sorted(best, key=lambda r: r[1])]


def bot_attempt(text: str) -> str | None:
    """What a bot message tried, in one sentence: its first sentence that is not an apology or filler."""
    said = sentences(text)
    useful = [s for s in said if not _FILLER.match(s) and len(s.split()) > 3]
    return (useful or said or [None])[0]  # type: ignore[list-item]


def _channels(ticket: Ticket, messages: Sequence[Message]) -> str:
    """``email`` for one ticket, ``email then chat (2 linked tickets)`` for a linked history."""
    path: list[tuple[str | None, str]] = []
    for message in messages:
        step = (_ticket_of(message), getattr(message, "channel", None) or ticket.channel)
        if step not in path:
            path.append(step)
    if len({t for t, _ in path}) <= 1:
        return ticket.channel
    names = list(dict.fromkeys(c for _, c in path))
    return f"{' then '.join(names)} ({len({t for t, _ in path})} linked tickets)"


def _who(ticket: Ticket, facts: Facts) -> str:
    c = ticket.customer
    who = "VIP customer" if facts.vip else f"{(c.tier or 'unknown-tier').capitalize()} customer"
    profile = []
    if c.lifetime_value is not None:
        profile.append(f"lifetime value {c.lifetime_value:,.0f}")
    if c.tenure_days is not None:
        profile.append(f"{c.tenure_days / 365.25:.1f} years")
    if c.prior_escalations:
        profile.append(f"{c.prior_escalations} earlier escalations")
    return who + (f" ({', '.join(profile)})" if profile else "")


def _headline(ticket: Ticket, facts: Facts, messages: Sequence[Message]) -> str:
    turns = sum(m.role == "customer" for m in messages)
    bots = sum(m.role == "bot" for m in messages)
    contact = f"{turns} customer message{'s' if turns != 1 else ''}"
    if bots:
        contact += f" after {bots} bot repl{'ies' if bots != 1 else 'y'}"
    mood = facts.sentiment
    change = mood["last_minus_first"]
    trend = "worsening" if change < -0.2 else "improving" if change > 0.2 else "steady"
    arc = f"{mood['first']:+.2f} → {mood['last']:+.2f}"
    return f"{_who(ticket, facts)} via {_channels(ticket, messages)}; {contact}; mood {trend} ({arc})."


def summarise(
    ticket: Ticket, facts: Facts, history: Sequence[Message] | None = None, omitted: int = 0
) -> Summary:
    """Summarise a ticket for the agent who takes it over.

    Args:
        ticket: The escalated ticket (its profile and metadata are the freshest).
        facts: What the policy saw on it (triggers, VIP, trajectory).
        history: Every message of the ticket and of its linked tickets in time order; the ticket's
            own messages when None.
        omitted: Older messages the packet's history leaves out; the summary says so, so that the
            agent knows there is more than they see.

    """
    messages = list(history) if history is not None else list(ticket.messages)
    conversations = len({_ticket_of(m) for m in messages}) or 1
    asks = [s for m in messages if m.role == "customer" for s in sentences(m.text) if _ASK.search(s)]
    ask = asks[-1] if asks else None
    key = key_sentences(messages, limit=min(MAX_KEY_SENTENCES, 2 + conversations), leave_out=ask)
    tried = (bot_attempt(m.text) for m in messages if m.role == "bot")
    bot_tried = list(dict.fromkeys(t for t in tried if t))
    headline = _headline(ticket, facts, messages)
    parts = [headline]
    if omitted:
        parts.append(f"History shortened: {omitted} earlier message{'s' if omitted != 1 else ''} not shown.")
    parts.append("Customer says: " + " ".join(f"“{s}”" for s in key))
    if bot_tried:
        parts.append("Already tried by the bot: " + " ".join(f"“{s}”" for s in bot_tried[-2:]))
    if ask:
        parts.append(f"Asks for: “{ask}”")
    if facts.triggers:
        parts.append("Signals: " + ", ".join(_signal(k, v, facts) for k, v in sorted(facts.triggers.items())))
    if facts.bot.get("low_turns"):
        unsure, lowest = int(facts.bot["low_turns"]), facts.bot["lowest"]
        parts.append(f"Bot unsure: {unsure} answer(s), lowest confidence {lowest:.2f}.")
    orders = ticket.metadata.get("open_orders")
    if orders:
        parts.append(
            "Open orders: " + ", ".join(str(o) for o in (orders if isinstance(orders, list) else [orders]))
        )
    return Summary(headline, key, bot_tried, asks[-1:], " ".join(parts))


def _signal(family: str, keywords: list[str], facts: Facts) -> str:
    """A family for the summary: its keywords, or the customer's sentence that meant it."""
    if keywords:
        return f"{family} ({', '.join(keywords)})"
    hit = facts.semantic.get(family)
    return f"{family} (“{hit.sentence}”)" if hit else family
