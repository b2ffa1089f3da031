"""Settings of the ticket-history generator, read from the ``synth:`` section of ``params.yaml``.

The built-in defaults are identical to the shipped ``params.yaml`` (a test holds them together), so the
generator gives the same data whether or not it is run from the project directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ticketbuddy import yamlfile

Mix = tuple[tuple[str, float], ...]

TOPICS = ("delivery", "refunds_billing", "product_fault", "account_security", "legal_regulatory",
          "faq", "praise", "subscriptions")  # fmt: skip
TIERS = ("standard", "silver", "gold", "vip")
CHANNELS = ("email", "chat", "social", "phone", "web")
LOCALES = ("uk", "us")

#: The ``synth:`` section as shipped; ``params.yaml`` must say the same.
DEFAULTS: dict[str, Any] = {
    "n": 20000,
    "seed": 7,
    "out": "data/raw/tickets.jsonl",
    "base_rate": 0.20,
    "label_noise": 0.03,
    "missing_rate": 0.07,
    "repeat_rate": 0.30,
    "confidence_missing_rate": 0.05,
    "topic_mix": {
        "delivery": 0.25,
        "refunds_billing": 0.17,
        "product_fault": 0.16,
        "account_security": 0.08,
        "legal_regulatory": 0.05,
        "faq": 0.19,
        "praise": 0.10,
    },  # fmt: skip
    "tier_mix": {"standard": 0.60, "silver": 0.20, "gold": 0.13, "vip": 0.07},
    "channel_mix": {"email": 0.28, "chat": 0.36, "social": 0.12, "phone": 0.09, "web": 0.15},
    "locale_mix": {"uk": 0.6, "us": 0.4},
    "drift": {
        "topic_mix": {"subscriptions": 0.18},
        "tier_mix": {"standard": 0.45, "silver": 0.22, "gold": 0.18, "vip": 0.15},
        "channel_mix": {"social": 0.22},
        "rule_shift": {"subscriptions": 3.0},
    },
}


#: Run sizes of the other sections as shipped, used when no params file is found.
SECTION_DEFAULTS: dict[str, dict[str, Any]] = {
    "synth_test": {"n": 5000, "seed": 1007, "out": "data/raw/tickets_test.jsonl"},
}


@dataclass(frozen=True)
class RunSettings:
    """How much to generate and where: the part of a section that differs between train and test."""

    n: int
    seed: int
    out: Path


@dataclass(frozen=True)
class Drift:
    """What ``--drift`` changes, to show a changed world.

    Mix entries override or add to the mixes (then renormalised): who writes, about what, where.
    ``rule_shift`` changes what support leads decide: per topic, a number added to the hidden
    escalation score of that topic's tickets (a new rule such as "every cancellation goes to a
    person"), so a model trained before the change keeps tickets that now need a human.
    """

    topic_mix: Mix = ()
    tier_mix: Mix = ()
    channel_mix: Mix = ()
    rule_shift: Mix = ()

    def shift(self, topic: str) -> float:
        """How much more readily a ticket of ``topic`` is handed to a human after the change."""
        return dict(self.rule_shift).get(topic, 0.0)


@dataclass(frozen=True)
class SynthConfig:
    """What the generated history looks like; hashable so calibration can be cached per config.

    Attributes:
        base_rate: Share of tickets labelled escalated, after label noise.
        label_noise: Share of tickets whose escalation label is flipped, as human labellers err.
        missing_rate: Chance that any one customer field is absent from a ticket.
        repeat_rate: Chance that a ticket comes from a customer seen earlier in the file.
        confidence_missing_rate: Share of tickets whose bot platform reports no confidence on its
            messages (the intent is still reported), as some platforms do not export it.
        topic_mix: Relative frequency of each topic.
        tier_mix: Relative frequency of each loyalty tier among new customers.
        channel_mix: Relative frequency of each channel.
        locale_mix: UK versus US customers (spelling, currency, cities).
        drift: The overrides ``--drift`` applies.
        drifted: Whether they are applied.

    """

    base_rate: float = 0.20
    label_noise: float = 0.03
    missing_rate: float = 0.07
    repeat_rate: float = 0.30
    confidence_missing_rate: float = 0.05
    topic_mix: Mix = ()
    tier_mix: Mix = ()
    channel_mix: Mix = ()
    locale_mix: Mix = ()
    drift: Drift = field(default_factory=Drift)
    drifted: bool = False

    def mix(self, name: str) -> Mix:
        """The named mix as used for generation: drift overrides merged in and renormalised."""
        return _effective_mix(self, name)

    def undrifted(self) -> SynthConfig:
        """The same settings without drift: the labelling process is calibrated on this one."""
        return replace(self, drifted=False)


@lru_cache(maxsize=64)
def _effective_mix(cfg: SynthConfig, name: str) -> Mix:
    base = dict(getattr(cfg, name))
    if cfg.drifted:
        base.update(dict(getattr(cfg.drift, name, ())))
    total = sum(base.values())
    return tuple((key, value / total) for key, value in base.items() if value > 0)


def _mix(raw: Any, allowed: tuple[str, ...], where: str) -> Mix:
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{where} must be a mapping of name to weight")
    for key, value in raw.items():
        if key not in allowed:
            raise ValueError(f"{where}: unknown {key!r}; expected one of {', '.join(allowed)}")
        if not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{where}.{key} must be a non-negative number, got {value!r}")
    if sum(raw.values()) <= 0:
        raise ValueError(f"{where} weights must not all be zero")
    return tuple((str(k), float(v)) for k, v in raw.items())


def _shifts(raw: Any) -> Mix:
    """``synth.drift.rule_shift``: topic name to a non-negative shift of the hidden score (may be empty)."""
    if not isinstance(raw, dict):
        raise ValueError("synth.drift.rule_shift must be a mapping of topic to a number")
    for key, value in raw.items():
        if key not in TOPICS:
            raise ValueError(f"synth.drift.rule_shift: unknown {key!r}; expected one of {', '.join(TOPICS)}")
        if not isinstance(value, int | float) or not 0 <= value <= 10:
            raise ValueError(f"synth.drift.rule_shift.{key} must be a number from 0 to 10, got {value!r}")
    return tuple((str(k), float(v)) for k, v in raw.items())


def _rate(raw: dict[str, Any], key: str, high: float = 1.0) -> float:
    value = float(raw[key])
    if not 0.0 <= value <= high:
        raise ValueError(f"synth.{key} must be between 0 and {high}, got {value}")
    return value


def config_from_dict(raw: dict[str, Any], drifted: bool = False) -> SynthConfig:
    """Build a config from a ``synth:`` mapping; keys it lacks take the defaults.

    Raises:
        ValueError: A rate is out of range or a mix names an unknown topic, tier or channel.

    """
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"synth: unknown setting(s) {', '.join(unknown)}")
    merged = {**DEFAULTS, **raw}
    drift_raw = {**DEFAULTS["drift"], **(merged.get("drift") or {})}
    mixes = {"topic_mix": TOPICS, "tier_mix": TIERS, "channel_mix": CHANNELS}
    drift = Drift(
        **{k: _mix(drift_raw[k], v, f"synth.drift.{k}") for k, v in mixes.items() if k in drift_raw},
        rule_shift=_shifts(drift_raw.get("rule_shift") or {}),
    )
    return SynthConfig(
        base_rate=_rate(merged, "base_rate"),
        label_noise=_rate(merged, "label_noise", 0.5),
        missing_rate=_rate(merged, "missing_rate"),
        repeat_rate=_rate(merged, "repeat_rate", 0.95),
        confidence_missing_rate=_rate(merged, "confidence_missing_rate"),
        topic_mix=_mix(merged["topic_mix"], TOPICS, "synth.topic_mix"),
        tier_mix=_mix(merged["tier_mix"], TIERS, "synth.tier_mix"),
        channel_mix=_mix(merged["channel_mix"], CHANNELS, "synth.channel_mix"),
        locale_mix=_mix(merged["locale_mix"], LOCALES, "synth.locale_mix"),
        drift=drift,
        drifted=drifted,
    )


def _read_params(params: Path) -> dict[str, Any]:
    data = yamlfile.load(Path(params).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{params} must hold a mapping at the top level")
    return data


def load_settings(
    params: Path | None = None, section: str = "synth", drifted: bool = False
) -> tuple[SynthConfig, RunSettings]:
    """Read the generator settings and the run size of ``section`` from a params file.

    Args:
        params: The params file; ``None`` reads ``./params.yaml`` when it exists, else the defaults.
        section: ``synth`` or ``synth_test``: n, seed and out come from it, everything else from
            ``synth`` so that train and test histories share one labelling process.
        drifted: Apply the ``drift:`` overrides.

    Raises:
        ValueError: The file, the ``synth`` section or the named section is malformed or missing.

    """
    if params is None and Path("params.yaml").is_file():
        params = Path("params.yaml")
    if params is None:
        data: dict[str, Any] = {"synth": {}, **SECTION_DEFAULTS}
        where = "the built-in defaults"
    else:
        data = _read_params(params)
        where = str(params)
    if section not in data:
        raise ValueError(f"{where} has no {section!r} section")
    synth = data.get("synth") or {}
    run = {**DEFAULTS, **synth, **(data.get(section) or {})}
    settings = RunSettings(n=int(run["n"]), seed=int(run["seed"]), out=Path(run["out"]))
    return config_from_dict(synth, drifted=drifted), settings
