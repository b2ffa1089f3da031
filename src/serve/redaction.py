"""Keep customers' words and contact details out of the service's logs.

Every log record is redacted before any handler sees it: each value (message, argument, exception
text) is first cut to a bounded length, the cut marked ``…[truncated N chars]``, so that a log line
costs the same whatever a client sends; then any text of the ticket being handled becomes ``[ticket
text]``, the query string of an access-log line ``?[query redacted]``, and the personal data
``ticketbuddy.serve.pii`` finds (e-mail addresses, IBANs, street addresses and postcodes, card and
phone numbers, and the operator's own ``TICKETBUDDY_REDACT_PATTERNS``) its placeholder. The ticket
text needs to know what the ticket says: ``RedactionMiddleware`` reads the JSON body of each request
as the application receives it and remembers its free-text fields (message texts, subject, notes,
metadata) for as long as the request runs; anything logged meanwhile, by any logger, is scrubbed of
them. Code that logs customer text on purpose can wrap it in ``sensitive(...)``.

Why a log-record factory as well as a ``logging.Filter``: a filter attached to a logger does not see
records that propagate up from its children (``ticketbuddy.scoring.scorer`` → ``ticketbuddy``), and
uvicorn replaces handlers when it configures logging. The factory runs for every record of the process.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketbuddy.serve.pii import MAX_TRACE_CHARS, MAX_VALUE_CHARS, cut_point, scrub
from ticketbuddy.settings import RedactionSettings

#: Texts shorter than this are not remembered: replacing every "hi" in a log line helps nobody.
MIN_TEXT_CHARS = 8
#: Free-text fields of request bodies (tickets, resolution notes), remembered whatever their length.
TEXT_KEYS = frozenset({"text", "subject", "note", "summary", "metadata"})
#: Any other string this long is remembered too.
LONG_STRING_CHARS = 24
_MAX_BODY_COLLECTED = 4 * 1024 * 1024
_ACCESS_LOGGER = "uvicorn.access"
DEFAULT_LOGGERS = ("", "uvicorn", "uvicorn.error", _ACCESS_LOGGER, "ticketbuddy")

_ticket_texts: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("ticket_texts", default=None)
#: The operator's extra patterns (``TICKETBUDDY_REDACT_PATTERNS``), set by ``install_log_redaction``.
_extra_patterns: tuple[re.Pattern[str], ...] = ()


class Sensitive:
    """A value that is logged as ``[redacted]``: ``log.info("text %s", sensitive(text))``."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __str__(self) -> str:
        return "[redacted]"

    __repr__ = __str__


def sensitive(value: object) -> Sensitive:
    """Mark ``value`` so that logging it shows ``[redacted]``."""
    return Sensitive(value)


def redact(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, without the current request's ticket texts or personal data.

    Example:
        >>> redact("mail jo@example.com or call +44 7700 900123, card 4111 1111 1111 1111")
        'mail [email] or call [phone], card [card]'
        >>> redact("call 07700 900123 " * 1000)[-45:]  # 18,000 characters: cut after a space
        '[phone] call [phone] …[truncated 9,810 chars]'

    """
    known = _ticket_texts.get() or ()
    keep = cut_point(text, limit, known)
    head = text[:keep]
    for piece in known:
        head = head.replace(piece, "[ticket text]")
    dropped = len(text) - keep
    return scrub(head, _extra_patterns) + (f"…[truncated {dropped:,} chars]" if dropped else "")


def remember_ticket_texts(texts: list[str]) -> None:
    """Treat ``texts`` as ticket text for the rest of the current request (or context)."""
    bag = _ticket_texts.get()
    if bag is None:
        bag = []
        _ticket_texts.set(bag)
    for text in texts:
        bag.extend(_pieces(text))
    bag.sort(key=len, reverse=True)  # longest first, so a sentence never splits a whole message


def _pieces(text: str) -> Iterator[str]:
    """The text, and its lines and sentences long enough to identify it when logged alone."""
    text = text.strip()
    if len(text) < MIN_TEXT_CHARS:
        return
    yield text
    for piece in re.split(r"(?<=[.!?])\s+|\n+", text):
        piece = piece.strip()
        if len(piece) >= 2 * MIN_TEXT_CHARS and piece != text:
            yield piece


def free_text(value: Any, key: str | None = None) -> Iterator[str]:
    """The free-text strings of a parsed JSON body: text fields of any length, other long strings."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from free_text(v, key if key in TEXT_KEYS else str(k))
    elif isinstance(value, list):
        for item in value:
            yield from free_text(item, key)
    elif isinstance(value, str) and (key in TEXT_KEYS or len(value) >= LONG_STRING_CHARS):
        yield value


def _redact_arg(arg: object) -> object:
    if isinstance(arg, bool | int | float) or arg is None:
        return arg  # keeps %d and %.3f working
    return redact(str(arg))


def _strip_query(path: object) -> object:
    if isinstance(path, str) and "?" in path:
        return path.split("?", 1)[0] + "?[query redacted]"
    return path


def redact_record(record: logging.LogRecord) -> None:
    """Redact a record in place: message, arguments, exception and stack text (once per record)."""
    if getattr(record, "_ticketbuddy_redacted", False):
        return
    record._ticketbuddy_redacted = True
    if record.name == _ACCESS_LOGGER and isinstance(record.args, tuple) and len(record.args) >= 3:
        # uvicorn's AccessFormatter unpacks the five arguments: keep their shape, drop the query.
        record.args = (*record.args[:2], _strip_query(record.args[2]), *record.args[3:])
    _redact_message(record)
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text, MAX_TRACE_CHARS)
    if record.stack_info:
        record.stack_info = redact(record.stack_info, MAX_TRACE_CHARS)


