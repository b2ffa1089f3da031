"""How many bot messages carry the platform's ``confidence`` and ``intent``: for validate, import, profile.

Features and policy conditions that read the bot's confidence are only as good as its coverage: a
history (or an import) where few bot messages carry one is worth knowing about before training.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ticketbuddy.schemas import Ticket


@dataclass
class BotCoverage:
    """Counts of bot messages and of those with a confidence and an intent.

    Example:
        >>> from ticketbuddy.schemas import Message, Ticket
        >>> bot = Message(role="bot", text="Try this.", confidence=0.4, intent="delivery")
        >>> ticket = Ticket(ticket_id="T-1", channel="chat", created_at="2026-01-01T00:00:00Z",
        ...                 messages=[Message(role="customer", text="Where is it?"), bot])
        >>> BotCoverage.of([ticket]).summary()
        'bot messages 1: with confidence 1 (100.0%), with intent 1 (100.0%)'

    """

    messages: int = 0
    with_confidence: int = 0
    with_intent: int = 0

    def add(self, ticket: Ticket) -> None:
        """Count the bot messages of one ticket."""
        for message in ticket.messages:
            if message.role == "bot":
                self.messages += 1
                self.with_confidence += message.confidence is not None
                self.with_intent += message.intent is not None

    @classmethod
    def of(cls, tickets: Iterable[Ticket]) -> BotCoverage:
        """The counts over ``tickets``."""
        coverage = cls()
        for ticket in tickets:
            coverage.add(ticket)
        return coverage

    def share(self, part: int) -> float | None:
        """``part`` as a share of the bot messages (``None`` when there are none)."""
        return round(part / self.messages, 4) if self.messages else None

    def summary(self) -> str:
        """One line, e.g. ``bot messages 40: with confidence 38 (95.0%), with intent 40 (100.0%)``."""
        if not self.messages:
            return "bot messages 0"
        return (
            f"bot messages {self.messages}: with confidence {self.with_confidence}"
            f" ({self.with_confidence / self.messages:.1%}), with intent {self.with_intent}"
            f" ({self.with_intent / self.messages:.1%})"
        )
