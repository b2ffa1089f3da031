"""Scoring tickets: model probability + policy decision + hand-off packet, for the API and batch alike.

``Scorer`` is the one place a score is made. If the model is missing or fails on a batch, the policy's
rules decide alone (fail safe): the ticket is still answered, and anything in doubt is escalated.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ticketbuddy.features.conversation import tickets_to_frame
from ticketbuddy.handoff.packet import build_handoff
from ticketbuddy.policy.engine import Decision, Facts, PolicyEngine
from ticketbuddy.policy.model import Policy
from ticketbuddy.schemas import Ticket
from ticketbuddy.serve.schemas import ModelRefOut, ReasonOut, ScoreOut
from ticketbuddy.train.tracking import REGISTERED_MODEL

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    """A model ready to score: the pyfunc, its registry name and version, and its threshold."""

    pyfunc: Any
    name: str
    version: str | None
    threshold: float


def load_model(uri: str) -> LoadedModel:
    """Load a pyfunc model from MLflow (``models:/ticket-escalation@champion`` or any model URI)."""
    import mlflow
    from ticketbuddy.train.pyfunc import unwrap
    from ticketbuddy.train.tracking import configure

    configure()
    pyfunc = mlflow.pyfunc.load_model(uri)
    name, version = _registry_ref(uri)
    return LoadedModel(pyfunc, name, version, float(unwrap(pyfunc).threshold))


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
        self.policy = policy
        self.engine = PolicyEngine(policy)
        self.model = model

    @property
    def degraded(self) -> bool:
        """True when no model is loaded and the rules decide alone."""
        return self.model is None

    def probabilities(self, tickets: Sequence[Ticket]) -> list[float | None]:
        """Model probabilities, or None for every ticket when the model is missing or fails."""
        if self.model is None or not tickets:
            return [None] * len(tickets)
        try:
            predicted = self.model.pyfunc.predict(tickets_to_frame(tickets))
            return [float(p) for p in predicted["probability"]]
        except Exception:  # fail safe: the rules still decide; the error is logged without ticket text
            log.exception("model failed on a batch of %d tickets; rules decide alone", len(tickets))
            return [None] * len(tickets)

    def score(self, tickets: Sequence[Ticket]) -> list[ScoreOut]:
        """Score a batch of tickets, in order."""
        threshold = self.model.threshold if self.model else None
        return [
            self.score_one(ticket, self.engine.facts(ticket, p, threshold))
            for ticket, p in zip(tickets, self.probabilities(tickets), strict=True)
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


def _reasons(decision: Decision) -> list[ReasonOut]:
    return [ReasonOut(code=r.code, detail=r.detail) for r in decision.reasons]
