"""Request size limits: an oversized body gets a clear 413, never a crash, a 500 or a full read into memory.

``BodySizeLimitMiddleware`` refuses a request whose ``Content-Length`` is over the limit before reading
any of it, and counts the bytes of a body sent without one (chunked) as they arrive, refusing it as
soon as the count passes the limit. A body within the limit is read (at most the limit, 1 MiB by
default) and handed on unchanged, so the application sees exactly what was sent.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketbuddy.settings import DEFAULT_MAX_BODY_BYTES, LimitsSettings


class BodySizeLimitMiddleware:
    """ASGI middleware answering 413 to a request body over ``max_body_bytes``.

    Args:
        app: The wrapped ASGI application.
        max_body_bytes: Largest body accepted, in bytes.

    Example:
        >>> from fastapi import FastAPI
        >>> app = FastAPI()
        >>> app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=1024 * 1024)

    """

    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then read the body up to the limit and replay it to the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            await _refuse(scope, receive, send, 400, "Content-Length is not a non-negative integer")
            return
        if declared is not None and declared > self.max_body_bytes:
            await _refuse(scope, receive, send, 413, self._too_large(declared))
            return
        try:
            body = await self._read_body(receive)
        except _BodyTooLarge:
            await _refuse(scope, receive, send, 413, self._too_large(None))
            return
        except _ClientGone:
            return  # nobody to answer
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes:
        """The whole body, counted as it arrives.

        Raises:
            _BodyTooLarge: As soon as the count passes the limit.
            _ClientGone: The client disconnected before the end of the body.

        """
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_large(self, declared: int | None) -> str:
        sent = f" ({declared:,} bytes sent)" if declared is not None else ""
        return f"request body too large: the limit is {self.max_body_bytes:,} bytes{sent}"


class _BodyTooLarge(Exception):
    """The body passed the limit while it was read."""


class _ClientGone(Exception):
    """The client disconnected while its body was read."""


def install_limits(app: FastAPI, settings: LimitsSettings | None = None) -> None:
    """Add ``BodySizeLimitMiddleware`` with the configured limit; call before the app starts."""
    limit = (settings or LimitsSettings()).max_body_bytes
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=limit)


def _content_length(scope: Scope) -> int | None:
    """The declared body length; None when absent, -1 when unreadable."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else -1
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the buffered body once, then the server's (disconnect) events."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    """Answer with a JSON error and close the connection: the rest of the body is not read."""
    response = JSONResponse({"detail": detail}, status, headers={"Connection": "close"})
    await response(scope, receive, send)
