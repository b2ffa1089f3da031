"""Rate limits per API key: a token bucket per key and scope, so one noisy client cannot starve the rest.

Each key has one bucket per scope class (``score``, ``agent``, ``admin``), charged by the scope the
requested route needs: a key flooding ``/v1/score`` empties its ``score`` bucket only, and the same
key's (or any other key's) queue calls keep their own. A bucket holds at most ``burst`` tokens and
gains ``per_second`` a second; a request spends one, and one that finds none is answered 429 with
``Retry-After`` (whole seconds until a token is there) and a detail naming the budget, before its body
is read and before any scoring or store work. Budgets come from ``TICKETBUDDY_RATE_LIMIT_*`` (per
scope) or the key's own ``rate=``/``burst=`` attributes; ``off`` never refuses.

``RateLimitMiddleware`` runs inside ``ApiKeyMiddleware``: only authenticated requests reach it, so
buckets exist for configured keys only (at most three each) and an unknown key is 401 before any
bucket is touched. Public paths (probes, ``/metrics``, docs) are not limited. A request to a path no
scoped route serves (a 404) is charged to the key's tightest budget. Buckets live in the process: with
N replicas behind a balancer a key may make N times its budget in all.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from prometheus_client import CollectorRegistry, Counter
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ticketbuddy.serve.keys import SCOPES, KeyEntry, Principal
from ticketbuddy.serve.security import required_scope, route_path
from ticketbuddy.settings import RateBudget, RateLimitSettings

log = logging.getLogger(__name__)

#: Seconds from an arbitrary start that never go back (``time.monotonic``; tests pass a fake one).
MonotonicClock = Callable[[], float]


@dataclass
class _Bucket:
    tokens: float
    updated: float
    refusing: bool = False


def _take(bucket: _Bucket, budget: RateBudget, now: float) -> float:
    """Spend a token if there is one and answer 0.0; else the seconds until there is one."""
    elapsed = max(0.0, now - bucket.updated)
    bucket.tokens = min(float(budget.burst), bucket.tokens + elapsed * budget.per_second)
    bucket.updated = now
    if bucket.tokens >= 1.0:
        bucket.tokens -= 1.0
        return 0.0
    return (1.0 - bucket.tokens) / budget.per_second


class RateLimiter:
    """The buckets of every key and scope, and the counts of what they admitted and refused.

    Thread-safe: a bucket is read and spent under one lock, held for a few arithmetic steps.

    Args:
        budgets: The default budget of each scope.
        clock: Where time comes from (seconds); ``time.monotonic`` by default.

    Example:
        >>> limiter = RateLimiter({"score": RateBudget(1.0, 2)}, clock=lambda: 0.0)
        >>> caller = Principal("0123abcd", frozenset({"score"}))
        >>> [limiter.admit(caller, "score") for _ in range(3)]
        [0.0, 0.0, 1.0]

    """

    def __init__(self, budgets: Mapping[str, RateBudget], clock: MonotonicClock = time.monotonic) -> None:
        self.budgets = dict(budgets)
        self.clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()
        labels = ["key_id", "scope"]
        self.refused = Counter(
            "ticketbuddy_rate_limited_requests",
            "Requests refused 429: over the key's budget.",
            labels,
            registry=None,
        )
        self.admitted = Counter(
            "ticketbuddy_rate_limit_admitted_requests",
            "Requests within the key's budget.",
            labels,
            registry=None,
        )

    @classmethod
    def from_settings(cls, settings: RateLimitSettings) -> RateLimiter:
        """A limiter with the configured default budget of each scope."""
        return cls({scope: settings.budget(scope) for scope in sorted(SCOPES)})

    def budget(self, principal: Principal, scope: str) -> RateBudget:
        """The budget of ``principal`` for ``scope``: its own, else the scope's default."""
        return principal.rate or self.budgets[scope]

    def charged_scope(self, principal: Principal, route_scope: str | None) -> str:
        """The bucket a request spends from: its route's scope, else the key's tightest budget."""
        if route_scope is not None:
            return route_scope

        def rate(scope: str) -> float:
            budget = self.budget(principal, scope)
            return math.inf if budget.unlimited else budget.per_second

        return min(sorted(principal.scopes), key=rate)

    def admit(self, principal: Principal, scope: str) -> float:
        """0.0 when the request is admitted (a token spent); else the seconds until a token is there."""
        budget = self.budget(principal, scope)
        wait = 0.0
        if not budget.unlimited:
            with self._lock:
                now = self.clock()
                bucket = self._buckets.setdefault((principal.key_id, scope), _Bucket(budget.burst, now))
                wait = _take(bucket, budget, now)
                started = wait > 0 and not bucket.refusing
                bucket.refusing = wait > 0
            if started:  # once per spell of refusals: a flood does not flood the log too
                log.warning(
                    "API key %s is over its %r budget (%s)", principal.key_id, scope, budget.describe()
                )
        (self.refused if wait else self.admitted).labels(principal.key_id, scope).inc()
        return wait

    def register(self, registry: CollectorRegistry, entries: Iterable[KeyEntry]) -> None:
        """Count in ``registry``, with a zero series for each configured key and scope from the start."""
        registry.register(self.refused)
        registry.register(self.admitted)
        for entry in entries:
            for scope in sorted(entry.scopes):
                self.refused.labels(entry.key_id, scope)
                self.admitted.labels(entry.key_id, scope)


