"""The escalation model: the fitted Pipeline plus the decision threshold chosen for it.

The threshold is part of the model, chosen at training time from ``params.yaml`` (a minimum recall or
a review budget), so every consumer — batch scoring, the API, the MLflow pyfunc — decides with exactly
the threshold the model was evaluated at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from ticketbuddy.features.pipeline import text_embedder

#: Columns of the frame ``EscalationModel.predict`` returns.
PREDICTION_COLUMNS = ["ticket_id", "probability", "escalate", "threshold"]


@dataclass
class EscalationModel:
    """A fitted escalation pipeline and its operating threshold.

    Attributes:
        pipeline: ``TicketParser`` → features → calibrated classifier; ``predict_proba`` on the
            model input frame (see ``ticketbuddy.features.conversation.tickets_to_frame``).
        threshold: Probability at or above which a ticket is escalated.
        info: Facts about the training run (data hash, sizes, threshold strategy) kept with the model.

    Example:
        >>> model = EscalationModel(pipeline, threshold=0.4)   # doctest: +SKIP
        >>> model.predict(tickets_to_frame(tickets))            # doctest: +SKIP
           ticket_id  probability  escalate  threshold

    """

    pipeline: Pipeline
    threshold: float
    info: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability that each ticket needs a human."""
        if len(frame) == 0:
            return np.zeros(0)
        return self.pipeline.predict_proba(frame)[:, 1]

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Probability and decision for each row of the model input frame."""
        proba = self.probabilities(frame)
        ids = frame["ticket_id"].astype(str).to_numpy() if "ticket_id" in frame else np.arange(len(frame))
        return pd.DataFrame(
            {
                "ticket_id": ids,
                "probability": proba.astype(float),
                "escalate": proba >= self.threshold,
                "threshold": np.full(len(proba), float(self.threshold)),
            },
            columns=PREDICTION_COLUMNS,
        )

    def use_encoder_at(self, path: str) -> None:
        """Point the text embedding at a local copy of the encoder (the one stored with the model)."""
        text_embedder(self.pipeline).model_path = path
