"""Customers: tiers with correlated value, tenure and order counts, and repeat customers.

Values are log-normal (a few customers spend a lot), counts Poisson, and every figure rises with tier,
as in a real loyalty programme. A share of tickets comes back from a customer seen earlier, sometimes
on another channel and about the same problem, which is how "I contacted you last week" arises.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from ticketbuddy.data.synth.slots import person_name

# tier: (median lifetime value, its log-sd, median tenure days, its log-sd, orders/12m, prior escalations)
_TIER_SHAPE = {
    "standard": (180.0, 0.9, 260.0, 1.0, 2.5, 0.12),
    "silver": (700.0, 0.6, 600.0, 0.8, 6.0, 0.2),
    "gold": (1800.0, 0.5, 1000.0, 0.6, 11.0, 0.3),
    "vip": (6500.0, 0.45, 1500.0, 0.5, 22.0, 0.45),
}
_FIELDS = ("customer_id", "tier", "lifetime_value", "tenure_days", "orders_12m", "prior_escalations")


@dataclass
class Profile:
    """The true customer behind a ticket; the ticket shows it with some fields missing.

    Attributes:
        customer_id: Stable key, shared by all of the customer's tickets.
        tier: ``standard``, ``silver``, ``gold`` or ``vip``.
        lifetime_value: Money spent so far.
        tenure_days: Days as a customer at the generator's base date.
        orders_12m: Orders in the past year.
        prior_escalations: Earlier tickets that went to a human.
        locale: ``uk`` or ``us``; drives spelling, currency and places.
        first_name: For greetings and sign-offs.
        last_name: For sign-offs.
        last_intent: Intent of the customer's previous ticket in this history, if any.

    """

    customer_id: str
    tier: str
    lifetime_value: float
    tenure_days: float
    orders_12m: int
    prior_escalations: int
    locale: str
    first_name: str
    last_name: str
    last_intent: str = ""

    @property
    def is_vip(self) -> bool:
        """VIP as the shipped policy defines it: tier ``vip`` or lifetime value of 5,000 or more."""
        return self.tier == "vip" or self.lifetime_value >= 5000


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means used here are small)."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def weighted(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    """Pick a key of a normalised mix, walking it in its fixed order (never a set)."""
    point, total = rng.random(), 0.0
    for key, weight in mix:
        total += weight
        if point < total:
            return key
    return mix[-1][0]


def new_profile(rng: random.Random, customer_id: str, tier: str, locale: str) -> Profile:
    """Draw a new customer of ``tier`` with value, tenure and history typical of the tier."""
    value, value_sd, tenure, tenure_sd, orders, escalations = _TIER_SHAPE[tier]
    first, last = person_name(rng)
    return Profile(
        customer_id=customer_id,
        tier=tier,
        lifetime_value=round(value * rng.lognormvariate(0.0, value_sd), 2),
        tenure_days=float(max(1, round(tenure * rng.lognormvariate(0.0, tenure_sd)))),
        orders_12m=poisson(rng, orders),
        prior_escalations=poisson(rng, escalations),
        locale=locale,
        first_name=first,
        last_name=last,
    )


class CustomerPool:
    """Customers met so far in one generated history; hands out new or returning ones.

    Args:
        rng: The generator's random source.
        prefix: Start of every customer id, so histories generated with other seeds do not collide.
        repeat_rate: Chance that a ticket comes from a customer already in the pool.

    """

    def __init__(self, rng: random.Random, prefix: str, repeat_rate: float) -> None:
        self.rng = rng
        self.prefix = prefix
        self.repeat_rate = repeat_rate
        self.customers: list[Profile] = []

    def next(
        self, tier_mix: tuple[tuple[str, float], ...], locale_mix: tuple[tuple[str, float], ...]
    ) -> tuple[Profile, bool]:
        """A customer for the next ticket and whether they have written before."""
        rng = self.rng
        if self.customers and rng.random() < self.repeat_rate:
            # Recent customers come back more often than old ones: pick among the latest third.
            span = max(1, len(self.customers) // 3)
            return self.customers[len(self.customers) - 1 - int(rng.random() * span)], True
        customer_id = f"{self.prefix}{len(self.customers) + 1:06d}"
        profile = new_profile(rng, customer_id, weighted(rng, tier_mix), weighted(rng, locale_mix))
        self.customers.append(profile)
        return profile, False


def customer_record(
    rng: random.Random, profile: Profile, days_since_base: float, missing_rate: float
) -> dict[str, object]:
    """The ``customer`` object of a ticket: the profile as of the ticket's date, fields sometimes missing.

    Each field is dropped independently with ``missing_rate``, as helpdesk exports lose fields.
    """
    values: dict[str, object] = {
        "customer_id": profile.customer_id,
        "tier": profile.tier,
        "lifetime_value": profile.lifetime_value,
        "tenure_days": round(profile.tenure_days + days_since_base),
        "orders_12m": profile.orders_12m,
        "prior_escalations": profile.prior_escalations,
    }
    return {name: values[name] for name in _FIELDS if rng.random() >= missing_rate}
