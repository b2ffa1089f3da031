"""API keys with scopes: who may score tickets, work the agent queue, or administer the service.

Keys come from ``TICKETBUDDY_API_KEYS`` (``key:scope1+scope2,key2:scope``) and/or a file named by
``TICKETBUDDY_API_KEYS_FILE`` holding one ``sha256hex:scope1+scope2`` per line (``#`` starts a comment).
Only SHA-256 digests are kept in memory. A presented key is hashed and compared with
``hmac.compare_digest`` against *every* stored digest, so the time taken reveals neither which key
matched nor how much of one did.

Make a key and its file line::

    python -m ticketbuddy.serve.security score+agent

or by hand: ``printf %s "$KEY" | sha256sum``.

Two layers guard the API. ``ApiKeyMiddleware`` refuses every request without a known key (401, with
``WWW-Authenticate: Bearer``) except the public paths (health, readiness, metrics, API docs), so a
router added later without a scope is still not open. ``require_scope`` is the per-router dependency
that checks the scope (403 when the key lacks it). With no key configured the service is not open
either: ``install_security`` makes an ephemeral all-scope key, logs it once, and it dies with the
process.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

SCOPES = frozenset({"score", "agent", "admin"})
#: Shortest key accepted from the environment: anything shorter can be guessed.
MIN_KEY_CHARS = 16
#: Paths anyone may call: probes, the Prometheus scrape and the API documentation.
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`.")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


class ApiKeyError(ValueError):
    """The configured keys are malformed; the message names the entry at fault (never the key)."""


class SecuritySettings(BaseSettings):
    """Where the API keys come from (``TICKETBUDDY_API_KEYS``, ``TICKETBUDDY_API_KEYS_FILE``).

    Attributes:
        api_keys: Plain keys with their scopes, ``key:scope1+scope2,key2:scope``.
        api_keys_file: A file of ``sha256hex:scope1+scope2`` lines; ``#`` starts a comment.

    """

    model_config = SettingsConfigDict(env_prefix="TICKETBUDDY_", env_file=".env", extra="ignore")

    api_keys: str | None = None
    api_keys_file: Path | None = None


@dataclass(frozen=True)
class Principal:
    """Who is calling: a short, non-secret key id (first 8 hex digits of its hash) and its scopes."""

    key_id: str
    scopes: frozenset[str]


def hash_key(key: str) -> str:
    """The SHA-256 hex digest of a key, as stored in the keys file."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _parse_scopes(text: str, where: str) -> frozenset[str]:
    scopes = frozenset(s.strip() for s in text.split("+") if s.strip())
    unknown = sorted(scopes - SCOPES)
    if not scopes or unknown:
        # the text is not echoed: after a mistyped separator it may hold part of a key
        raise ApiKeyError(f"{where}: scopes must be some of {'+'.join(sorted(SCOPES))}, joined by '+'")
    return scopes


class ApiKeyring:
    """The accepted keys, as SHA-256 digests with their scopes.

    Args:
        entries: ``(sha256 hex digest, scopes)`` pairs.

    Example:
        >>> ring = ApiKeyring.from_settings(SecuritySettings(api_keys="a-long-enough-key-1:score"))
        >>> ring.authenticate("a-long-enough-key-1").scopes
        frozenset({'score'})
        >>> ring.authenticate("wrong") is None
        True

    """

    def __init__(self, entries: Iterable[tuple[str, frozenset[str]]]) -> None:
        self._entries = [(bytes.fromhex(digest), scopes) for digest, scopes in entries]

    def __len__(self) -> int:
        return len(self._entries)

    @classmethod
    def from_settings(cls, settings: SecuritySettings) -> ApiKeyring:
        """Read keys from the environment string and the keys file (both may be set).

        Raises:
            ApiKeyError: A malformed entry, named by position or file line.

        """
        entries = parse_plain_keys(settings.api_keys or "")
        if settings.api_keys_file is not None:
            entries += parse_keys_file(settings.api_keys_file)
        return cls(entries)

    def authenticate(self, presented: str) -> Principal | None:
        """The principal of a presented key, or None; every stored digest is compared, in constant time."""
        digest = hashlib.sha256(presented.encode("utf-8")).digest()
        found: frozenset[str] | None = None
        for stored, scopes in self._entries:
            if hmac.compare_digest(digest, stored):
                found = scopes  # no early exit: the time taken does not depend on which key matched
        return None if found is None else Principal(digest.hex()[:8], found)


