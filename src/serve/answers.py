"""The answers an operation can give besides its success, declared for the OpenAPI schema in one place.

A client generated from the schema handles only the statuses it declares, so every refusal the service
can really give is declared, with its body (``ErrorOut``; a 422 keeps FastAPI's validation model) and
the headers that come with it: ``WWW-Authenticate`` on a 401 (and on a 403 for a missing scope),
``Retry-After`` on a 429 and a 503. ``answers`` builds an operation's ``responses=``; ``app.py`` adds
``AUTHENTICATED`` to every router behind a key, the routers add what their own operations answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ticketbuddy.serve.schemas import ErrorOut

Answers = dict[int | str, dict[str, Any]]

#: What any operation behind an API key can answer: no or an unknown key, a missing scope, rate limit.
AUTHENTICATED = (401, 403, 429)
#: What any operation with a request body can answer: the body-size limit (``serve.limits``).
WITH_BODY = (400, 413)
#: What any operation reading or writing the hand-off store can answer while it is unreachable.
STORE = (503,)

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
        "required": True,
    }
}
_CHALLENGE = {"description": "The authentication challenge (RFC 6750).", "schema": {"type": "string"}}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {**_CHALLENGE, "required": True}},
    403: {"WWW-Authenticate": {**_CHALLENGE, "required": False}},
    429: _RETRY_AFTER,
    503: _RETRY_AFTER,
}
_SAID: dict[int, str] = {
    400: "The Content-Length header is not a non-negative integer.",
    401: "No API key, or an unknown one: send `Authorization: Bearer <key>`.",
    403: "This API key lacks the operation's scope, the hand-off's team, or acts as another agent.",
    404: "Not found.",
    409: "The hand-off is not in a state that allows this.",
    413: "The request body is over the size limit.",
    429: "Too many requests with this API key: retry after `Retry-After` seconds.",
    503: "The hand-off store is unavailable: nothing was recorded; retry after `Retry-After` seconds.",
}


def answers(*statuses: int, said: Mapping[int, str] | None = None) -> Answers:
    """An operation's ``responses=``: each status with the ``ErrorOut`` body, a description and its headers.

    Args:
        statuses: The statuses it can answer (``AUTHENTICATED``, ``WITH_BODY``, ``STORE``, 404 ...).
        said: Descriptions for this operation, by status; a status named here is declared too.

    Example:
        >>> declared = answers(*STORE, said={404: "No hand-off has this id."})
        >>> sorted(declared), declared[404]["description"], sorted(declared[503]["headers"])
        ([404, 503], 'No hand-off has this id.', ['Retry-After'])

    """
    said = said or {}
    return {status: _answer(status, said.get(status)) for status in sorted({*statuses, *said})}


def _answer(status: int, description: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {"model": ErrorOut, "description": description or _SAID[status]}
    if status in _HEADERS:
        answer["headers"] = _HEADERS[status]
    return answer
