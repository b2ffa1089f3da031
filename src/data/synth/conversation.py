"""Turn a scenario into a conversation: customer turns, assistant or agent replies, a subject line.

The opening message is composed from parts (greeting, earlier contact, loyalty, problem, detail,
occasion, feeling, threat or request, ask, sign-off) that each channel uses differently: social posts
are short, e-mails long with a greeting and a sign-off. Later turns react to the last reply (pushback,
"that's the third message I've sent", or thanks when it worked), following the scenario's moods.
"""

from __future__ import annotations

import random

from ticketbuddy.data.synth import phrases_common as common
from ticketbuddy.data.synth.grammar import pick
from ticketbuddy.data.synth.scenario import Act, Scenario
from ticketbuddy.data.synth.style import americanise, apply_style

_ACT_BANKS = {
    "human": (common.HUMAN_KEYWORD, common.HUMAN_PLAIN),
    "public": (common.PUBLIC_KEYWORD, common.PUBLIC_PLAIN),
    "churn": (common.CHURN_KEYWORD, common.CHURN_PLAIN),
    "legal": (common.LEGAL_KEYWORD, common.LEGAL_PLAIN),
}
_DETAIL_RATE = {"email": 0.85, "chat": 0.3, "social": 0.1, "phone": 0.45, "web": 0.55}
_AGENT_RATE = {"email": 0.35, "phone": 0.5, "chat": 0.1, "social": 0.12, "web": 0.2}
_SUBJECT_RATE = {"email": 0.92, "web": 0.6}

