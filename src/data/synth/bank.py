"""The shape of the phrase banks: topics, their intents, and what the hidden process needs from them.

Every topic module (``phrases_*.py``) builds its ``Topic`` in a function, so nothing is assembled at
import time; ``topics()`` gathers them once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

#: Latent score contribution of an intent's severity. ``none`` is a question or praise, never a problem.
SEVERITY_SCORE = {"none": -4.0, "low": -1.5, "mild": 0.0, "moderate": 1.0, "severe": 3.0}


@dataclass(frozen=True)
class Intent:
    """One thing a customer wants, e.g. a late delivery or a refund status question.

    Attributes:
        name: Unique across topics, e.g. ``delivery_late``.
        severity: ``none``, ``low``, ``mild``, ``moderate`` or ``severe``: how serious the problem is.
        weight: Relative frequency within its topic.
        problems: Templates stating the problem (the core of the opening message).
        asks: Templates saying what the customer wants done.
        flag: ``safety``, ``fraud``, ``legal``, ``regulatory``, ``churn`` or ``""``: drives route and
            priority in the hidden process.
        details: Intent-specific detail templates, used besides the topic's.
        replies: Intent-specific assistant replies (answers to questions); else the topic's.
        pushback: Intent-specific reactions to an unhelpful reply, used besides the topic's.
        subjects: Intent-specific subject lines, used besides the topic's generic ones.

    """

    name: str
    severity: str
    weight: float
    problems: tuple[str, ...]
    asks: tuple[str, ...]
    flag: str = ""
    details: tuple[str, ...] = ()
    replies: tuple[str, ...] = ()
    pushback: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    """A family of intents with shared details, follow-ups, replies and subject lines.

    Attributes:
        name: Topic key as in ``synth.topic_mix``.
        kind: ``complaint``, ``question`` or ``praise``; only complaints feel the customer-value effect.
        intents: Its intents.
        details: Supporting detail templates any intent of the topic may add.
        pushback: What the customer says when the last reply did not help.
        bot: Replies of the assistant (or an agent) to this topic; they never announce a hand-off.
        subjects: Subject lines for e-mail and web forms.
        route: The team an escalation of this topic goes to when no stronger rule applies.

    """

    name: str
    kind: str
    intents: tuple[Intent, ...]
    details: tuple[str, ...]
    pushback: tuple[str, ...]
    bot: tuple[str, ...]
    subjects: tuple[str, ...]
    route: str


@cache
def topics() -> dict[str, Topic]:
    """All topics by name, including the drift-only ``subscriptions``."""
    from ticketbuddy.data.synth import (
        phrases_account,
        phrases_billing,
        phrases_orders,
        phrases_other,
        phrases_product,
    )

    built = [
        phrases_orders.delivery(),
        phrases_billing.refunds_billing(),
        phrases_product.product_fault(),
        phrases_account.account_security(),
        phrases_account.legal_regulatory(),
        phrases_other.faq(),
        phrases_other.praise(),
        phrases_other.subscriptions(),
    ]
    return {topic.name: topic for topic in built}


@cache
def intents() -> dict[str, tuple[Topic, Intent]]:
    """Every intent by name with its topic."""
    return {i.name: (t, i) for t in topics().values() for i in t.intents}
