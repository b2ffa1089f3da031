r"""YAML settings files read strictly: a key given twice in one mapping is an error naming both lines.

PyYAML keeps the last of two equal keys without a word. In a hand-edited policy or params file that
silently drops the first block (a second ``escalation_rules:`` replaces the first), so every settings
file TicketBuddy reads goes through ``StrictLoader``.

Example:
    >>> import yaml
    >>> yaml.load("a: 1\nb: 2\n", Loader=StrictLoader)
    {'a': 1, 'b': 2}
    >>> yaml.load("a: 1\nb: 2\na: 3\n", Loader=StrictLoader)
    Traceback (most recent call last):
    ...
    ticketbuddy.yamlfile.DuplicateKey: key 'a' on line 3 repeats the one on line 1 of the same mapping

"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode


class DuplicateKey(yaml.constructor.ConstructorError):
    """A mapping holds the same key twice; the message names the key and both lines (1-based)."""

    def __init__(self, key: object, first: int, again: int) -> None:
        super().__init__(
            problem=f"key {key!r} on line {again} repeats the one on line {first} of the same mapping"
        )

    def __str__(self) -> str:
        return str(self.problem)


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a mapping with a repeated key."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        """The mapping of ``node``; ``DuplicateKey`` when a scalar key appears in it twice."""
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float, bool)):
                continue
            if key in seen:
                raise DuplicateKey(key, seen[key], line)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load(text: str) -> Any:
    """The YAML document in ``text``, read with ``StrictLoader``."""
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
