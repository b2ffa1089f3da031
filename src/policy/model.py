"""The escalation policy file: its typed shape, and the checks that refuse a policy that would drop work.

A policy in which a trigger family or a route has no owning team, a chain names a team that does not
exist, or the fallback route is missing is refused at load time with a message naming the entry, so a
service never starts with an escalation type that nobody picks up.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ticketbuddy import yamlfile
from ticketbuddy.features.triggers import TriggerSpec
from ticketbuddy.schemas import Priority


class PolicyError(ValueError):
    """The policy file is unreadable or inconsistent; the message names the entry at fault."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Team(_Strict):
    """A team of human agents that owns routes."""

    name: str


class Route(_Strict):
    """Where an escalated ticket goes: its owning team, SLA, escalation chain and acknowledgement."""

    team: str
    sla_minutes: int = Field(gt=0)
    escalation_chain: list[str] = Field(default_factory=list)
    acknowledgement: str
    claim_timeout_minutes: int | None = Field(default=None, gt=0)

    def reply(self) -> str:
        """The acknowledgement sent to the customer, with the SLA filled in."""
        return self.acknowledgement.format(sla_minutes=self.sla_minutes)


class TriggerFamily(_Strict):
    """A kind of escalation, found by its keywords or by sentences that mean what its examples say.

    Attributes:
        route: Where its escalations go (a route of this policy).
        escalate: ``always``: a hit escalates whatever the model says; ``signal``: it feeds the model
            and the priority / route rules only.
        keywords: Words and phrases, matched in any case, inflected or misspelt.
        examples: Short phrases of what such a message says. They train a small classifier over
            sentence embeddings (every family's examples a class, messages of no family one more); a
            customer sentence whose family score reaches ``threshold`` fires the family.
            ``policy test --families`` reports each family's firing rate, precision and recall by
            keywords, examples and both, to set the threshold on a history.
        not_examples: Calm look-alikes that must not fire it ("my refund arrived, thanks").
        threshold: The family score, 0–1, a sentence needs.
        min_similarity: How close (cosine) a sentence must be to at least one example to be scored at all.
        min_priority: The least urgent priority an escalation with this family may get.
        no_family_veto: Overrides the policy's ``no_family_veto`` for this family.
        keyword_min_score: Overrides the policy's ``keyword_min_score`` for this family.

    """

    route: str
    escalate: Literal["always", "signal"] = "signal"
    keywords: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    not_examples: list[str] = Field(default_factory=list)
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    min_similarity: float = Field(default=0.35, ge=-1.0, le=1.0)
    min_priority: Priority | None = None
    no_family_veto: float | None = Field(default=None, gt=0.0, le=1.0)
    keyword_min_score: float | None = Field(default=None, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _something_to_match(self) -> TriggerFamily:
        if not self.keywords and not self.examples:
            raise ValueError("a trigger family needs keywords or examples")
        return self


class VipRule(_Strict):
    """Who counts as a VIP: a listed tier, or lifetime value at or above a floor."""

    tiers: list[str] = Field(default_factory=list)
    min_lifetime_value: float | None = None


class Condition(_Strict):
    """Conditions that must all hold for a rule to fire; an empty condition always holds."""

    triggers_any: list[str] | None = None
    vip: bool | None = None
    tiers_any: list[str] | None = None
    channels_any: list[str] | None = None
    min_lifetime_value: float | None = None
    min_probability: float | None = None
    min_customer_turns: int | None = None
    sentiment_last_below: float | None = None
    sentiment_drop_at_least: float | None = None
    bot_confidence_below: float | None = Field(default=None, ge=0.0, le=1.0)
    min_distinct_issues: int | None = Field(default=None, ge=1)
    min_customer_repeat: float | None = Field(default=None, ge=0.0, le=1.0)
    min_bot_loop: float | None = Field(default=None, ge=0.0, le=1.0)
    min_customer_words: int | None = Field(default=None, ge=1)
    max_probability: float | None = Field(default=None, ge=0.0, le=1.0)
    min_no_family: float | None = Field(default=None, ge=0.0, le=1.0)


class EscalationRule(_Strict):
    """Escalates a ticket when ``when`` holds, whatever the model's probability.

    For what a model trained on history may not weigh enough: the bot said it was unsure and the
    customer came back; a complaint with several issues that the bot keeps answering with the same text.
    """

    name: str
    when: Condition


class _Rule(_Strict):
    """A priority or route rule.

    It fires when ``when`` holds; a ``from_model`` rule gives the learned answer instead of a fixed one,
    when the model has one with at least ``min_confidence``.
    """

    name: str
    when: Condition = Field(default_factory=Condition)
    from_model: bool = False
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)


class PriorityRule(_Rule):
    """Gives ``priority`` (or the priority model's answer) to an escalated ticket when ``when`` holds."""

    priority: Priority | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PriorityRule:
        if (self.priority is None) == (not self.from_model):
            raise ValueError(f"priority rule {self.name!r} needs exactly one of priority / from_model")
        return self


class RouteRule(_Rule):
    """Sends an escalated ticket to ``route`` (or the route model's answer) when ``when`` holds."""

    route: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> RouteRule:
        if (self.route is None) == (not self.from_model):
            raise ValueError(f"route rule {self.name!r} needs exactly one of route / from_model")
        return self


class RulesOnly(_Strict):
    """How the policy decides when no model is available: fail safe, escalate what is in doubt.

    ``escalate_vip``: every VIP ticket (by tier or lifetime value, as ``vip`` says) goes to a human
    while the model is down. Keywords and a lexicon's sentiment miss most complaints that are phrased
    politely ("my order for a corporate gift has not arrived"), and a VIP's complaint kept by a bot
    costs more than a senior agent's minute on a VIP's question.
    """

    escalate_on_any_trigger: bool = True
    escalate_when_sentiment_last_below: float = -0.3
    escalate_vip: bool = True


