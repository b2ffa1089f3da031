"""The README's examples and the matcher the smoke test compares the service's answers with.

Pure (no processes, no network) and standard library only, so ``scripts/smoke.py`` can use it from the
system Python and ``tests/code/test_smoke.py`` can test it alone. The conventions:

- an *example* is a ```bash block that runs ``curl``; its *expected answer* is the first ```json block
  after it, before the next ```bash block;
- in an expected answer, objects are abridged (extra keys in the answer are fine), lists are matched as
  subsequences, ``…`` in a string matches any text (a string that starts and ends with ``…`` matches
  any value), and a decimal number matches within one unit of its last written digit.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ELLIPSIS = "\u2026"
README_API = "127.0.0.1:8000"
README_MLFLOW = "127.0.0.1:5000"
PRINTS_MARKER = "`make run` prints"
_DECIMAL = re.compile(r"\d+\.\d+")
_NUMBER_GROUP = r"(?<!\d)(\d+(?:\.\d+)?)"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_FENCE = re.compile(r"^ {0,3}(`{3,})\s*([^`\s]*)[^`]*$")


class WrittenFloat(float):
    """A JSON number with a decimal point that remembers how the README wrote it (for its tolerance)."""

    text: str

    def __new__(cls, text: str) -> WrittenFloat:
        """The number written as ``text``."""
        value = super().__new__(cls, text)
        value.text = text
        return value


@dataclass(frozen=True)
class Block:
    """A fenced code block: its info-string language ('' for none), its text and its opening line."""

    lang: str
    text: str
    line: int


@dataclass(frozen=True)
class Example:
    """A README ```bash block running curl, and the first ```json block answering it (if any)."""

    command: str
    line: int
    expected: Any = None
    expected_line: int | None = None


def fenced_blocks(readme: str) -> list[Block]:
    """Every fenced (```) code block of a Markdown text, in order; an unclosed block runs to the end."""
    blocks: list[Block] = []
    lines = readme.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, body, j = opening.group(1), [], i + 1
        while j < len(lines) and not re.fullmatch(rf" {{0,3}}{fence}`*\s*", lines[j]):
            body.append(lines[j])
            j += 1
        blocks.append(Block(opening.group(2).lower(), "\n".join(body), i + 1))
        i = j + 1
    return blocks


def parse_readme_json(text: str) -> Any:
    """JSON as written in the README, floats as :class:`WrittenFloat` (``json.JSONDecodeError`` if bad)."""
    return json.loads(text, parse_float=WrittenFloat)


def readme_examples(readme: str) -> list[Example]:
    """The curl examples in README order, each with the first ```json block before the next ```bash one."""
    examples: list[Example] = []
    blocks = fenced_blocks(readme)
    for index, block in enumerate(blocks):
        if block.lang != "bash" or "curl" not in block.text:
            continue
        answer = None
        for later in blocks[index + 1 :]:
            if later.lang == "bash":
                break
            if later.lang == "json":
                answer = later
                break
        if answer is None:
            examples.append(Example(block.text, block.line))
            continue
        try:
            expected = parse_readme_json(answer.text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"README line {answer.line}: the ```json block is not JSON: {exc}") from exc
        examples.append(Example(block.text, block.line, expected, answer.line))
    return examples


def prints_block(readme: str) -> list[str] | None:
    """The non-empty lines of the plain fenced block after the paragraph saying "`make run` prints"."""
    at = readme.find(PRINTS_MARKER)
    if at < 0:
        return None
    line = readme.count("\n", 0, at) + 1
    following = [block for block in fenced_blocks(readme) if block.line > line]
    if not following or following[0].lang:
        return None
    return [text.strip() for text in following[0].text.splitlines() if text.strip()]


def substitute_ports(text: str, api_port: int, mlflow_port: int) -> str:
    """The README's text with its default ports (8000, MLflow 5000) replaced by the smoke test's."""
    return text.replace(README_API, f"127.0.0.1:{api_port}").replace(
        README_MLFLOW, f"127.0.0.1:{mlflow_port}"
    )


def strip_ansi(text: str) -> str:
    """Text without terminal colour escapes."""
    return _ANSI.sub("", text)


def is_placeholder(value: Any) -> bool:
    """A description such as "…every message…": a string that starts and ends with an ellipsis."""
    return isinstance(value, str) and value.startswith(ELLIPSIS) and value.endswith(ELLIPSIS)


def within_tolerance(written: str, actual: float | int | Decimal) -> bool:
    """Whether ``actual`` is within 10**-k of the number written as ``written`` (k: its decimals)."""
    if isinstance(actual, float) and not math.isfinite(actual):
        return False
    expected = Decimal(written)
    decimals = max(0, -int(expected.as_tuple().exponent))
    actual_exact = Decimal(repr(actual)) if isinstance(actual, float) else Decimal(actual)
    return abs(expected - actual_exact) <= Decimal(1).scaleb(-decimals)


def string_matches(expected: str, actual: str) -> bool:
    """The string rule: ``…`` matches any text, decimals compare numerically, the rest literally."""
    parts: list[str] = []
    written: list[str] = []
    for index, chunk in enumerate(expected.split(ELLIPSIS)):
        if index:
            parts.append(".*?")
        position = 0
        for number in _DECIMAL.finditer(chunk):
            parts += [re.escape(chunk[position : number.start()]), _NUMBER_GROUP]
            written.append(number.group())
            position = number.end()
        parts.append(re.escape(chunk[position:]))
    found = re.fullmatch("".join(parts), actual, re.DOTALL)
    return bool(found) and all(
        within_tolerance(w, Decimal(g)) for w, g in zip(written, found.groups(), strict=True)
    )


def show(value: Any) -> str:
    """A value as JSON for a failure message, cut at 300 characters."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 300 else text[:300] + "…"


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key) else f"{path}[{json.dumps(key)}]"


def _list_matches(expected: list[Any], actual: list[Any], path: str) -> str | None:
    if len(expected) == 1 and is_placeholder(expected[0]):
        return None if actual else f"{path}: expected a non-empty list, got []"
    start = 0
    for index, item in enumerate(expected):
        found = next((j for j in range(start, len(actual)) if matches(item, actual[j]) is None), None)
        if found is None:
            detail = (
                matches(item, actual[start], f"{path}[{start}]")
                if start < len(actual)
                else f"no actual items left (expected {show(item)})"
            )
            return f"{path}: README item {index} matches no actual item from index {start} on; {detail}"
        start = found + 1
    return None


def matches(expected: Any, actual: Any, path: str = "$") -> str | None:
    """None when ``actual`` satisfies the README's ``expected``, else the path of the first difference."""
    differ = f"{path}: expected {show(expected)}, got {show(actual)}"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return differ
        for key, value in expected.items():
            if key == ELLIPSIS:  # {"…": "…"}: the README abridged the object's other keys
                continue
            if key not in actual:
                return f"{_child(path, key)}: missing (expected {show(value)})"
            if (difference := matches(value, actual[key], _child(path, key))) is not None:
                return difference
        return None
    if isinstance(expected, list):
        return _list_matches(expected, actual, path) if isinstance(actual, list) else differ
    if isinstance(expected, str):
        if isinstance(actual, str):
            return None if string_matches(expected, actual) else differ
        return None if is_placeholder(expected) and actual is not None else differ
    if expected is None or isinstance(expected, bool):
        return None if actual is expected else differ
    if isinstance(expected, float):
        number = isinstance(actual, int | float) and not isinstance(actual, bool)
        written = expected.text if isinstance(expected, WrittenFloat) else repr(expected)
        return None if number and within_tolerance(written, actual) else differ
    if isinstance(expected, int):
        return None if type(actual) is int and actual == expected else differ
    return None if expected == actual else differ


def api_key_from_env(env_text: str) -> str | None:
    """The key of the ``TICKETBUDDY_API_KEYS=key:scopes,…`` line of a ``.env`` file."""
    for line in env_text.splitlines():
        if line.startswith("TICKETBUDDY_API_KEYS="):
            return line.split("=", 1)[1].strip().split(":", 1)[0]
    return None


def contains_value(document: Any, value: Any) -> bool:
    """Whether ``value`` occurs anywhere in a JSON document."""
    if document == value and type(document) is type(value):
        return True
    if isinstance(document, dict):
        return any(contains_value(item, value) for item in document.values())
    if isinstance(document, list):
        return any(contains_value(item, value) for item in document)
    return False


def assignments(command: str) -> list[str]:
    """The shell variable assignments of an example (``KEY=$(grep …)``), which later examples reuse."""
    value = r"(\$\(.*\)|\"[^\"]*\"|'[^']*'|\S+)"
    whole = re.compile(rf"\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*={value}\s*")
    return [line for line in command.splitlines() if whole.fullmatch(line)]
