"""Figures of the contract in DESIGN.md that several test modules check against."""

#: The default routes every shipped policy, generated history and trained model must use.
DEFAULT_ROUTES = frozenset(
    {
        "senior_cx",
        "legal_compliance",
        "billing_disputes",
        "trust_safety",
        "technical_support",
        "general_escalations",
    }
)
