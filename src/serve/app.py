"""The FastAPI application: built by ``create_app``, loading policy and model once at start-up.

Start-up also opens the hand-off store (bringing its schema to head) and starts the SLA sweeper;
shutdown stops the sweeper and closes the store. If the store cannot be reached at start-up the
service still starts, and every request that needs the store answers 503 until it is back (the schema
is upgraded on first success); a store whose schema is newer than this code stops start-up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ticketbuddy import __version__
from ticketbuddy.features.encoder import use_encoder_threads, use_numeric_threads
from ticketbuddy.handoff import sweeper
from ticketbuddy.handoff.clock import Clock, SystemClock
from ticketbuddy.handoff.monitor import timer as monitor_timer
from ticketbuddy.handoff.queue import depth_by_status_route
from ticketbuddy.handoff.store import (
    AgentRequired,
    HandoffConflict,
    HandoffForbidden,
    HandoffNotFound,
    HandoffStore,
    SchemaMismatch,
    StoreUnavailable,
)
from ticketbuddy.policy.model import Policy, load_policy
from ticketbuddy.scoring.lookup import ModelUnavailable, first_line
from ticketbuddy.scoring.scorer import LoadedModel, Scorer, load_model
from ticketbuddy.scoring.warm import ready
from ticketbuddy.serve import reload
from ticketbuddy.serve.answers import AUTHENTICATED, answers
from ticketbuddy.serve.invalid import invalid_request
from ticketbuddy.serve.keys import ApiKeyError, ApiKeyring
from ticketbuddy.serve.limits import install_limits
from ticketbuddy.serve.metrics import Metrics, install_metrics
from ticketbuddy.serve.ratelimit import install_rate_limits
from ticketbuddy.serve.redaction import install_redaction
from ticketbuddy.serve.reload import ModelHolder, ModelPoller
from ticketbuddy.serve.routers import feedback, handoffs, health, score
from ticketbuddy.serve.security import install_security, require_scope
from ticketbuddy.settings import (
    LimitsSettings,
    RateLimitSettings,
    RedactionSettings,
    SecuritySettings,
    ServiceSettings,
    get_settings,
)

log = logging.getLogger(__name__)
#: Seconds a client is told to wait before retrying when the store is unavailable.
RETRY_AFTER_SECONDS = 5


def load_served_model(settings: ServiceSettings) -> tuple[LoadedModel | None, str | None]:
    """The model to serve and, when it could not be loaded, why (the rules then decide alone).

    Raises:
        ModelUnavailable: It cannot be loaded and ``settings.require_model`` is on (the default): the
            rules-only fallback is for a model that fails in production, not a forgotten training step.

    """
    try:
        model = load_model(settings.model_uri)
    except Exception as exc:
        reason = first_line(exc)
        if settings.require_model:
            raise ModelUnavailable(f"{reason}; or start with --allow-rules-only") from exc
        log.warning(
            "model %s not loaded (%s): serving by the policy's rules alone", settings.model_uri, reason
        )
        return None, f"{type(exc).__name__}: {reason}"
    log.info("serving model %s version %s", model.name, model.version)
    return model, None


def serving_holder(settings: ServiceSettings) -> ModelHolder:
    """The policy and model the service starts with, in a holder that follows the served alias.

    Tickets are scored ``settings.scoring_slots`` at a time, each encoder call, each BLAS product and
    the boosted head's OpenMP on one thread. Every scorer, the first and each reloaded one, is warmed
    up before it takes a request (``scoring.warm.ready``).
    """
    use_encoder_threads(1)
    use_numeric_threads(1)
    model, error = load_served_model(settings)
    slots = threading.BoundedSemaphore(settings.scoring_slots)

    def warmed(policy: Policy, model: LoadedModel | None) -> Scorer:
        return ready(Scorer(policy, model, slots=slots))

    holder = ModelHolder(load_policy(settings.policy_path), settings.model_uri, model, scorer_factory=warmed)
    holder.last_error = error
    return holder


def _open_store(store: HandoffStore) -> None:
    """Bring the store's schema to head now if possible; otherwise requests retry and answer 503 meanwhile.

    Raises:
        SchemaMismatch: E.g. ``SchemaTooNew``, the database was upgraded by a newer TicketBuddy: start-up
            stops, as the service could only ever answer 503.

    """
    try:
        store.open()
    except SchemaMismatch:
        raise
    except StoreUnavailable as exc:
        log.error("%s: scoring answers 503 until it is reachable", exc)


async def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 saying nothing was recorded; what failed (driver, host, user) goes to the log only."""
    log.error("hand-off store unavailable for %s %s: %s", request.method, request.url.path, exc)
    what = "schema does not match this TicketBuddy" if isinstance(exc, SchemaMismatch) else "is unavailable"
    detail = f"The hand-off store {what}. Nothing was recorded for this request; retry it."
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return JSONResponse(status_code=503, content={"detail": detail}, headers=headers)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": str(exc)})


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=409, content={"detail": str(exc)})


async def _forbidden(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=403, content={"detail": str(exc)})


