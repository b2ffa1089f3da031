"""Scoring tickets: model probability + policy decision + hand-off packet, for the API and batch alike.

``Scorer`` is the one place a score is made. If the model is missing or fails on a batch, the policy's
rules decide alone (fail safe): the ticket is still answered, and anything in doubt is escalated.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ticketbuddy.features.conversation import tickets_to_frame
from ticketbuddy.handoff.packet import build_handoff
from ticketbuddy.policy.engine import Decision, Facts, Learned, PolicyEngine
from ticketbuddy.policy.model import Policy
from ticketbuddy.schemas import Ticket
from ticketbuddy.serve.schemas import ModelRefOut, ReasonOut, ScoreOut
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
    """Load a pyfunc model from MLflow (``models:/ticket-escalation@champion`` or any model URI)."""
    import mlflow

    from ticketbuddy.train.pyfunc import unwrap
    from ticketbuddy.train.tracking import configure

    configure()
    pyfunc = mlflow.pyfunc.load_model(uri)
    name, version = _registry_ref(uri)
    inner = unwrap(pyfunc)
    return LoadedModel(pyfunc, name, version, float(inner.threshold), inner.routes)


def _registry_ref(uri: str) -> tuple[str, str | None]:
    """Resolve ``models:/name@alias`` or ``models:/name/version`` to (name, version)."""
    from mlflow import MlflowClient

    if not uri.startswith("models:/"):
        return uri, None
    ref = uri.removeprefix("models:/")
    client = MlflowClient()
    if "@" in ref:
        name, alias = ref.split("@", 1)
        return name, str(client.get_model_version_by_alias(name, alias).version)
    name, _, version = ref.partition("/")
    return name, version or None


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

    def score(self, tickets: Sequence[Ticket]) -> list[ScoreOut]:
        """Score a batch of tickets, in order."""
        threshold = self.model.threshold if self.model else None
        return [
            self.score_one(ticket, self.engine.facts(ticket, p, threshold, learned))
            for ticket, (p, learned) in zip(tickets, self.predictions(tickets), strict=True)
        ]

    def score_one(self, ticket: Ticket, facts: Facts) -> ScoreOut:
        """Decide one ticket from its facts and build the response (and packet when escalated)."""
        decision = self.engine.decide(facts)
        model_ref = self._model_ref(facts)
        handoff = build_handoff(ticket, facts, decision, self.policy) if decision.escalate else None
        reply = self.policy.routes[decision.route].reply() if decision.escalate and decision.route else None
        return ScoreOut(
            ticket_id=ticket.ticket_id,
            escalate=decision.escalate,
            probability=facts.probability,
            priority=decision.priority,
            route=decision.route,
            reasons=_reasons(decision),
            model=model_ref,
            handoff=handoff,
            customer_reply=reply,
        )

    def _model_ref(self, facts: Facts) -> ModelRefOut:
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


def _reasons(decision: Decision) -> list[ReasonOut]:
    return [ReasonOut(code=r.code, detail=r.detail) for r in decision.reasons]
