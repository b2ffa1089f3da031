"""``GET /metrics``: what operations watch, in the Prometheus text format.

Requests by route template, method (the standard ones, ``other`` for any other) and status; a
latency histogram; escalations by route and priority; decisions the AI kept; scores decided by the
rules alone; SLA breaches by route; model reloads; and, read at scrape time, the hand-off queue depth
by status and route and the model being served (name, version, threshold; degraded and unverified
flags). No label takes a value straight from a request, so no client can grow the number of series.

Each app has its own ``Metrics`` (its own ``CollectorRegistry``, never the process-global one), so
several apps in one process, as in the tests, do not clash. ``MetricsMiddleware`` records every
request and makes the app's ``Metrics`` current while the request runs, so code inside a request can
call the plain ``record_score(score)``; code outside one (the SLA sweeper) calls the methods of
``app.state.metrics`` or passes ``metrics=``.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import iter_route_contexts
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketbuddy.handoff.domain import Scored

log = logging.getLogger(__name__)

#: The HTTP methods labelled by name; any other method string is labelled ``other``. Labels are the
#: only thing on the public ``/metrics`` a client can grow: each new value is a new series, kept for
#: the life of the process, so none may come straight from a request.
METHOD_LABELS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"

#: ``{(status, route): count}`` of hand-offs in the queue, read at each scrape.
QueueDepthSource = Callable[[], Mapping[tuple[str, str], int]]
#: The model being served (a ``LoadedModel``), or None when the rules decide alone; read at each scrape.
ModelSource = Callable[[], Any]

_current: contextvars.ContextVar[Metrics | None] = contextvars.ContextVar("ticketbuddy_metrics", default=None)


class _LiveState(Collector):
    """Gauges read from the running service at scrape time: queue depth and the model served."""

    def __init__(self) -> None:
        self.queue_depth: QueueDepthSource | None = None
        self.model: ModelSource | None = None

    def collect(self) -> Iterator[Metric]:
        """Yield what the sources say now; a failing source is logged and left out of this scrape."""
        if self.queue_depth is not None:
            yield from _guarded("queue depth", self._queue)
        if self.model is not None:
            yield from _guarded("model info", self._model)

    def _queue(self) -> list[Metric]:
        assert self.queue_depth is not None  # collect() calls this only with a source
        depth = GaugeMetricFamily(
            "ticketbuddy_handoff_queue_depth", "Hand-offs in the queue.", labels=["status", "route"]
        )
        for (status, route), count in sorted(self.queue_depth().items()):
            depth.add_metric([status, route], count)
        return [depth]

    def _model(self) -> list[Metric]:
        assert self.model is not None  # collect() calls this only with a source
        model = self.model()
        info = GaugeMetricFamily(
            "ticketbuddy_model_info",
            "The model being served (value 1); empty version when the rules decide alone.",
            labels=["name", "version", "threshold"],
        )
        degraded = GaugeMetricFamily("ticketbuddy_model_degraded", "1 when no model is loaded (rules only).")
        if model is None:
            info.add_metric(["", "", ""], 1)
        else:
            info.add_metric([str(model.name), str(model.version or ""), f"{model.threshold:.6g}"], 1)
        degraded.add_metric([], 1 if model is None else 0)
        unverified = GaugeMetricFamily(
            "ticketbuddy_model_unverified",
            "1 when the model serving was loaded without checking its files' digests (registered before"
            " digests were recorded, or a URI outside the registry).",
        )
        unverified.add_metric([], 1 if model is not None and not getattr(model, "verified", False) else 0)
        return [info, degraded, unverified]


def _guarded(what: str, produce: Callable[[], list[Metric]]) -> list[Metric]:
    try:
        return produce()
    except Exception:
        log.exception("metrics: could not read the %s; left out of this scrape", what)
        return []


class Metrics:
    """The metrics of one app, in their own registry.

    Args:
        registry: Where to register; a new ``CollectorRegistry`` by default.

    Example:
        >>> metrics = Metrics()
        >>> metrics.record_sla_breach("senior_cx")
        >>> b'ticketbuddy_sla_breaches_total{route="senior_cx"} 1.0' in metrics.exposition()
        True

    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "ticketbuddy_http_requests", "HTTP requests.", ["route", "method", "status"], registry=r
        )
        self.latency = Histogram(
            "ticketbuddy_http_request_duration_seconds", "Time to answer.", ["route", "method"], registry=r
        )
        self.escalations = Counter(
            "ticketbuddy_escalations", "Tickets handed to a human.", ["route", "priority"], registry=r
        )
        self.kept = Counter("ticketbuddy_kept_by_ai", "Tickets the AI keeps.", registry=r)
        self.rules_only = Counter(
            "ticketbuddy_rules_only_decisions", "Tickets decided without the model.", registry=r
        )
        self.sla_breaches = Counter(
            "ticketbuddy_sla_breaches", "Hand-offs left unclaimed past their SLA.", ["route"], registry=r
        )
        self.claims_expired = Counter(
            "ticketbuddy_claims_expired",
            "Claims held unresolved past the claim timeout, given back to the queue.",
            ["route"],
            registry=r,
        )
        self.reloads = Counter(
            "ticketbuddy_model_reloads", "Model reload attempts by outcome.", ["outcome"], registry=r
        )
        self._live = _LiveState()
        r.register(self._live)

    def set_queue_depth_source(self, source: QueueDepthSource | None) -> None:
        """Read the queue depth from ``source`` (``{(status, route): count}``) at each scrape."""
        self._live.queue_depth = source

    def set_model_source(self, source: ModelSource | None) -> None:
        """Read the served model (``LoadedModel`` or None) from ``source`` at each scrape."""
        self._live.model = source

    def record_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency; ``method`` is labelled by ``method_label``."""
        method = method_label(method)
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def record_score(self, score: Scored) -> None:
        """Count one scored ticket: a hand-over by route and priority, or one kept by the AI.

        A hand-over is a hand-off created, joined or re-opened by this ticket; a replay of the same
        ticket or ``Idempotency-Key``, or a new message on a hand-off that already had the ticket, is
        not counted again.
        """
        if score.handed_over:
            self.escalations.labels(score.route or "", score.priority or "").inc()
        elif not score.escalate:
            self.kept.inc()
        if score.model.version is None:
            self.rules_only.inc()

    def record_sla_breach(self, route: str) -> None:
        """Count one hand-off found unclaimed past its SLA on ``route``."""
        self.sla_breaches.labels(route).inc()

    def record_claim_expired(self, route: str) -> None:
        """Count one claim the sweeper gave back to the queue on ``route``."""
        self.claims_expired.labels(route).inc()

    def record_reload(self, outcome: str) -> None:
        """Count one model reload attempt: ``reloaded``, ``unchanged`` or ``failed``."""
        self.reloads.labels(outcome).inc()

    def exposition(self) -> bytes:
        """Everything, in the Prometheus text format."""
        return generate_latest(self.registry)


def current_metrics() -> Metrics | None:
    """The metrics of the app handling the current request, or None outside one."""
    return _current.get()


def record_score(score: Scored, metrics: Metrics | None = None) -> None:
    """Count a scored ticket in ``metrics`` or the current request's app; no-op outside a service."""
    target = metrics or _current.get()
    if target is not None:
        target.record_score(score)


