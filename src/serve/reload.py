"""Serving the champion as it moves: a model holder swapped atomically, a poller, and an admin endpoint.

``ModelHolder`` owns the ``Scorer`` requests use. ``reload()`` resolves the served alias
(``models:/ticket-escalation@champion``) to a version in the MLflow registry and, when it differs from
the one loaded, loads that exact version (``models:/ticket-escalation/<n>``, so the version reported is
the one scoring even if the alias moves again meanwhile), builds a new ``Scorer`` and swaps the
reference. A request that already took the old scorer finishes on it; the next one gets the new one.
If anything fails (registry down, artifact missing, a model whose routes the policy does not own) the
old model keeps serving and the error is reported, logged and kept in ``last_error``.

``ModelPoller`` calls ``reload()`` every ``TICKETBUDDY_MODEL_POLL_SECONDS`` (0 turns it off) from the
app's lifespan; ``POST /v1/admin/reload`` does it on demand. A service that started degraded (no model)
picks the model up as soon as one can be loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ticketbuddy.policy.model import Policy
from ticketbuddy.scoring.lookup import resolve
from ticketbuddy.scoring.scorer import LoadedModel, Scorer, load_model

log = logging.getLogger(__name__)

Outcome = Literal["reloaded", "unchanged", "failed"]


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did, and which version serves now."""

    outcome: Outcome
    version: str | None
    previous_version: str | None
    error: str | None = None


def split_alias(uri: str) -> tuple[str, str] | None:
    """``(name, alias)`` of a ``models:/name@alias`` URI; None for any other URI."""
    if not uri.startswith("models:/") or "@" not in uri:
        return None
    name, alias = uri.removeprefix("models:/").split("@", 1)
    return name, alias


def registry_version(uri: str) -> str | None:
    """The version an alias URI points at now in the MLflow registry; None for a fixed URI.

    Raises:
        ModelUnavailable: The registry cannot be read or has no such model or alias (one line).

    """
    return resolve(uri).version if split_alias(uri) else None


class ModelHolder:
    """Holds the scorer in use and replaces it when the served alias moves.

    Args:
        policy: The policy every scorer is built with.
        uri: The model URI served, normally ``models:/ticket-escalation@champion``.
        model: The model loaded at start-up, or None (the rules decide until a reload succeeds).
        loader: Loads a model URI; ``load_model`` by default (tests pass a stub).
        on_reload: Called with every ``ReloadResult`` (e.g. to count reloads in the metrics).
        scorer_factory: Builds a scorer from the policy and a model; ``Scorer`` by default.

    Example:
        >>> from ticketbuddy.policy.model import load_policy
        >>> holder = ModelHolder(load_policy(), "models:/ticket-escalation/3", None, loader=lambda uri: None)
        >>> holder.current().degraded  # no model yet: the rules decide
        True
        >>> holder.reload().outcome  # the loader (a stub here) gave no model: still the rules
        'reloaded'

    """

    def __init__(
        self,
        policy: Policy,
        uri: str,
        model: LoadedModel | None,
        loader: Callable[[str], LoadedModel] = load_model,
        on_reload: Callable[[ReloadResult], None] | None = None,
        scorer_factory: Callable[[Policy, LoadedModel | None], Scorer] = Scorer,
    ) -> None:
        self.policy = policy
        self.uri = uri
        self._build = scorer_factory
        self._scorer = scorer_factory(policy, model)
        self._loader = loader
        self.on_reload = on_reload
        self._lock = threading.Lock()  # one reload at a time; readers never wait
        self.last_error: str | None = None
        self.last_checked_at: datetime | None = None
        self.last_reloaded_at: datetime | None = None

    def current(self) -> Scorer:
        """The scorer to use now; keep the reference for the whole request."""
        return self._scorer

    def reload(self, force: bool = False) -> ReloadResult:
        """Load the version the alias points at if it is not the one loaded (or always, with ``force``).

        Never raises: a failure keeps the old model and is returned (and kept in ``last_error``).
        """
        with self._lock:
            result = self._reload(force)
        if self.on_reload is not None:
            self.on_reload(result)
        return result

    def _reload(self, force: bool) -> ReloadResult:
        previous = self._scorer.model
        before = previous.version if previous else None
        self.last_checked_at = datetime.now(UTC)
        try:
            version = registry_version(self.uri)
            if version is not None and version == before and not force:
                return ReloadResult("unchanged", before, before)
            if version is None and previous is not None and not force:
                return ReloadResult("unchanged", before, before)  # a fixed URI never moves
            scorer = self._build(self.policy, self._loader(self._exact_uri(version)))
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("model reload from %s failed, still serving version %s: %s", self.uri, before, exc)
            return ReloadResult("failed", before, before, self.last_error)
        self._scorer = scorer  # one reference assignment: atomic for every reader
        self.last_error, self.last_reloaded_at = None, datetime.now(UTC)
        after = scorer.model.version if scorer.model else None
        log.info("model reloaded from %s: version %s -> %s", self.uri, before, after)
        return ReloadResult("reloaded", after, before)

    def _exact_uri(self, version: str | None) -> str:
        ref = split_alias(self.uri)
        return f"models:/{ref[0]}/{version}" if ref and version else self.uri


