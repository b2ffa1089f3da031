"""Surface variety: American spelling, typos, casing, emoji and punctuation by channel and mood.

Real tickets are not written in one voice. These passes run after a message is composed, so a model
trained on the result learns to read through "recieved", "COLOR" and "😡" rather than rely on clean text.
"""

from __future__ import annotations

import random
import re
from functools import cache

_US = {
    "colour": "color", "colours": "colors", "favourite": "favorite", "organise": "organize",
    "realise": "realize", "apologise": "apologize", "recognise": "recognize", "recognised": "recognized",
    "cancelled": "canceled", "centre": "center", "mum": "mom", "neighbour": "neighbor",
    "neighbours": "neighbors", "authorisations": "authorizations", "unauthorised": "unauthorized",
    "behaviour": "behavior", "trainers": "sneakers", "fortnight": "two weeks", "ringing": "calling",
    "parcel": "package", "parcels": "packages", "instalments": "installments", "whilst": "while",
    "enquiry": "inquiry", "straight away": "right away", "bank holidays": "public holidays",
    "bin store": "trash room", "solicitor": "attorney", "rang": "called", "ring": "call",
    "sorted": "fixed", "queue": "line", "mobile": "cell",
}  # fmt: skip
_EMOJI = {
    -3: ("😡", "🤬", "😤", "👎"),
    -2: ("😠", "🙄", "😤", "😒"),
    -1: ("🙄", "😕", "😞"),
    0: ("🙂", "🙏", "🤔"),
    1: ("🙏", "🙂", "👍"),
    2: ("😊", "👍", "❤️", "🎉"),
}
_TYPO_RATE = {"chat": 0.03, "social": 0.04, "email": 0.006, "web": 0.015, "phone": 0.0}
_LOWER_RATE = {"chat": 0.35, "social": 0.3, "email": 0.03, "web": 0.08, "phone": 0.0}
_FILLERS = ("Yeah, ", "Um, ", "So, ", "Right, ", "Erm, ")


@cache
def _us_pattern() -> re.Pattern[str]:
    words = sorted(_US, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)


def _us_word(match: re.Match[str]) -> str:
    word = match.group(0)
    us = _US[word.lower()]
    return us[0].upper() + us[1:] if word[0].isupper() else us


def americanise(text: str) -> str:
    """British spellings and words to American ones (colour to color, parcel to package)."""
    return _us_pattern().sub(_us_word, text)


def _typo(word: str, rng: random.Random) -> str:
    i = 1 + int(rng.random() * (len(word) - 2))
    kind = rng.random()
    if kind < 0.4:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.7:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def add_typos(text: str, rng: random.Random, rate: float) -> str:
    """Swap, drop or double a letter in a share ``rate`` of the longer words."""
    if rate <= 0:
        return text
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) >= 4 and word.isalpha() and rng.random() < rate:
            words[i] = _typo(word, rng)
    return " ".join(words)


def apply_style(text: str, rng: random.Random, channel: str, mood: int, locale: str) -> str:
    """Give a composed message the look of its channel, its writer's mood and locale.

    Args:
        text: The composed message.
        rng: The generator's random source.
        channel: ``chat`` and ``social`` get more typos, lower case and emoji; ``phone`` fillers.
        mood: -3..2; furious writers shout and pile up exclamation marks.
        locale: ``us`` switches to American spelling and words.

    """
    if locale == "us":
        text = americanise(text)
    text = add_typos(text, rng, _TYPO_RATE[channel])
    roll = rng.random()
    if roll < _LOWER_RATE[channel]:
        text = text.lower()
    elif mood == -3 and channel in ("chat", "social") and roll > 0.9:
        text = text.upper()
    if mood <= -2 and channel in ("chat", "social", "web") and rng.random() < 0.25:
        text = (text[:-1] if text[-1] in ".!" else text) + rng.choice(("!!", "!!!", "!?"))
    if channel == "phone" and rng.random() < 0.3:
        text = rng.choice(_FILLERS) + text[0].lower() + text[1:]
    if channel in ("chat", "social") and rng.random() < 0.3:
        text = f"{text} {rng.choice(_EMOJI[mood])}"
    elif channel == "chat" and text.endswith(".") and rng.random() < 0.4:
        text = text[:-1]
    return text
