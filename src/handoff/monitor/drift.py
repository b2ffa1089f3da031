"""Drift of a window's traffic from the champion's reference profile (``scoring.profile``).

PSI of the model's probability, of the channel, tier and topic (fired trigger families) mix and of
the customer's message length, each from the ``scorings`` rows; and the cosine distance between the
mean embedding of the window's customer text — embedded from the ``tickets`` table by the champion's
own encoder — and the reference mean. Only these figures leave this module: no text, no ids.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sklearn.pipeline import Pipeline
from sqlalchemy import select

from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.handoff.tables import tickets
from ticketbuddy.schemas import STORED, Ticket
from ticketbuddy.scoring.profile import (
    LENGTH_EDGES,
    PROBABILITY_EDGES,
    Profile,
    cosine_distance,
    histogram,
    mix,
    psi,
    topics,
)


def mix_drift(reference: Profile, cohort: pd.DataFrame) -> dict[str, float]:
    """PSI of probability, channel, tier, topic and message length: window against reference."""
    scored = cohort["probability"].dropna().to_numpy(dtype=float)
    out = {
        "psi_channel": psi(reference.channel, mix(cohort["channel"])),
        "psi_tier": psi(reference.tier, mix(cohort["tier"])),
        "psi_topic": psi(reference.topic, topics(cohort["families"])),
        "psi_message_length": psi(reference.length, histogram(cohort["customer_chars"], LENGTH_EDGES)),
    }
    if scored.size:
        out["psi_probability"] = psi(reference.probability, histogram(scored, PROBABILITY_EDGES))
    return out


def window_tickets(store: HandoffStore, ids: Sequence[str]) -> list[Ticket]:
    """The cohort's tickets as recorded (every message so far), for embedding."""
    found: list[Ticket] = []
    with store.reading() as conn:
        for start in range(0, len(ids), 500):
            query = select(tickets.c.ticket).where(tickets.c.ticket_id.in_(list(ids[start : start + 500])))
            found += [Ticket.model_validate(data, context=STORED) for data in conn.execute(query).scalars()]
    return found


def embedding_shift(reference: Profile, features: Pipeline, window: Sequence[Ticket]) -> dict[str, float]:
    """Cosine distance of the window's mean customer-text embedding from the reference mean."""
    from ticketbuddy.scoring.profile import mean_embedding

    if not window or not reference.embedding_mean:
        return {}
    return {"embedding_shift": cosine_distance(reference.embedding_mean, mean_embedding(features, window))}
