"""Scoring tickets: model probability + policy decision, for the API, batch scoring and evaluation.

``Scorer`` is the one place a decision is made. If the model is missing or fails on a batch, the
policy's rules decide alone (fail safe): the ticket is still decided, and anything in doubt is
escalated. What happens next is the hand-off's business: ``handoff.intake.Intake`` stores every
escalation before the API answers, ``handoff.batch`` writes packets to a file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from ticketbuddy.explain import parse_contributions
from ticketbuddy.features.conversation import tickets_to_frame
from ticketbuddy.features.encoder import openmp_threads_here
from ticketbuddy.features.pipeline import text_embedder
from ticketbuddy.model import EscalationModel
from ticketbuddy.policy.drift import keyword_differences
from ticketbuddy.policy.engine import Decision, Facts, Learned, PolicyEngine
from ticketbuddy.policy.model import Policy
from ticketbuddy.schemas import Ticket
from ticketbuddy.scoring.lean import LeanModel, lean_model, rows
from ticketbuddy.scoring.lookup import load_pyfunc
from ticketbuddy.scoring.tracking import REGISTERED_MODEL

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    """A model ready to score: the pyfunc, its registry name and version, threshold and routes."""

    pyfunc: Any
    name: str
    version: str | None
    threshold: float
    routes: list[str] = field(default_factory=list)
    trigger_families: dict[str, list[str]] = field(default_factory=dict)
    encoder_path: str | None = None
    lean: LeanModel | None = None
    verified: bool = False
    """Its files matched the digests recorded at registration (False: loaded without that check)."""


def load_model(uri: str) -> LoadedModel:
    """Load a pyfunc model from MLflow (``models:/ticket-escalation@champion`` or any model URI).

    An alias is resolved once, and that exact version is loaded, so the version reported is the one
    scoring even if the alias moves meanwhile.

    Its files are checked against the digests recorded at registration before anything is unpickled
    (``lookup.load_pyfunc``).

    Raises:
        ModelTampered: A file of the version changed, is missing or was added; the message names it.
        ModelUnavailable: No such model, alias or version, or it cannot be loaded; the message is one
            line that names the tracking store and the command that fixes it.

    """
    pyfunc, ref = load_pyfunc(uri)
    inner: EscalationModel = pyfunc.unwrap_python_model().model  # the EscalationPyfunc's model
    return LoadedModel(
        pyfunc,
        ref.name,
        ref.version,
        float(inner.threshold),
        inner.routes,
        inner.trigger_families,
        text_embedder(inner.features).model_path,
        lean_model(inner),
        ref.verified,
    )


class ModelRef(BaseModel):
    """Which registered model decided; ``version`` is None when the rules decided alone."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str | None
    threshold: float | None = None


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
        semantic: False: the policy's families fire on keywords only (for comparison).
        slots: Bounds how many ``assess`` calls run at once (the service shares one among its scorers,
            so a reload never doubles it); None for no bound.

    """

    def __init__(
        self,
        policy: Policy,
        model: LoadedModel | None,
        semantic: bool = True,
        slots: threading.Semaphore | None = None,
    ) -> None:
        if model is not None:
            policy.check_model_routes(model.routes)
        self.policy = policy
        self.slots = slots
        self.engine = PolicyEngine(policy, model.encoder_path if model else None, semantic)
        self.model = model
        self.policy_differences = _policy_differences(policy, model)

    @property
    def degraded(self) -> bool:
        """True when no model is loaded and the rules decide alone."""
        return self.model is None

    def predictions(self, tickets: Sequence[Ticket]) -> list[tuple[float | None, Learned]]:
        """Model probability and learned route / priority per ticket; (None, empty) when it cannot."""
        nothing: list[tuple[float | None, Learned]] = [(None, Learned())] * len(tickets)
        if self.model is None or not tickets:
            return nothing
        try:
            predicted = _predict(self.model, tickets)
        except Exception:  # fail safe: the rules still decide; the error is logged without ticket text
            log.exception("model failed on a batch of %d tickets; rules decide alone", len(tickets))
            return nothing
        return [(float(row["probability"]), _learned(row)) for row in predicted]

    def assess(self, tickets: Sequence[Ticket]) -> list[Assessment]:
        """The facts and the policy's decision for each ticket, in order (no packet is built).

        With ``slots`` the call first waits for a free slot: CPU work beyond the cores only interleaves.
        The calling thread takes the process's OpenMP cap, if one is set (``use_numeric_threads``).
        """
        with self.slots or nullcontext():
            openmp_threads_here()
            threshold = self.model.threshold if self.model else None
            predicted = self.predictions(tickets)
            every = self.engine.facts_many(
                tickets, [p for p, _ in predicted], threshold, [learned for _, learned in predicted]
            )
            return [
                Assessment(ticket, facts, self.engine.decide(facts))
                for ticket, facts in zip(tickets, every, strict=True)
            ]

    def model_ref(self, facts: Facts) -> ModelRef:
        """Which model decided (``version`` None when the rules decided alone)."""
        if self.model is None or facts.probability is None:
            return ModelRef(name=self.model.name if self.model else REGISTERED_MODEL, version=None)
        return ModelRef(name=self.model.name, version=self.model.version, threshold=self.model.threshold)


def _policy_differences(policy: Policy, model: LoadedModel | None) -> list[str]:
    """How the policy's trigger keywords differ from the model's; each difference is logged once."""
    if model is None or not model.trigger_families:
        return []
    differences = keyword_differences(model.trigger_families, policy.keyword_families())
    for difference in differences:
        log.warning(
            "model %s version %s was trained with other keywords: %s", model.name, model.version, difference
        )
    return differences


def _predict(model: LoadedModel, tickets: Sequence[Ticket]) -> list[dict[str, Any]]:
    """Prediction rows: the lean path when the model has one, else the MLflow pyfunc."""
    if model.lean is not None:
        return rows(model.lean.predict(tickets))
    frame = model.pyfunc.predict(tickets_to_frame(tickets))
    return list(frame.to_dict(orient="records"))


def _learned(row: dict[str, Any]) -> Learned:
    """The learned route, priority and contributions of one prediction row (older models lack them)."""
    return Learned(
        route=row.get("route") or None,
        route_confidence=float(row.get("route_confidence") or 0.0),
        priority=row.get("priority") or None,
        priority_confidence=float(row.get("priority_confidence") or 0.0),
        contributions=parse_contributions(row.get("contributions")),
    )
