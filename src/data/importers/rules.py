"""Label rules: how an export that has no escalation column gets one, documented and configurable.

* CFPB complaints: ``escalated`` when the company had to give the consumer relief, or did not answer
  in time; the route is the product family. Both are set in a YAML file (``--rules``) whose keys
  override the defaults below.
* Twitter threads: one or more ``--label-rule`` expressions, e.g. ``customer_turns>=3`` or
  ``customer_text~refund|lawyer``; a thread is escalated when any rule matches.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ticketbuddy.data.importers.fields import fold, folded_map
from ticketbuddy.schemas import Channel

#: Product (as the CFPB names it, old and new names) -> default route. Credit reports and debt
#: collection are statutory disputes (FCRA, FDCPA) with legal deadlines; accounts, cards and loans
#: are about money owed or charged; money transfers and virtual currency are mostly fraud and scams.
DEFAULT_PRODUCT_ROUTES: dict[str, str] = {
    "Credit reporting, credit repair services, or other personal consumer reports": "legal_compliance",
    "Credit reporting": "legal_compliance",
    "Debt collection": "legal_compliance",
    "Mortgage": "billing_disputes",
    "Checking or savings account": "billing_disputes",
    "Bank account or service": "billing_disputes",
    "Credit card or prepaid card": "billing_disputes",
    "Credit card": "billing_disputes",
    "Prepaid card": "billing_disputes",
    "Student loan": "billing_disputes",
    "Vehicle loan or lease": "billing_disputes",
    "Payday loan, title loan, or personal loan": "billing_disputes",
    "Payday loan": "billing_disputes",
    "Consumer Loan": "billing_disputes",
    "Money transfer, virtual currency, or money service": "trust_safety",
    "Money transfers": "trust_safety",
    "Virtual currency": "trust_safety",
}
#: ``Submitted via`` -> channel. Postal mail and fax are written, asynchronous correspondence, the
#: nearest contract channel is e-mail; a referral is entered into the CFPB web portal by the agency
#: that referred it. The raw value is kept in ``metadata.submitted_via``.
DEFAULT_CHANNELS: dict[str, str] = {
    "Web": "web",
    "Email": "email",
    "Phone": "phone",
    "Postal mail": "email",
    "Fax": "email",
    "Referral": "web",
}
RELIEF_RESPONSES = ["Closed with monetary relief", "Closed with non-monetary relief"]


class EscalatedWhen(BaseModel):
    """A complaint is escalated when any listed column holds one of its listed values."""

    model_config = ConfigDict(extra="forbid")

    company_response: list[str] = Field(default_factory=lambda: list(RELIEF_RESPONSES))
    timely_response: list[str] = Field(default_factory=lambda: ["No"])
    consumer_disputed: list[str] = Field(default_factory=list)


class CfpbRules(BaseModel):
    """How CFPB complaint rows become labelled tickets (the ``--rules`` YAML file).

    Attributes:
        escalated_when: The escalation rule (relief or an untimely response, by default).
        unlabelled_responses: Company responses that say the outcome is not known yet: such rows are
            skipped, since labelling them ``escalated: false`` would be a guess.
        product_routes: Product -> route, merged over ``DEFAULT_PRODUCT_ROUTES``.
        default_route: The route of a product not in the map.
        route_for: ``escalated`` sets ``route`` only on escalated tickets (as the contract reads it),
            ``all`` on every ticket (for training a routing head on all complaints).
        channels: ``Submitted via`` -> channel, merged over ``DEFAULT_CHANNELS``.
        default_channel: The channel of an unlisted ``Submitted via`` value.

    """

    model_config = ConfigDict(extra="forbid")

    escalated_when: EscalatedWhen = Field(default_factory=EscalatedWhen)
    unlabelled_responses: list[str] = Field(default_factory=lambda: ["In progress"])
    product_routes: dict[str, str] = Field(default_factory=dict)
    default_route: str = "general_escalations"
    route_for: Literal["escalated", "all"] = "escalated"
    channels: dict[str, Channel] = Field(default_factory=dict)
    default_channel: Channel = "web"

    def escalated(self, response: str | None, timely: str | None, disputed: str | None) -> bool:
        """Apply the escalation rule to one complaint's outcome columns."""
        rule = self.escalated_when
        pairs = (
            (response, rule.company_response),
            (timely, rule.timely_response),
            (disputed, rule.consumer_disputed),
        )
        return any(v is not None and fold(v) in {fold(x) for x in allowed} for v, allowed in pairs)

    def is_unlabelled(self, response: str | None) -> bool:
        """Whether the company response says the outcome is still unknown."""
        return response is not None and fold(response) in {fold(x) for x in self.unlabelled_responses}

    def route(self, product: str | None) -> str:
        """The route of a product (case and spacing ignored)."""
        routes = folded_map({**DEFAULT_PRODUCT_ROUTES, **self.product_routes})
        return routes.get(fold(product or ""), self.default_route)

    def channel(self, submitted_via: str | None) -> str:
        """The contract channel of a ``Submitted via`` value."""
        channels = folded_map({**DEFAULT_CHANNELS, **self.channels})
        return channels.get(fold(submitted_via or ""), self.default_channel)


