"""Typed FastAPI dependencies: route handlers ask for what they need, tests override it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ticketbuddy.serve.scoring import Scorer


def get_scorer(request: Request) -> Scorer:
    """The scorer the service loaded at start-up."""
    return request.app.state.scorer


ScorerDep = Annotated[Scorer, Depends(get_scorer)]
