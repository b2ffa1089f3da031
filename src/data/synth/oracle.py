"""The best any model could do on a generated history: the Bayes-optimal escalation probability.

The hidden labelling process adds an unobserved quirk (logistic, scale 0.6) to a latent score and then
flips a share of labels at random. Knowing every hidden fact but those two, the probability that a
ticket is labelled escalated is ``q = sigmoid((s - threshold) / 0.6)`` pushed through the noise:
``(1 - e) q + e (1 - q)``. Scoring a history with these probabilities gives the ceiling that a trained
model's figures should be read against: no model sees more than the oracle does.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

from ticketbuddy.data.synth.config import SynthConfig
from ticketbuddy.data.synth.customers import CustomerPool
from ticketbuddy.data.synth.generate import SPAN_DAYS, ticket_record
from ticketbuddy.data.synth.labels import decide, latent_score, threshold
from ticketbuddy.data.synth.scenario import draw_scenario

#: Scale of the logistic quirk in ``scenario.draw_scenario``.
QUIRK_SCALE = 0.6


def oracle(cfg: SynthConfig, n: int, seed: int) -> Iterator[tuple[str, float, bool, bool]]:
    """Replay ``generate(cfg, n, seed)`` and yield, per ticket, what the oracle knows.

    Yields:
        ``(ticket_id, probability, escalated, label_flipped)`` in the history's order; the ticket ids
        and labels are those of the history written with the same settings and seed.

    """
    rng = random.Random(seed)
    tag = "TD" if cfg.drifted else "T"
    pool = CustomerPool(rng, f"C{tag[1:]}-{seed}-", cfg.repeat_rate)
    cut = threshold(cfg)
    noise = cfg.label_noise
    for i in range(n):
        sc = draw_scenario(rng, cfg, pool)
        labels = decide(sc, cfg)
        day = SPAN_DAYS * (i + rng.random()) / n
        ticket_id = f"{tag}-{seed}-{i + 1:07d}"
        ticket_record(rng, sc, labels, ticket_id, day, cfg.missing_rate)  # keeps the random stream in step
        margin = (latent_score(sc) - sc.quirk - cut) / QUIRK_SCALE
        clean = 1.0 / (1.0 + math.exp(-max(min(margin, 50.0), -50.0)))
        yield ticket_id, (1 - noise) * clean + noise * (1 - clean), labels.escalated, sc.flip
