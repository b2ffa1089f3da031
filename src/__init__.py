"""TicketBuddy: learns when a support ticket needs a human, and hands it over with full context."""

__version__ = "0.1.0"