def record_sla_breach(route: str, metrics: Metrics | None = None) -> None:
    """Count an SLA breach on ``route`` in ``metrics`` or the current request's app; no-op otherwise."""
    target = metrics or _current.get()
    if target is not None:
        target.record_sla_breach(route)


class MetricsMiddleware:
    """ASGI middleware counting every HTTP request by route template, method and status, with latency.

    Every label comes from a fixed set, whatever the client sends: the route template (``unmatched``
    when none matches), a standard method or ``other``, and the status the app answered.

    Args:
        app: The wrapped ASGI application.
        metrics: Where to record.

    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and record it once answered (500 if the app raised before answering)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def watching(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        token = _current.set(self.metrics)
        try:
            await self.app(scope, receive, watching)
        finally:
            _current.reset(token)
            elapsed = time.perf_counter() - started
            self.metrics.record_request(route_label(scope), scope["method"], status, elapsed)


def method_label(method: str) -> str:
    """``method`` if it is a standard HTTP method, else ``other``.

    A client may send any token as the method (``FOO``, ``XYZ123``), without a key too; each one
    must not become a new series.
    """
    return method if method in METHOD_LABELS else OTHER_METHOD


def route_label(scope: Scope) -> str:
    """The route template (``/v1/handoffs/{handoff_id}``), never the raw path; ``unmatched`` for 404s.

    Matched against the app's routes here, so requests refused before routing (401, 413) are labelled
    by their route too.
    """
    app, path = scope.get("app"), scope["path"]
    for route in iter_route_contexts(getattr(app, "routes", [])):
        regex, template = getattr(route, "path_regex", None), getattr(route, "path_format", None)
        if regex is not None and template and regex.match(path):
            return template
    return "unmatched"


router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
def metrics_endpoint(request: Request) -> Response:
    """The app's metrics in the Prometheus text format (no key needed: scrapers have none)."""
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def install_metrics(
    app: FastAPI,
    queue_depth: QueueDepthSource | None = None,
    model_source: ModelSource | None = None,
) -> Metrics:
    """Give ``app`` its ``Metrics``: ``app.state.metrics``, the middleware and ``GET /metrics``.

    Call before the app starts; the sources can also be set later with ``set_*_source``.
    """
    metrics = Metrics()
    metrics.set_queue_depth_source(queue_depth)
    metrics.set_model_source(model_source)
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.include_router(router)
    return metrics