class Policy(_Strict):
    """A whole escalation policy; see ``policy.yaml`` shipped with the package for a commented one."""

    version: int = 1
    fallback_route: str
    teams: dict[str, Team]
    routes: dict[str, Route]
    triggers: dict[str, TriggerFamily]
    vip: VipRule = Field(default_factory=VipRule)
    other_examples: list[str] = Field(default_factory=list)
    no_family_veto: float | None = Field(default=None, gt=0.0, le=1.0)
    no_family_veto_min_sentiment: float | None = Field(default=None, ge=-1.0, le=1.0)
    keyword_min_score: float = Field(default=0.0, ge=0.0, le=1.0)
    low_confidence_band: float = Field(default=0.0, ge=0.0, le=0.5)
    escalation_rules: list[EscalationRule] = Field(default_factory=list)
    keep_rules: list[EscalationRule] = Field(default_factory=list)
    priority_rules: list[PriorityRule] = Field(min_length=1)
    route_rules: list[RouteRule] = Field(default_factory=list)
    rules_only: RulesOnly = Field(default_factory=RulesOnly)
    claim_timeout_minutes: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _every_escalation_has_an_owner(self) -> Policy:
        problems = list(self._ownership_problems())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _ownership_problems(self):
        if self.fallback_route not in self.routes:
            yield f"fallback_route {self.fallback_route!r} is not defined under routes"
        for name, route in self.routes.items():
            if route.team not in self.teams:
                yield f"routes.{name}.team {route.team!r} is not a team defined under teams"
            for step in route.escalation_chain:
                if step not in self.teams:
                    yield f"routes.{name}.escalation_chain names {step!r}, which is not a team"
        for name, family in self.triggers.items():
            if family.route not in self.routes:
                yield f"triggers.{name}.route {family.route!r} has no owning team (not a route)"
        for rule in self.route_rules:
            if rule.route is not None and rule.route not in self.routes:
                yield f"route_rules.{rule.name}.route {rule.route!r} is not a route"
        rules: list[_Rule | EscalationRule] = [
            *self.escalation_rules,
            *self.keep_rules,
            *self.priority_rules,
            *self.route_rules,
        ]
        for any_rule in rules:
            for trigger in any_rule.when.triggers_any or []:
                if trigger not in self.triggers:
                    yield f"rule {any_rule.name!r} names trigger family {trigger!r}, which is not defined"

    def claim_timeout(self, route_name: str) -> int | None:
        """Minutes a claim on this route may stay unresolved before the sweeper releases it (None: never).

        A route's own ``claim_timeout_minutes`` wins over the policy-wide one.
        """
        route = self.routes.get(route_name) or self.routes[self.fallback_route]
        return route.claim_timeout_minutes or self.claim_timeout_minutes

    def check_model_routes(self, routes: list[str]) -> None:
        """Refuse a model that can predict a route this policy gives no owning team.

        Raises:
            PolicyError: Naming the routes without an owner.

        """
        orphans = sorted(set(routes) - set(self.routes))
        if orphans and any(rule.from_model for rule in self.route_rules):
            raise PolicyError(
                f"the model predicts routes with no owning team in the policy: {', '.join(orphans)}"
                " (add them under routes, or retrain on the policy's routes)"
            )

    def keyword_families(self) -> dict[str, list[str]]:
        """The trigger keywords by family (what a model's trigger features are compared on)."""
        return {name: list(family.keywords) for name, family in self.triggers.items()}

    def family_veto(self, name: str) -> float | None:
        """The ``no_family_veto`` in force for a family: its own, else the policy's."""
        return self.triggers[name].no_family_veto or self.no_family_veto

    def family_keyword_bar(self, name: str) -> float:
        """The ``keyword_min_score`` in force for a family: its own, else the policy's."""
        own = self.triggers[name].keyword_min_score
        return self.keyword_min_score if own is None else own

    def trigger_specs(self, semantic: bool = True) -> dict[str, TriggerSpec]:
        """The trigger families as the feature pipeline and the matcher take them.

        A family with examples also compares sentences with its keyword phrases of two words or more.

        Args:
            semantic: False leaves the examples out (keywords alone, for comparison).

        """
        return {
            name: TriggerSpec(
                tuple(f.keywords),
                tuple(f.examples) + tuple(k for k in f.keywords if len(k.split()) > 1)
                if semantic and f.examples
                else (),
                tuple(f.not_examples) if semantic else (),
                f.threshold,
                f.min_similarity,
                self.family_veto(name) if semantic and f.examples else None,
                self.family_keyword_bar(name) if semantic and f.examples else 0.0,
                self.no_family_veto_min_sentiment if semantic and f.examples else None,
            )
            for name, f in self.triggers.items()
        }


def default_policy_path() -> Path:
    """The policy file shipped inside the package."""
    return Path(str(resources.files("ticketbuddy.policy").joinpath("policy.yaml")))


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate a policy file (the packaged default when ``path`` is None).

    Raises:
        PolicyError: The file is missing, is not YAML, or fails validation; the message names the entry.

    """
    source = Path(path) if path is not None else default_policy_path()
    try:
        raw = yamlfile.load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {source}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy file {source} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise PolicyError(f"policy file {source} must hold a mapping at the top level")
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'policy'}: {e['msg']}" for e in exc.errors()
        )
        raise PolicyError(f"policy file {source} refused: {details}") from exc