def _redact_message(record: logging.LogRecord) -> None:
    """Redact the message and each argument apart, so that ``%d`` and ``%.3f`` still format.

    A format string too long to keep whole is formatted first: cut short, it would no longer match
    its arguments. One that cannot be formatted is left to the handler to report, as it would be
    without redaction: logging never raises at the caller.
    """
    msg = str(record.msg)  # what getMessage does first, so formatting is unchanged
    if record.args and len(msg) > MAX_VALUE_CHARS:
        with contextlib.suppress(TypeError, ValueError, KeyError):
            msg, record.args = record.getMessage(), ()
    record.msg = redact(msg)
    if isinstance(record.args, Mapping):
        record.args = {k: _redact_arg(v) for k, v in record.args.items()}
    elif isinstance(record.args, tuple):
        record.args = tuple(_redact_arg(a) for a in record.args)


class RedactionFilter(logging.Filter):
    """A logging filter that redacts every record it sees; it never drops one.

    Usable in a ``logging.config.dictConfig`` as ``{"()": "ticketbuddy.serve.redaction.RedactionFilter"}``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place and let it through."""
        redact_record(record)
        return True


class _RedactingFactory:
    """Wraps the process's log-record factory so every record is born redacted."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        redact_record(record)
        return record


_FILTER = RedactionFilter()


def install_log_redaction(
    logger_names: tuple[str, ...] = DEFAULT_LOGGERS, extra_patterns: Sequence[re.Pattern[str]] = ()
) -> None:
    """Redact every log record of the process, ``extra_patterns`` too; idempotent (the last patterns win).

    Adds the filter to the named loggers and their current handlers, and wraps the log-record factory
    (which also covers child loggers and handlers added later, e.g. by uvicorn's logging config).
    """
    global _extra_patterns
    _extra_patterns = tuple(extra_patterns)
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _RedactingFactory):
        logging.setLogRecordFactory(_RedactingFactory(factory))
    for name in logger_names:
        logger = logging.getLogger(name)
        for target in [logger, *logger.handlers]:
            if _FILTER not in target.filters:
                target.addFilter(_FILTER)


def uninstall_log_redaction(logger_names: tuple[str, ...] = DEFAULT_LOGGERS) -> None:
    """Undo ``install_log_redaction`` (for tests)."""
    global _extra_patterns
    _extra_patterns = ()
    factory = logging.getLogRecordFactory()
    if isinstance(factory, _RedactingFactory):
        logging.setLogRecordFactory(factory.inner)
    for name in logger_names:
        logger = logging.getLogger(name)
        for target in [logger, *logger.handlers]:
            target.removeFilter(_FILTER)


class RedactionMiddleware:
    """ASGI middleware remembering the free text of each JSON request body while the request runs.

    Args:
        app: The wrapped ASGI application.

    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with its own bag of ticket texts, filled as the body is received."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _ticket_texts.set([])
        try:
            await self.app(scope, _collecting(receive), send)
        finally:
            _ticket_texts.reset(token)


def _collecting(receive: Receive) -> Receive:
    """A ``receive`` that, at the end of a JSON body, remembers its free text as ticket text."""
    chunks: list[bytes] = []
    size = 0

    async def wrapped() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request" and size <= _MAX_BODY_COLLECTED:
            chunk = message.get("body", b"")
            size += len(chunk)
            chunks.append(chunk)
            if not message.get("more_body", False):
                _remember_body(b"".join(chunks))
        return message

    return wrapped


def _remember_body(body: bytes) -> None:
    """Remember a body's free text; a body that is not JSON is remembered whole, as text."""
    if not body or len(body) > _MAX_BODY_COLLECTED:
        return
    try:
        texts = list(free_text(json.loads(body)))
    except ValueError:
        texts = [body.decode("utf-8", errors="replace")]
    except RecursionError:  # absurdly nested JSON: the app refuses it; nothing to learn here
        texts = []
    remember_ticket_texts(texts)


def install_redaction(app: FastAPI, settings: RedactionSettings | None = None) -> None:
    """Redact the process's logs and add ``RedactionMiddleware`` to ``app``; call before it starts.

    Raises:
        pydantic.ValidationError: ``settings`` not given and ``TICKETBUDDY_REDACT_PATTERNS`` holds a
            pattern that does not compile, named by its position (start-up stops).

    """
    install_log_redaction(extra_patterns=(settings or RedactionSettings()).compiled_patterns())
    app.add_middleware(RedactionMiddleware)