class ModelPoller:
    """Calls ``holder.reload()`` every ``interval_seconds`` in the background, while the app runs.

    Use it in the app's lifespan: ``async with ModelPoller(holder, 60): yield``. An interval of 0 does
    nothing. A reload runs in a worker thread, so scoring is never blocked by a model load.
    """

    def __init__(self, holder: ModelHolder, interval_seconds: float) -> None:
        self.holder = holder
        self.interval_seconds = interval_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start polling (from inside the running event loop)."""
        if self.interval_seconds > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="model-poller")

    async def stop(self) -> None:
        """Stop polling; a reload already running in its thread is left to finish."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def __aenter__(self) -> ModelPoller:
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_seconds)
            try:
                await asyncio.to_thread(self.holder.reload)
            except Exception:  # reload() does not raise; this keeps the poller alive if it ever does
                log.exception("model poll failed")


class ModelOut(BaseModel):
    """The model serving now; ``version`` is None when the rules decide alone."""

    name: str | None
    version: str | None
    threshold: float | None
    degraded: bool


class ModelStatusOut(BaseModel):
    """The model serving, where it comes from, and how the last reload went."""

    uri: str
    model: ModelOut
    last_error: str | None
    last_checked_at: datetime | None
    last_reloaded_at: datetime | None
    policy_differences: list[str] = Field(
        default_factory=list,
        description="How the policy's trigger keywords differ from those the model was trained with.",
    )


class ReloadOut(BaseModel):
    """The outcome of ``POST /v1/admin/reload``."""

    outcome: Outcome
    model: ModelOut
    previous_version: str | None
    error: str | None = None


async def get_model_holder(request: Request) -> ModelHolder:
    """The app's model holder (``app.state.model_holder``, set in the lifespan)."""
    return request.app.state.model_holder


HolderDep = Annotated[ModelHolder, Depends(get_model_holder)]
router = APIRouter(prefix="/v1/admin", tags=["admin"])


def _model_out(holder: ModelHolder) -> ModelOut:
    model = holder.current().model
    if model is None:
        return ModelOut(name=None, version=None, threshold=None, degraded=True)
    return ModelOut(name=model.name, version=model.version, threshold=model.threshold, degraded=False)


@router.get("/model", response_model=ModelStatusOut)
def model_status(holder: HolderDep) -> ModelStatusOut:
    """Which model serves, from which URI, and the last reload's error if it failed."""
    return ModelStatusOut(
        uri=holder.uri,
        model=_model_out(holder),
        last_error=holder.last_error,
        last_checked_at=holder.last_checked_at,
        last_reloaded_at=holder.last_reloaded_at,
        policy_differences=holder.current().policy_differences,
    )


@router.post("/reload", response_model=ReloadOut, responses={502: {"model": ReloadOut}})
def reload_model(holder: HolderDep, force: bool = False) -> ReloadOut | JSONResponse:
    """Load the version the served alias points at now (``force``: even if it is the one loaded).

    200 with ``reloaded`` or ``unchanged``; 502 with the error when loading failed — the previous model
    keeps serving.
    """
    result = holder.reload(force=force)
    out = ReloadOut(
        outcome=result.outcome,
        model=_model_out(holder),
        previous_version=result.previous_version,
        error=result.error,
    )
    if result.outcome == "failed":
        return JSONResponse(out.model_dump(mode="json"), status_code=502)
    return out