_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_ORDINALS = ("", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")

Turn = tuple[str, str]


def _chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def _acts_text(rng: random.Random, sc: Scenario, turn: int, slots: dict[str, str]) -> list[str]:
    out = []
    for act in sc.acts:
        if act.turn == turn and not (act.kind == "legal" and sc.intent.name == "legal_threat"):
            out.append(_act(rng, act, slots))
    return out


def _act(rng: random.Random, act: Act, slots: dict[str, str]) -> str:
    keyword, plain = _ACT_BANKS[act.kind]
    return pick(keyword if act.keyword else plain, rng, slots)


def _feeling(rng: random.Random, sc: Scenario, mood: int, slots: dict[str, str]) -> str:
    if sc.deadline and mood <= -1 and _chance(rng, 0.6):
        return pick(common.EMBARRASSED, rng, slots)
    return pick(common.EMOTION[mood], rng, slots)


def _opening_parts(rng: random.Random, sc: Scenario, slots: dict[str, str]) -> list[str]:
    intent, topic, short = sc.intent, sc.topic, sc.channel == "social"
    parts = []
    if sc.prior_contact:
        _count_contacts(rng, slots, 1 + sc.prior_contact)
        parts.append(pick(common.PRIOR_CONTACT, rng, slots))
    loyalty_first = sc.loyalty and _chance(rng, 0.5)
    if loyalty_first:
        parts.append(pick(common.LOYALTY, rng, slots))
    parts.append(pick(intent.problems, rng, slots))
    if sc.deadline:
        parts.append(pick(common.DEADLINE, rng, slots))
    if _chance(rng, _DETAIL_RATE[sc.channel]):
        parts.append(pick(intent.details or topic.details, rng, slots))
        extra = pick(topic.details, rng, slots) if sc.channel == "email" and _chance(rng, 0.4) else ""
        if extra not in parts:
            parts.append(extra)
    if sc.loyalty and not loyalty_first:
        parts.append(pick(common.LOYALTY, rng, slots))
    parts.append(_feeling(rng, sc, sc.moods[0], slots))
    parts.extend(_acts_text(rng, sc, 0, slots))
    if _chance(rng, 0.45 if short else 0.8):
        generic = topic.kind == "complaint" and _chance(rng, 0.2)
        parts.append(pick(common.ASKS if generic else intent.asks, rng, slots))
    return [p for p in parts if p]


def _frame(rng: random.Random, sc: Scenario, parts: list[str], slots: dict[str, str]) -> str:
    """Wrap the body in the channel's conventions: greeting, paragraphs, sign-off, hashtags."""
    greeting = pick(common.GREETINGS[sc.channel], rng, slots)
    if sc.channel == "email":
        cut = max(1, len(parts) // 2) if len(parts) > 3 and _chance(rng, 0.6) else len(parts)
        body = " ".join(parts[:cut]) + ("\n\n" + " ".join(parts[cut:]) if parts[cut:] else "")
        return f"{greeting}\n\n{body}\n\n{pick(common.SIGN_OFFS, rng, slots)}"
    text = " ".join(parts)
    if sc.channel == "social" and _chance(rng, 0.25):
        text = f"{text} {rng.choice(common.SOCIAL_TAGS[sc.topic.kind])}"
    return f"{greeting} {text}" if greeting else text


def _follow_up(rng: random.Random, sc: Scenario, turn: int, slots: dict[str, str]) -> str:
    mood, last = sc.moods[turn], turn == sc.turns - 1
    if last and sc.resolved:
        return pick(common.RESOLVED, rng, slots)
    if sc.topic.kind != "complaint":  # a further question, or thanks for the thanks
        return pick(sc.topic.pushback, rng, slots)
    if sc.trajectory == "improves" and mood >= -1:
        parts = [pick(common.IMPROVING, rng, slots)]
        if _chance(rng, 0.5):
            parts.append(pick(sc.intent.asks, rng, slots))
        return " ".join(parts)
    own = sc.intent.pushback and _chance(rng, 0.6)
    parts = [pick(sc.intent.pushback if own else sc.topic.pushback, rng, slots)]
    if _chance(rng, 0.5 if turn >= 2 or sc.prior_contact else 0.15):
        _count_contacts(rng, slots, turn + 1 + sc.prior_contact)
        parts.append(pick(common.REPEAT_CONTACT, rng, slots))
    parts.append(_feeling(rng, sc, mood, slots))
    parts.extend(_acts_text(rng, sc, turn, slots))
    if _chance(rng, 0.4):
        parts.append(pick(sc.intent.asks if _chance(rng, 0.6) else common.ASKS, rng, slots))
    return " ".join(p for p in parts if p)


def _count_contacts(rng: random.Random, slots: dict[str, str], contacts: int) -> None:
    """Make "this is my third message" agree with the turns actually in the ticket."""
    as_word = _chance(rng, 0.5) and contacts < len(_NUMBERS)
    slots["n"] = _NUMBERS[contacts] if as_word else str(contacts)
    slots["nth"] = _ORDINALS[min(contacts, len(_ORDINALS) - 1)]


def _reply(rng: random.Random, sc: Scenario, turn: int, slots: dict[str, str]) -> Turn:
    """The assistant's (or sometimes an agent's) answer to customer turn ``turn``."""
    closing = turn == sc.turns - 1 and sc.resolved
    if closing:
        return "bot", pick(common.BOT_CLOSING, rng, slots)
    answers = sc.intent.replies or sc.topic.bot
    if _chance(rng, _AGENT_RATE[sc.channel]):
        return "agent", f"{pick(common.AGENT_OPENERS, rng, slots)} {pick(answers, rng, slots)}"
    if any(a.kind == "human" and a.turn == turn for a in sc.acts) and _chance(rng, 0.6):
        return "bot", pick(common.BOT_AFTER_PERSON_REQUEST, rng, slots)
    return "bot", pick(answers, rng, slots)


def render_conversation(
    rng: random.Random, sc: Scenario, slots: dict[str, str]
) -> tuple[str | None, list[Turn]]:
    """Write the ticket's subject (or None) and its turns as ``(role, text)`` pairs, in order.

    Every customer turn but the last is followed by a reply; the last one is sometimes followed by a
    closing reply, so single-message tickets and tickets ending with the assistant both occur.
    """
    style = sc.profile.locale
    turns: list[Turn] = []
    for turn in range(sc.turns):
        if turn == 0:
            text = _frame(rng, sc, _opening_parts(rng, sc, slots), slots)
        else:
            text = _follow_up(rng, sc, turn, slots)
        turns.append(("customer", apply_style(text, rng, sc.channel, sc.moods[turn], style)))
        if turn < sc.turns - 1 or _chance(rng, 0.35):
            role, reply = _reply(rng, sc, turn, slots)
            turns.append((role, americanise(reply) if style == "us" else reply))
    subject = None
    if _chance(rng, _SUBJECT_RATE.get(sc.channel, 0.0)):
        own = sc.intent.subjects and _chance(rng, 0.6)
        subject = pick(sc.intent.subjects if own else sc.topic.subjects, rng, slots)
        subject = americanise(subject) if style == "us" else subject
    return subject, turns
