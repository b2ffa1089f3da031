"""Who may call the API: the key check in front of every request and the scope each router needs.

Two layers guard the API. ``ApiKeyMiddleware`` refuses every request without a known key (401, with
``WWW-Authenticate: Bearer``) except the public paths (health, readiness, metrics, API docs), so a
router added later without a scope is still not open. ``require_scope`` is the per-router dependency
that checks the scope (403 when the key lacks it). With no key configured the service is not open
either: ``install_security`` makes an ephemeral all-scope key, logs it once, and it dies with the
process. The keys themselves (configuration, hashing, constant-time lookup) live in ``serve.keys``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from ticketbuddy.serve.keys import (
    SCOPES,
    ApiKeyError,
    ApiKeyring,
    KeyEntry,
    Principal,
    hash_key,
    new_key,
)
from ticketbuddy.settings import SecuritySettings

log = logging.getLogger(__name__)

#: Paths anyone may call: probes, the Prometheus scrape and the API documentation.
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`.")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _refusal(token_given: bool) -> tuple[str, dict[str, str]]:
    """The 401 detail and ``WWW-Authenticate`` header for a missing or an unknown key (RFC 6750)."""
    if token_given:
        return "unknown API key", {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return "an API key is required: Authorization: Bearer <key>", {"WWW-Authenticate": "Bearer"}


def principal_of(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The caller of a request: the one the middleware found, or authenticated here.

    Raises:
        HTTPException: 401 with ``WWW-Authenticate: Bearer`` for a missing or unknown key.

    """
    known = getattr(request.state, "principal", None)
    if isinstance(known, Principal):
        return known
    principal = None
    if credentials is not None:
        principal = request.app.state.api_keyring.authenticate(credentials.credentials)
    if principal is None:
        detail, headers = _refusal(credentials is not None)
        raise HTTPException(401, detail=detail, headers=headers)
    request.state.principal = principal
    return principal


def require_scope(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency that admits only keys holding ``scope``; add it per router.

    Example:
        >>> from fastapi import Depends, FastAPI
        >>> from ticketbuddy.serve.routers import score
        >>> FastAPI().include_router(score.router, dependencies=[Depends(require_scope("score"))])
        >>> require_scope("root")
        Traceback (most recent call last):
        ValueError: unknown scope 'root'; expected one of ['admin', 'agent', 'score']

    Raises:
        ValueError: ``scope`` is not one of ``score``, ``agent``, ``admin``.

    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; expected one of {sorted(SCOPES)}")

    async def dependency(request: Request, credentials: BearerDep) -> Principal:
        principal = principal_of(request, credentials)
        if scope not in principal.scopes:
            raise HTTPException(
                403,
                detail=f"this API key lacks the {scope!r} scope",
                headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
            )
        return principal

    dependency.__name__ = f"require_scope_{scope}"
    dependency.required_scope = scope  # type: ignore[attr-defined]  # read by required_scope
    return dependency


class ApiKeyMiddleware:
    """ASGI middleware: no request reaches a non-public path without a known key (401 otherwise).

    The principal found is stored in the request state, so ``require_scope`` only checks the scope.

    Args:
        app: The wrapped ASGI application.
        keyring: The accepted keys.
        public_paths: Paths served without a key.

    """

    def __init__(self, app: ASGIApp, keyring: ApiKeyring, public_paths: Iterable[str] = PUBLIC_PATHS) -> None:
        self.app = app
        self.keyring = keyring
        self.public_paths = frozenset(public_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass public paths and known keys on; answer 401 to anything else."""
        if scope["type"] != "http" or route_path(scope) in self.public_paths:
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        principal = self.keyring.authenticate(token) if token is not None else None
        if principal is None:
            detail, headers = _refusal(token is not None)
            await JSONResponse({"detail": detail}, 401, headers=headers)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def route_path(scope: Scope) -> str:
    """The request's path below the app's ``root_path`` (what the routes are matched against)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def bearer_token(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            return (token.strip() or None) if kind.lower() == "bearer" else None
    return None


def public_paths_of(app: FastAPI) -> frozenset[str]:
    """The paths served without a key: probes, metrics and the app's documentation URLs."""
    docs = [app.docs_url, app.redoc_url, app.openapi_url, app.swagger_ui_oauth2_redirect_url]
    return PUBLIC_PATHS | {path for path in docs if path}


def install_security(
    app: FastAPI, settings: SecuritySettings | None = None, *, dev: bool = False
) -> ApiKeyring:
    """Read the keys and add ``ApiKeyMiddleware``; call before the app starts.

    Without any key the service refuses to start: an open service, or one whose only key was written
    to a log, is not a default. ``dev=True`` (``ticketbuddy serve --dev``) makes a one-off key with
    every scope instead, printed once on the terminal (never logged) and dead with the process.
    A key with the ``agent`` scope that declares no teams reaches every team's queue: said at start.

    Raises:
        ApiKeyError: A malformed key entry, named; or no key at all outside development.

    """
    keyring = ApiKeyring.from_settings(settings or SecuritySettings())
    if not len(keyring):
        if not dev:
            raise ApiKeyError(NO_KEYS)
        keyring = _development_keyring()
    for key_id in keyring.unscoped_agent_keys():
        log.warning("API key %s (agent scope) declares no teams: it reaches every team's hand-offs", key_id)
    app.state.api_keyring = keyring
    app.add_middleware(ApiKeyMiddleware, keyring=keyring, public_paths=public_paths_of(app))
    return keyring


#: Why the service does not start without keys, and what to do.
NO_KEYS = (
    "no API keys configured: set TICKETBUDDY_API_KEYS or TICKETBUDDY_API_KEYS_FILE"
    " (`python -m ticketbuddy.serve.keys score+agent` makes one), or start with --dev for a one-off key"
)


def _development_keyring() -> ApiKeyring:
    """A keyring of one fresh all-scope key, shown on the terminal once (stderr, not a log record)."""
    key = new_key()
    print(f"development key (every scope, dies with this process): {key}", file=sys.stderr, flush=True)
    return ApiKeyring([KeyEntry(hash_key(key), SCOPES)])


def unscoped_routes(app: FastAPI) -> list[str]:
    """``METHOD path`` of every non-public API route with no ``require_scope`` dependency.

    A test (or the app at start-up) can assert this is empty, so no endpoint is reachable by any key.
    """
    public = public_paths_of(app)
    found = []
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or route.path in public:
            continue
        if required_scope(route.dependant) is None:
            found += [f"{method} {route.path}" for method in sorted(route.methods or ())]
    return found


def required_scope(dependant: Dependant) -> str | None:
    """The scope a route's ``require_scope`` dependency asks for (at any depth), or None."""
    for dependency in dependant.dependencies:
        scope = getattr(dependency.call, "required_scope", None) or required_scope(dependency)
        if scope:
            return str(scope)
    return None
