"""Small conversions every importer needs: empty cells, value maps, labels, timestamps, confidences."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from ticketbuddy.schemas import TIME_WINDOW, in_window


def clean(value: Any) -> str | None:
    """A cell as stripped text; ``None`` for missing, empty or NaN cells (how pandas writes blanks)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def fold(value: str) -> str:
    """The form used to compare cell values with map keys: lower-case, single spaces."""
    return " ".join(value.lower().split())


def folded_map(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """A value map keyed by ``fold``ed keys, so ``End-User`` and ``end-user`` match the same entry."""
    return {fold(str(k)): v for k, v in (values or {}).items()}


def map_value(value: Any, values: Mapping[str, Any], default: Any = None) -> Any:
    """Look ``value`` up in a ``folded_map``; fall back to ``default``, then to the value itself.

    Passing an unmapped value through (rather than dropping it) lets the contract refuse it with the
    field named, e.g. an unknown author role becomes ``messages.0.role: Input should be ...``.
    """
    text = clean(value)
    if text is None:
        return default
    if fold(text) in values:
        return values[fold(text)]
    return default if default is not None else text


def is_truthy(value: Any, truthy: Iterable[str]) -> bool:
    """Whether a label cell means yes, comparing folded text (``True``, ``yes``, ``1`` ...)."""
    if isinstance(value, bool):
        return value
    text = clean(value)
    return text is not None and fold(text) in {fold(str(t)) for t in truthy}


def parse_time(value: Any, fmt: str | None = None) -> datetime | str:
    """Parse a timestamp; return the reason as a string when it cannot be read.

    Args:
        value: The cell: text, a ``datetime`` (Parquet) or epoch seconds.
        fmt: A ``strptime`` format; without one, ISO 8601 (and epoch seconds) are accepted.

    Returns:
        An aware datetime (naive times are read as UTC, as the contract does), or why not.

    """
    if isinstance(value, datetime):
        parsed = value
    else:
        text = clean(value)
        if text is None:
            return "empty timestamp"
        try:
            parsed = datetime.strptime(text, fmt) if fmt else _parse_default(text)
        except (ValueError, OverflowError, OSError):
            expected = f"format {fmt!r}" if fmt else "ISO 8601"
            return f"{text[:60]!r} is not a timestamp in {expected}"
    if not in_window(parsed):  # year 1 with an offset cannot even be put in UTC
        return f"{parsed.isoformat()} is outside the window: times must be {TIME_WINDOW}"
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _parse_default(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.fromtimestamp(float(text), tz=UTC)


def tweet_id(value: Any) -> str | None:
    """A tweet or complaint id as digits: ``"3.0"`` (how pandas writes ids beside blanks) -> ``"3"``."""
    text = clean(value)
    if text is None:
        return None
    if text.endswith(".0"):
        text = text[:-2]
    return text if text.isdigit() else None


#: How bare numbers in a confidence column are read; a trailing ``%`` always means a percentage.
ConfidenceScale = Literal["auto", "fraction", "percent"]


def parse_confidence(value: Any, scale: ConfidenceScale = "auto") -> float | None | str:
    """A bot confidence as a 0–1 fraction; ``None`` for an empty cell; the reason when it cannot be one.

    The rule: a value ending in ``%`` is a percentage (``"87%"`` -> 0.87). A bare number is read by
    ``scale``: ``fraction`` takes it as 0–1, ``percent`` as 0–100, and ``auto`` (the default) takes
    numbers up to 1 as fractions and larger ones, up to 100, as percentages (``87`` -> 0.87, but
    ``1`` -> 1.0: an export of percentages that may hold 0 or 1 needs ``scale: percent``). Anything
    else (words, NaN, infinities, negative numbers, more than 100 % or than 1 as a fraction) is refused.

    Examples:
        >>> parse_confidence("0.87"), parse_confidence("87%"), parse_confidence(87), parse_confidence(" ")
        (0.87, 0.87, 0.87, None)
        >>> parse_confidence("1", "percent"), parse_confidence(1)
        (0.01, 1.0)
        >>> parse_confidence("high")
        "'high' is not a number or a percentage"
        >>> parse_confidence("87", "fraction")
        "'87' is more than 1 (scale: fraction reads 0-1)"

    """
    if isinstance(value, bool):  # JSON true/false: a flag, not a number
        return f"{value!r} is not a number or a percentage"
    text = clean(value)
    if text is None:
        return None
    percent = text.endswith("%")
    try:
        number = float(text[:-1].strip() if percent else text)
    except ValueError:
        return f"{text[:40]!r} is not a number or a percentage"
    if not math.isfinite(number) or number < 0:
        return f"{text[:40]!r} is not between 0 and 1 (or 0% and 100%)"
    number = abs(number)  # "-0" is 0
    if percent or scale == "percent" or (scale == "auto" and number > 1):
        if number > 100:
            return f"{text[:40]!r} is more than 100%"
        return round(number / 100, 6)
    if number > 1:
        return f"{text[:40]!r} is more than 1 (scale: fraction reads 0-1)"
    return number
