"""A tiny template language for the phrase banks, compiled once and rendered fast.

``[a|b|]`` picks one option at random (an empty option makes the group optional) and ``{slot}`` fills a
per-ticket value such as an order number. Options may hold slots but not further brackets. Writing
banks this way gives hundreds of phrasings per intent from a few readable lines, which is what keeps
generated customer messages varied enough that a model learns the meaning rather than the wording.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from functools import cache

_TOKEN = re.compile(r"\[([^\[\]]*)\]|\{(\w+)\}")
_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r" +([,.!?;:])")

# A compiled template is a tuple of parts: (0, literal), (1, slot name) or (2, tuple of options),
# each option itself a compiled template.
Part = tuple[int, object]
Compiled = tuple[Part, ...]


@cache
def compile_template(template: str) -> Compiled:
    """Parse a template into parts once; later renders only walk the tuple."""
    parts: list[Part] = []
    position = 0
    for match in _TOKEN.finditer(template):
        if match.start() > position:
            parts.append((0, template[position : match.start()]))
        if match.group(2) is not None:
            parts.append((1, match.group(2)))
        else:
            options = tuple(compile_template(o) for o in match.group(1).split("|"))
            parts.append((2, options))
        position = match.end()
    if position < len(template):
        parts.append((0, template[position:]))
    return tuple(parts)


def _render(parts: Compiled, rng: random.Random, slots: Mapping[str, str]) -> str:
    out: list[str] = []
    for kind, value in parts:
        if kind == 0:
            out.append(value)  # type: ignore[arg-type]
        elif kind == 1:
            out.append(slots[value])  # type: ignore[index]
        else:
            options: tuple[Compiled, ...] = value  # type: ignore[assignment]
            out.append(_render(options[int(rng.random() * len(options))], rng, slots))
    return "".join(out)


def tidy(text: str) -> str:
    """Fold the double spaces and stray spaces before punctuation that empty options leave."""
    return _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", text)).strip()


def render(template: str, rng: random.Random, slots: Mapping[str, str]) -> str:
    """Expand one template: pick an option in every ``[...]`` group and fill every ``{slot}``."""
    return tidy(_render(compile_template(template), rng, slots))


def pick(templates: Sequence[str], rng: random.Random, slots: Mapping[str, str]) -> str:
    """Render one template chosen uniformly from a bank."""
    return render(templates[int(rng.random() * len(templates))], rng, slots)


def _count(parts: Compiled) -> int:
    total = 1
    for kind, value in parts:
        if kind == 2:
            total *= sum(_count(o) for o in value)  # type: ignore[attr-defined,misc]
    return total


def count_phrasings(templates: Sequence[str]) -> int:
    """How many distinct word sequences a bank can produce, before slots and surface noise."""
    return sum(_count(compile_template(t)) for t in templates)
