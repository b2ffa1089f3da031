"""The hidden facts of one ticket, drawn before any text is written.

A scenario says who writes, about what, how their mood moves over the turns, and which threats or
requests they make. The labels come from these facts alone (``labels``); the text is rendered from
them afterwards (``conversation``), so wording, order numbers and names never decide a label.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from ticketbuddy.data.synth.bank import Intent, Topic, topics
from ticketbuddy.data.synth.config import SynthConfig
from ticketbuddy.data.synth.customers import CustomerPool, Profile, poisson, weighted

# Customer turns per channel: P(1 turn), P(2 turns), ...
_TURNS = {
    "email": (0.55, 0.28, 0.12, 0.05),
    "chat": (0.18, 0.27, 0.25, 0.15, 0.09, 0.06),
    "social": (0.45, 0.3, 0.17, 0.08),
    "phone": (0.55, 0.3, 0.15),
    "web": (0.65, 0.22, 0.13),
}
_START_MOOD = {
    "none": (0, 0, 1),
    "low": (0, 0, -1),
    "mild": (0, -1, -1, -2),
    "moderate": (-1, -2, -2, -3),
    "severe": (-2, -3, -3),
}
_LOYALTY = {"standard": 0.03, "silver": 0.08, "gold": 0.15, "vip": 0.3}
_KEYWORD_SHARE = {"human": 0.5, "public": 0.55, "churn": 0.5, "legal": 0.75}


@dataclass(frozen=True)
class Act:
    """Something the customer does in a turn: ``legal``/``public``/``churn`` threat or ``human`` request."""

    kind: str
    turn: int
    keyword: bool


@dataclass
class Scenario:
    """Everything true about a ticket; only its rendering reaches the model.

    Attributes:
        channel: Where it came in.
        profile: The customer.
        returning: Whether the customer wrote before in this history.
        topic: Topic of the problem.
        intent: What exactly they want.
        moods: Mood per customer turn, -3 (furious) to 2 (delighted); its length is the turn count.
        trajectory: ``stays``, ``improves`` or ``worsens``.
        resolved: The last customer turn says the problem is solved.
        acts: Threats and requests for a person, with the turn they come in.
        prior_contact: Earlier contacts about the same problem that the customer mentions.
        loyalty: The customer points out how long or how much they have bought.
        deadline: The order was needed for an occasion.
        open_orders: Orders not yet delivered (ground truth for evaluation only).
        quirk: Unobserved push towards or away from a human, as real handlers differ.
        flip: The label is flipped by labelling noise.

    """

    channel: str
    profile: Profile
    returning: bool
    topic: Topic
    intent: Intent
    moods: list[int]
    trajectory: str
    resolved: bool
    acts: list[Act] = field(default_factory=list)
    prior_contact: int = 0
    loyalty: bool = False
    deadline: bool = False
    open_orders: int = 0
    quirk: float = 0.0
    flip: bool = False

    @property
    def turns(self) -> int:
        """Number of customer turns."""
        return len(self.moods)

    @property
    def is_problem(self) -> bool:
        """A complaint, as opposed to a question or praise: only problems feel customer value."""
        return self.topic.kind == "complaint" and self.intent.severity != "none"

    def has(self, kind: str) -> bool:
        """Whether the customer made an act of this kind."""
        return any(a.kind == kind for a in self.acts)


def _choose_intent(rng: random.Random, topic: Topic) -> Intent:
    total = sum(i.weight for i in topic.intents)
    return topic.intents[-1] if total <= 0 else _by_weight(rng, topic.intents, total)


def _by_weight(rng: random.Random, intents: tuple[Intent, ...], total: float) -> Intent:
    point, running = rng.random() * total, 0.0
    for intent in intents:
        running += intent.weight
        if point < running:
            return intent
    return intents[-1]


def _turn_count(rng: random.Random, channel: str, topic: Topic) -> int:
    shares = _TURNS[channel]
    point, running, turns = rng.random(), 0.0, len(shares)
    for i, share in enumerate(shares):
        running += share
        if point < running:
            turns = i + 1
            break
    return turns if topic.kind == "complaint" else min(turns, 2)


def _moods(rng: random.Random, intent: Intent, topic: Topic, turns: int) -> tuple[list[int], str, bool]:
    start = rng.choice(_START_MOOD[intent.severity]) if topic.kind != "praise" else 2
    if turns == 1:
        return [start], "stays", False
    point = rng.random()
    if topic.kind != "complaint":
        trajectory = "improves" if topic.kind == "question" and point < 0.4 else "stays"
    else:
        trajectory = "worsens" if point < 0.32 else "improves" if point < 0.62 else "stays"
    if trajectory == "stays":
        return [start] * turns, trajectory, False
    if trajectory == "worsens":
        moods = [min(start + 1, 0) if start <= -2 else start]
        for _ in range(turns - 1):
            moods.append(max(-3, moods[-1] - (1 if rng.random() < 0.75 else 0)))
        if moods[-1] >= moods[0]:
            moods[-1] = max(-3, moods[0] - 1)
        return moods, trajectory, False
    resolved = rng.random() < 0.7
    first, last = (min(start, -1) if topic.kind == "complaint" else 0), (1 if resolved else 0)
    moods = [round(first + (last - first) * t / (turns - 1)) for t in range(turns)]
    return moods, trajectory, resolved


def _acts(rng: random.Random, sc: Scenario) -> list[Act]:
    acts: list[Act] = []
    if sc.intent.name == "legal_threat":
        acts.append(Act("legal", 0, rng.random() < _KEYWORD_SHARE["legal"]))
    if not sc.is_problem:
        if rng.random() < 0.01:
            acts.append(Act("human", sc.turns - 1, rng.random() < 0.5))
        return acts
    improving = sc.trajectory == "improves"
    turn = 0 if improving else sc.turns - 1
    mood = sc.moods[turn]
    angry, furious, long = mood <= -2, mood == -3, sc.turns >= 3 and not improving
    chances = {
        "human": 0.03 + 0.08 * angry + 0.04 * furious + 0.07 * long,
        "public": 0.005 + 0.05 * angry + 0.04 * furious + 0.05 * (sc.channel == "social"),
        "churn": 0.01 + 0.05 * angry + 0.04 * (sc.trajectory == "worsens"),
        "legal": 0.008 + 0.015 * angry + 0.015 * furious,
    }
    for kind, chance in chances.items():
        if rng.random() < chance and not (kind == "legal" and acts):
            at = turn if improving or rng.random() < 0.7 else int(rng.random() * sc.turns)
            acts.append(Act(kind, at, rng.random() < _KEYWORD_SHARE[kind]))
    return acts


def draw_scenario(rng: random.Random, cfg: SynthConfig, pool: CustomerPool) -> Scenario:
    """Draw the hidden facts of the next ticket of a history.

    Args:
        rng: The history's random source; draws happen in a fixed order.
        cfg: Mixes and rates (drift already reflected by ``cfg.mix``).
        pool: The customers met so far, for repeat contacts.

    """
    bank = topics()
    profile, returning = pool.next(cfg.mix("tier_mix"), cfg.mix("locale_mix"))
    channel = weighted(rng, cfg.mix("channel_mix"))
    topic_names = [name for name, _ in cfg.mix("topic_mix")]
    wants_follow_up = returning and bool(profile.last_intent) and rng.random() < 0.4
    found = _follow_up(profile, topic_names) if wants_follow_up else None
    if found is None:
        topic = bank[weighted(rng, cfg.mix("topic_mix"))]
        intent = _choose_intent(rng, topic)
    else:
        topic, intent = found
    turns = _turn_count(rng, channel, topic)
    moods, trajectory, resolved = _moods(rng, intent, topic, turns)
    sc = Scenario(channel, profile, returning, topic, intent, moods, trajectory, resolved)
    sc.acts = _acts(rng, sc)
    sc.prior_contact = (1 + (rng.random() < 0.3)) if found is not None else 0
    if sc.is_problem and not sc.prior_contact and rng.random() < 0.06:
        sc.prior_contact = 1
    loyalty = _LOYALTY[profile.tier] + 0.1 * (profile.lifetime_value >= 5000)
    sc.loyalty = sc.is_problem and rng.random() < loyalty
    near = topic.name in ("delivery", "product_fault")
    sc.deadline = sc.is_problem and near and rng.random() < 0.1
    sc.open_orders = poisson(rng, profile.orders_12m / 8) + (topic.name == "delivery")
    u = min(max(rng.random(), 1e-9), 1 - 1e-9)
    sc.quirk = 0.6 * math.log(u / (1 - u))
    sc.flip = rng.random() < cfg.label_noise
    profile.last_intent = intent.name if sc.is_problem else ""
    return sc


def _follow_up(profile: Profile, topic_names: list[str]) -> tuple[Topic, Intent] | None:
    """The customer's previous problem again, if its topic is still in the mix."""
    for topic in topics().values():
        for intent in topic.intents:
            if intent.name == profile.last_intent and topic.name in topic_names:
                return topic, intent
    return None