class RateLimitMiddleware:
    """ASGI middleware answering 429 to an authenticated request over its key's budget.

    Args:
        app: The wrapped ASGI application.
        limiter: The buckets.

    """

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter
        self._routes: list[tuple[re.Pattern[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Spend a token of the caller's bucket and pass the request on, or refuse it."""
        principal = scope.get("state", {}).get("principal") if scope["type"] == "http" else None
        if not isinstance(principal, Principal):  # public paths: the key check let them through
            await self.app(scope, receive, send)
            return
        charged = self.limiter.charged_scope(principal, self._route_scope(scope))
        wait = self.limiter.admit(principal, charged)
        if wait:
            await self._refuse(principal, charged, wait)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _route_scope(self, scope: Scope) -> str | None:
        """The scope the route of this path needs (the routes are read once, at the first request)."""
        if self._routes is None:
            self._routes = scoped_routes(scope["app"])
        path = route_path(scope)
        return next((needed for regex, needed in self._routes if regex.match(path)), None)

    def _refuse(self, principal: Principal, scope: str, wait: float) -> JSONResponse:
        budget, seconds = self.limiter.budget(principal, scope), max(1, math.ceil(wait))
        detail = (
            f"rate limit: this API key may make {budget.describe()} to {scope!r} endpoints;"
            f" retry in {seconds} s"
        )
        return JSONResponse({"detail": detail}, 429, headers={"Retry-After": str(seconds)})


def scoped_routes(app: FastAPI) -> list[tuple[re.Pattern[str], str]]:
    """``(path regex, scope)`` of every API route that needs a scope, in the app's order."""
    found = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and (needed := required_scope(route.dependant)):
            found.append((route.path_regex, needed))
    return found


def install_rate_limits(app: FastAPI, settings: RateLimitSettings | None = None) -> RateLimiter:
    """Add ``RateLimitMiddleware`` with the configured budgets (``app.state.rate_limiter``).

    Add it before ``install_security`` (so it runs inside the key check) and after ``install_limits``
    (so a refused body is never read); register its counts with ``RateLimiter.register``.
    """
    limiter = RateLimiter.from_settings(settings or RateLimitSettings())
    for scope, budget in sorted(limiter.budgets.items()):
        log.info("each API key's %r budget: %s", scope, "none" if budget.unlimited else budget.describe())
    app.state.rate_limiter = limiter
    app.add_middleware(RateLimitMiddleware, limiter=limiter)
    return limiter