def parse_plain_keys(text: str) -> list[tuple[str, frozenset[str]]]:
    """Parse ``key:scope1+scope2,key2:scope`` into digests with scopes (the keys are hashed at once)."""
    entries = []
    for position, item in enumerate((part.strip() for part in text.split(",")), start=1):
        if not item:
            continue
        key, sep, scopes = item.rpartition(":")
        where = f"TICKETBUDDY_API_KEYS entry {position}"
        if not sep or not key:
            raise ApiKeyError(f"{where}: expected key:scope1+scope2")
        if len(key) < MIN_KEY_CHARS:
            raise ApiKeyError(f"{where}: the key is shorter than {MIN_KEY_CHARS} characters")
        entries.append((hash_key(key), _parse_scopes(scopes, where)))
    return entries


def parse_keys_file(path: Path) -> list[tuple[str, frozenset[str]]]:
    """Parse a keys file: ``sha256hex:scope1+scope2`` per line, blank lines and ``#`` comments skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ApiKeyError(f"cannot read API keys file {path}: {exc.strerror}") from exc
    entries = []
    for number, line in enumerate(lines, start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        digest, sep, scopes = content.partition(":")
        where = f"{path} line {number}"
        digest = digest.strip().lower()
        if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ApiKeyError(f"{where}: expected a 64-digit sha256 hex digest, ':', then scopes")
        entries.append((digest, _parse_scopes(scopes, where)))
    return entries


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
        >>> app.include_router(score.router, dependencies=[Depends(require_scope("score"))])  # doctest: +SKIP

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
    dependency.required_scope = scope  # type: ignore[attr-defined]  # read by unscoped_routes
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
        if scope["type"] != "http" or _route_path(scope) in self.public_paths:
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


def _route_path(scope: Scope) -> str:
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


def install_security(app: FastAPI, settings: SecuritySettings | None = None) -> ApiKeyring:
    """Read the keys and add ``ApiKeyMiddleware``; call before the app starts.

    With no key configured, an ephemeral key with every scope is made and logged once, as a warning:
    the service is never open, and a developer can still try it. It is never logged again, and dies
    with the process (each worker process has its own).

    Raises:
        ApiKeyError: A malformed key entry, named (start-up stops).

    """
    keyring = ApiKeyring.from_settings(settings or SecuritySettings())
    if not len(keyring):
        key = new_key()
        keyring = ApiKeyring([(hash_key(key), SCOPES)])
        log.warning(
            "no API keys configured (TICKETBUDDY_API_KEYS or TICKETBUDDY_API_KEYS_FILE): this process"
            " accepts only the ephemeral key %s with every scope; it is shown once and dies with the process",
            key,
        )
    app.state.api_keyring = keyring
    app.add_middleware(ApiKeyMiddleware, keyring=keyring, public_paths=public_paths_of(app))
    return keyring


def unscoped_routes(app: FastAPI) -> list[str]:
    """``METHOD path`` of every non-public API route with no ``require_scope`` dependency.

    A test (or the app at start-up) can assert this is empty, so no endpoint is reachable by any key.
    """
    public = public_paths_of(app)
    found = []
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or route.path in public:
            continue
        if not _has_scope(route.dependant):
            found += [f"{method} {route.path}" for method in sorted(route.methods or ())]
    return found


def _has_scope(dependant: Dependant) -> bool:
    return any(getattr(d.call, "required_scope", None) or _has_scope(d) for d in dependant.dependencies)


def new_key() -> str:
    """A fresh random key (hex, so log redaction never mistakes part of it for a phone number)."""
    return f"tb_{secrets.token_hex(24)}"


def main(argv: list[str] | None = None) -> int:
    """``python -m ticketbuddy.serve.security SCOPES [--env]``: print a new key and its config lines."""
    args = argv if argv is not None else sys.argv[1:]
    scopes = next((a for a in args if not a.startswith("-")), "score+agent+admin")
    _parse_scopes(scopes, "scopes")
    key = new_key()
    if "--env" in args:
        print(f"TICKETBUDDY_API_KEYS={key}:{scopes}")
        return 0
    print(f"key (give it to the client, keep it secret): {key}")
    print(f"TICKETBUDDY_API_KEYS entry:                  {key}:{scopes}")
    print(f"TICKETBUDDY_API_KEYS_FILE line:              {hash_key(key)}:{scopes}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
