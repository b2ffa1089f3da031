"""Scoring tickets: model probability + policy decision + hand-off packet, for the API and batch alike.

``Scorer`` is the one place a score is made. If the model is missing or fails on a batch, the policy's
rules decide alone (fail safe): the ticket is still answered, and anything in doubt is escalated.
The API goes through ``handoff.intake.Intake``, which stores every escalation before answering;
``Scorer.score`` alone (batch scoring) builds packets but queues nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ticketbuddy.features.conversation import tickets_to_frame
from ticketbuddy.handoff.packet import build_handoff
from ticketbuddy.policy.engine import Decision, Facts, Learned, PolicyEngine, Reason
from ticketbuddy.policy.model import Policy
from ticketbuddy.schemas import Ticket
from ticketbuddy.serve.schemas import HandoffOut, ModelRefOut, ReasonOut, ScoreOut
from ticketbuddy.train.lookup import load_pyfunc
from ticketbuddy.train.tracking import REGISTERED_MODEL

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    """A model ready to score: the pyfunc, its registry name and version, threshold and routes."""

    pyfunc: Any
    name: str
    version: str | None
    threshold: float
    routes: list[str] = field(default_factory=list)


def load_model(uri: str) -> LoadedModel:
    """Load a pyfunc model from MLflow (``models:/ticket-escalation@champion`` or any model URI).

    An alias is resolved once, and that exact version is loaded, so the version reported is the one
    scoring even if the alias moves meanwhile.

    Raises:
        ModelUnavailable: No such model, alias or version, or it cannot be loaded; the message is one
            line that names the tracking store and the command that fixes it.

    """
    from ticketbuddy.train.pyfunc import unwrap

    pyfunc, ref = load_pyfunc(uri)
    inner = unwrap(pyfunc)
    return LoadedModel(pyfunc, ref.name, ref.version, float(inner.threshold), inner.routes)


@dataclass(frozen=True)
class Assessment:
    """One ticket as the policy saw it: the ticket, its facts and the decision."""

    ticket: Ticket
    facts: Facts
    decision: Decision


class Scorer:
    """Scores tickets with a model (optional) and a policy.

    Args:
        policy: The escalation policy in force.
        model: The loaded model, or None to decide by the rules alone.

    """

    def __init__(self, policy: Policy, model: LoadedModel | None) -> None:
        if model is not None:
            policy.check_model_routes(model.routes)
        self.policy = policy
        self.engine = PolicyEngine(policy)
        self.model = model

    @property
    def degraded(self) -> bool:
        """True when no model is loaded and the rules decide alone."""
        return self.model is None

    def predictions(self, tickets: Sequence[Ticket]) -> list[tuple[float | None, Learned]]:
        """Model probability and learned route / priority per ticket; (None, empty) when it cannot."""
        nothing = [(None, Learned())] * len(tickets)
        if self.model is None or not tickets:
            return nothing
        try:
            predicted = self.model.pyfunc.predict(tickets_to_frame(tickets))
        except Exception:  # fail safe: the rules still decide; the error is logged without ticket text
            log.exception("model failed on a batch of %d tickets; rules decide alone", len(tickets))
            return nothing
        return [(float(row.probability), _learned(row)) for row in predicted.itertuples(index=False)]

    def assess(self, tickets: Sequence[Ticket]) -> list[Assessment]:
        """The facts and the policy's decision for each ticket, in order (no packet is built)."""
        threshold = self.model.threshold if self.model else None
        assessments = []
        for ticket, (p, learned) in zip(tickets, self.predictions(tickets), strict=True):
            facts = self.engine.facts(ticket, p, threshold, learned)
            assessments.append(Assessment(ticket, facts, self.engine.decide(facts)))
        return assessments

    def score(self, tickets: Sequence[Ticket]) -> list[ScoreOut]:
        """Score a batch of tickets, in order, each escalation with a packet built from its own messages.

        Nothing is queued here: the API puts escalations in the hand-off store (``Intake``);
        batch scoring writes these packets to its output file only.
        """
        return [self.respond(a, self.preview(a)) for a in self.assess(tickets)]

    def preview(self, assessment: Assessment) -> HandoffOut | None:
        """The packet an escalation would get from the ticket alone (None when the AI keeps it)."""
        if not assessment.decision.escalate:
            return None
        return build_handoff(assessment.ticket, assessment.facts, assessment.decision, self.policy)

    def respond(
        self, assessment: Assessment, handoff: HandoffOut | None, notes: Sequence[Reason] = ()
    ) -> ScoreOut:
        """The score response: the decision, its reasons (plus ``notes``) and the hand-off, if any.

        With a hand-off the ticket is escalated, at the hand-off's priority and route: a ticket a human
        already holds stays with them even when its newest message alone would not be escalated.
        """
        decision = assessment.decision
        route = handoff.route if handoff else None
        return ScoreOut(
            ticket_id=assessment.ticket.ticket_id,
            escalate=handoff is not None,
            probability=assessment.facts.probability,
            priority=handoff.priority if handoff else None,
            route=route,
            reasons=_reasons([*decision.reasons, *notes]),
            model=self.model_ref(assessment.facts),
            handoff=handoff,
            customer_reply=self.policy.routes[route].reply() if route in self.policy.routes else None,
        )

    def respond_stored(self, handoff: HandoffOut, model: ModelRefOut, note: Reason) -> ScoreOut:
        """The answer already given for a stored hand-off (an ``Idempotency-Key`` replay), with a note."""
        route = self.policy.routes.get(handoff.route)
        return ScoreOut(
            ticket_id=handoff.ticket_id,
            escalate=True,
            probability=handoff.probability,
            priority=handoff.priority,
            route=handoff.route,
            reasons=[*handoff.reasons, *_reasons([note])],
            model=model,
            handoff=handoff,
            customer_reply=route.reply() if route else None,
        )

    def model_ref(self, facts: Facts) -> ModelRefOut:
        """Which model decided (``version`` None when the rules decided alone)."""
        if self.model is None or facts.probability is None:
            return ModelRefOut(name=self.model.name if self.model else REGISTERED_MODEL, version=None)
        return ModelRefOut(name=self.model.name, version=self.model.version, threshold=self.model.threshold)


def _learned(row: Any) -> Learned:
    """The learned route and priority of one prediction row (older models have neither)."""
    return Learned(
        route=getattr(row, "route", None) or None,
        route_confidence=float(getattr(row, "route_confidence", 0.0) or 0.0),
        priority=getattr(row, "priority", None) or None,
        priority_confidence=float(getattr(row, "priority_confidence", 0.0) or 0.0),
    )


def _reasons(reasons: Sequence[Reason]) -> list[ReasonOut]:
    return [ReasonOut(code=r.code, detail=r.detail) for r in reasons]