@cache
def _yaml_loader() -> type:
    """A strict safe YAML loader where only true/false are booleans (YAML 1.2), not yes/no/on/off.

    Export values such as ``yes``, ``no`` or ``on`` are keys of value maps and truthy lists; read as
    booleans they would never match the cell text.
    """
    import yaml

    from ticketbuddy.yamlfile import StrictLoader

    class Loader(StrictLoader):
        pass

    bool_tag = "tag:yaml.org,2002:bool"
    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != bool_tag]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return Loader


def as_text(value: Any) -> str:
    """A YAML scalar as the text a cell would hold: ``True`` -> ``true``, ``1`` -> ``1``."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping file; ``ValueError`` naming the file when it is not one."""
    import yaml

    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_yaml_loader())  # a SafeLoader subclass
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a YAML mapping at the top level, got {type(data).__name__}")
    return data


def load_cfpb_rules(path: Path | None) -> CfpbRules:
    """The CFPB rules from a YAML file, or the defaults; ``ValueError`` naming the bad key."""
    if path is None:
        return CfpbRules()
    try:
        return CfpbRules.model_validate(load_yaml(path))
    except ValidationError as exc:
        from ticketbuddy.data.jsonl import format_validation_error

        raise ValueError(f"{path}: {format_validation_error(exc)}") from exc


_OPS: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    ">": operator.gt,
    "<": operator.lt,
}
_COUNT = re.compile(r"^\s*(customer_turns|agent_turns|turns)\s*(>=|<=|==|>|<)\s*(\d+)\s*$")
_PHRASE = re.compile(r"^\s*(customer_text|agent_text|text)\s*~\s*(.*?)\s*$")
_ROLES = {"customer": ("customer",), "agent": ("agent", "bot"), "": ("customer", "agent", "bot")}


@dataclass(frozen=True)
class LabelRule:
    """One thread-labelling rule: a turn count comparison or a regular expression on the text.

    Attributes:
        source: The rule as written, for messages.
        roles: The roles whose messages the rule looks at.
        compare: For count rules, the comparison and the number; ``None`` for text rules.
        pattern: For text rules, the case-insensitive expression searched in each message.

    """

    source: str
    roles: tuple[str, ...]
    compare: tuple[Callable[[int, int], bool], int] | None = None
    pattern: re.Pattern[str] | None = None

    def matches(self, messages: Sequence[Mapping[str, Any]]) -> bool:
        """Whether the rule holds for a conversation (a list of ``{role, text}`` dicts)."""
        chosen = [m for m in messages if m["role"] in self.roles]
        if self.compare is not None:
            compare, number = self.compare
            return compare(len(chosen), number)
        assert self.pattern is not None
        return any(self.pattern.search(m["text"]) for m in chosen)


def parse_label_rule(text: str) -> LabelRule:
    """Parse ``customer_turns>=3`` / ``agent_text~send us a DM`` style rules; ``ValueError`` if neither."""
    if found := _COUNT.match(text):
        who, op, number = found.groups()
        return LabelRule(text, _ROLES[who.removesuffix("turns").rstrip("_")], (_OPS[op], int(number)))
    if found := _PHRASE.match(text):
        who, expression = found.groups()
        if not expression:
            raise ValueError(f"label rule {text!r}: the expression after '~' is empty")
        try:
            pattern = re.compile(expression, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"label rule {text!r}: bad regular expression: {exc}") from exc
        return LabelRule(text, _ROLES[who.removesuffix("text").rstrip("_")], pattern=pattern)
    raise ValueError(
        f"label rule {text!r} not understood: write e.g. 'customer_turns>=3' (customer_turns, agent_turns,"
        " turns with >=, >, ==, <, <=) or 'customer_text~refund|lawyer' (customer_text, agent_text, text)"
    )