async def _agent_required(request: Request, exc: Exception) -> JSONResponse:
    """422 in FastAPI's shape, naming the field: ``agent_id`` is missing for this key."""
    error = {"loc": ["body", "agent_id"], "msg": str(exc), "type": "missing"}
    return JSONResponse(status_code=422, content={"detail": [error]})


def create_app(
    settings: ServiceSettings | None = None,
    clock: Clock | None = None,
    *,
    holder: ModelHolder | None = None,
    security: SecuritySettings | None = None,
    limits: LimitsSettings | None = None,
    dev: bool = False,
    redaction: RedactionSettings | None = None,
    rate_limits: RateLimitSettings | None = None,
) -> FastAPI:
    """Build the service. Nothing is loaded or connected until the app starts (lifespan).

    A policy that fails validation stops start-up with a message naming the entry at fault.

    Args:
        settings: How to run; read from the environment when None.
        clock: Where SLA times come from; the wall clock when None (tests pass a fake one).
        holder: The scorer to serve, already built (embedding applications and tests); when None the
            policy and ``settings.model_uri`` are loaded at start-up.
        security: API keys; read from the environment when None.
        limits: Request size limits; read from the environment when None.
        dev: Development: without keys, a one-off all-scope key instead of refusing to start.
        redaction: Extra patterns the logs' redaction removes; read from the environment when None
            (an invalid one raises ``pydantic.ValidationError`` naming it: start-up stops).
        rate_limits: Request budgets per key and scope; read from the environment when None.

    Raises:
        ApiKeyError: No key configured (outside ``dev``), a malformed one, or a key naming a team the
            policy does not have.

    """
    settings = settings or get_settings()
    redaction = redaction or RedactionSettings()  # first: a bad pattern stops start-up before anything
    clock = clock or SystemClock()
    store = HandoffStore(settings.db_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if holder is None:  # a holder given to create_app had its keys checked there
            app.state.model_holder = serving_holder(settings)
            check_key_teams(keyring, app.state.model_holder.policy)
        serving: ModelHolder = app.state.model_holder
        serving.on_reload = lambda result: metrics.record_reload(result.outcome)
        try:
            _open_store(store)
        except SchemaMismatch:
            store.close()
            raise
        interval, retention = settings.sweep_interval_seconds, settings.ticket_retention
        task = sweeper.start(
            store, serving.policy, clock, interval, retention, on_move=_count_sweep_moves(metrics)
        )
        watch = monitor_timer.start(store, clock, settings.monitor_interval_seconds, settings.model_uri)
        try:
            async with ModelPoller(serving, settings.model_poll_seconds):
                yield
        finally:
            await sweeper.stop(watch)  # cancel and wait: any background task
            await sweeper.stop(task)
            store.close()

    app = FastAPI(
        title="TicketBuddy",
        version=__version__,
        summary="Decides whether a support ticket needs a human now, and hands it over with full context.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.scoring_limiter = anyio.CapacityLimiter(2 * settings.scoring_slots)
    app.state.clock = clock
    app.state.store = store
    if holder is not None:
        app.state.model_holder = holder
    app.add_exception_handler(StoreUnavailable, _store_unavailable)
    app.add_exception_handler(HandoffNotFound, _not_found)
    app.add_exception_handler(HandoffConflict, _conflict)
    app.add_exception_handler(HandoffForbidden, _forbidden)
    app.add_exception_handler(AgentRequired, _agent_required)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.include_router(health.router)
    for router, scope in ((score, "score"), (handoffs, "agent"), (feedback, "agent"), (reload, "admin")):
        scoped = [Depends(require_scope(scope))]  # and what any operation behind a key can answer:
        app.include_router(router.router, dependencies=scoped, responses=answers(*AUTHENTICATED))
    # Middleware: the last added is outermost, so a request meets metrics, redaction, the API key
    # check (401 before any body is read), the key's budget (429), the body-size limit (413), then
    # the routes.
    install_limits(app, limits or LimitsSettings())
    limiter = install_rate_limits(app, rate_limits or RateLimitSettings())
    keyring = install_security(app, security or SecuritySettings(), dev=dev)
    if holder is not None:
        check_key_teams(keyring, holder.policy)
    install_redaction(app, redaction)
    metrics = install_metrics(
        app,
        queue_depth=lambda: depth_by_status_route(store),
        model_source=lambda: _serving_model(app),
    )
    limiter.register(metrics.registry, keyring.entries)
    return app


def check_key_teams(keyring: ApiKeyring, policy: Policy) -> None:
    """Refuse keys that name a team the policy does not have (a typo would lock an agent out).

    Raises:
        ApiKeyError: Naming each key id and team at fault.

    """
    if problems := keyring.unknown_teams(policy.teams):
        raise ApiKeyError("; ".join(problems))


def _serving_model(app: FastAPI) -> LoadedModel | None:
    """The model the app serves now (None before start-up or when running on the rules alone)."""
    holder = getattr(app.state, "model_holder", None)
    return holder.current().model if holder is not None else None


def _count_sweep_moves(metrics: Metrics) -> Callable[[sweeper.Move], None]:
    def record(move: sweeper.Move) -> None:
        if move.kind == "sla_breached":
            metrics.record_sla_breach(move.to_team)
        elif move.kind == "claim_expired":
            metrics.record_claim_expired(move.to_team)

    return record
