"""The lean predict path: tickets to probabilities without MLflow, pandas or per-call validation.

The MLflow pyfunc is the model's public face (``mlflow models serve``, Spark UDFs): it takes a flat
frame, validates it against the signature and runs the scikit-learn Pipeline. The scoring service
already holds validated ``Ticket`` objects, so it skips all of that: the tickets are parsed straight
into turns, the fitted pipeline runs as the plain functions ``features.compiled`` made of it, and
the heads read the feature rows under ``sklearn.config_context(assume_finite=True)``. The numbers are
the pyfunc's to the last bit (``tests/model/test_lean_path.py``); only the plumbing is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sklearn

from ticketbuddy.features.compiled import compile_features
from ticketbuddy.features.conversation import ParsedTickets, parse_tickets
from ticketbuddy.model import EscalationModel
from ticketbuddy.schemas import Ticket

log = logging.getLogger(__name__)


class LeanModel:
    """An ``EscalationModel`` whose features are compiled once, scoring ``Ticket`` objects directly.

    Args:
        model: The fitted model (``pyfunc.unwrap_python_model().model``).

    Raises:
        ValueError: The model's feature pipeline cannot be compiled (the pyfunc path still works).

    """

    def __init__(self, model: EscalationModel) -> None:
        self.model = model
        self.features: Callable[[ParsedTickets], np.ndarray] = compile_features(model.features)

    def predict(self, tickets: Sequence[Ticket]) -> dict[str, np.ndarray]:
        """The prediction columns (``model.PREDICTION_COLUMNS``) for ``tickets``, in order."""
        parsed = parse_tickets(tickets)
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            Z = self.features(parsed) if len(parsed) else None
            return self.model.predict_features(Z, [t.ticket_id for t in tickets], parsed.messages)


def lean_model(model: EscalationModel) -> LeanModel | None:
    """The lean path for ``model``, or None (logged) when its pipeline cannot be compiled."""
    try:
        return LeanModel(model)
    except ValueError as exc:
        log.warning("scoring through the MLflow pyfunc: the lean path does not fit this model (%s)", exc)
        return None


def rows(columns: dict[str, Any]) -> list[dict[str, Any]]:
    """The prediction columns as one dict per ticket."""
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
