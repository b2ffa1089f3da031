"""422 for a request that breaks the contract, in FastAPI's shape, whatever numbers the body held.

FastAPI's own handler echoes the input of each error. A JSON body may hold ``NaN`` or ``Infinity``
(Python's JSON reader accepts them, the contract refuses them), and the JSON response cannot write
them back: the client got a 500 for bad input. Here such a number is echoed as the word JSON lacks
(``"NaN"``, ``"Infinity"``, ``"-Infinity"``); everything else is as FastAPI writes it.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def json_safe(value: Any) -> Any:
    """``value`` with every number that is not finite replaced by its name.

    Example:
        >>> json_safe({"input": [float("nan"), float("-inf"), 1.5, "x"]})
        {'input': ['NaN', '-Infinity', 1.5, 'x']}

    """
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 (``{"detail": [{"loc", "msg", "type", "input", ...}]}``), always writable."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": json_safe(jsonable_encoder(exc.errors()))})
