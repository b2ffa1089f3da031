"""Make a scorer ready before it takes traffic: warm it up, then keep the collector off what it holds.

**Warm-up.** Much of a scorer is built on first use: the encoder's onnxruntime session, the trigger
families' examples embedded and their sentence classifier fitted, the lean path's arrays. Measured,
the first ticket a fresh scorer assesses took 2.4 s, the next ones 14 to 20 ms. A service that
starts (or swaps in a reloaded model) and lets a customer's request pay that would break the tail
it promises, and every request arriving meanwhile would queue behind it. ``ready`` assesses one
built-in ticket (``WARM_UP_TICKET``, written here, not a customer's) before the scorer is used.

**The heap.** A loaded model, policy and encoder are hundreds of thousands of Python objects that
live as long as the process. CPython's cyclic collector still walks all of them in every full
collection, and that pause lands inside whichever request allocated last: measured during batch
scoring, one full collection took 0.25 s. ``settle_heap`` collects once, then freezes what is alive
(``gc.freeze`` moves it to a permanent generation that every later collection ignores). Reference
counting still frees frozen objects; only cycles among them wait, until the next ``settle_heap``
(a model reload) unfreezes and collects them.
"""

from __future__ import annotations

import gc
import logging
import time

from ticketbuddy.schemas import Ticket
from ticketbuddy.scoring.scorer import Scorer

log = logging.getLogger(__name__)

#: The ticket a scorer assesses before its first real one: two customer turns and a bot turn, so
#: every part of the path (sentences, families, bot features, complexity) runs. Invented, harmless.
WARM_UP_TICKET = Ticket.model_validate(
    {
        "ticket_id": "ticketbuddy-warm-up",
        "channel": "chat",
        "created_at": "2026-01-01T09:00:00Z",
        "messages": [
            {"role": "customer", "text": "Hello, my order has not arrived yet. Could you check it?"},
            {"role": "bot", "text": "I can help with that. It is on its way.", "confidence": 0.9},
            {"role": "customer", "text": "Thanks, that is all I needed."},
        ],
    }
)


def settle_heap() -> int:
    """Collect once, then freeze every live object out of the cyclic collector's sight.

    Objects frozen by an earlier call are unfrozen first, so what died since (a replaced model)
    is collected now rather than kept. Returns how many objects are frozen.

    Example:
        >>> settle_heap() > 0
        True

    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def ready(scorer: Scorer) -> Scorer:
    """``scorer``, warmed up on ``WARM_UP_TICKET``, with the heap settled (``settle_heap``).

    A warm-up that fails is logged, not raised: the scorer's own fail-safe decides real tickets.
    """
    started = time.perf_counter()
    try:
        scorer.assess([WARM_UP_TICKET])
    except Exception:
        log.exception("the scorer's warm-up failed; its first real ticket will pay for what is built lazily")
    seconds = time.perf_counter() - started
    frozen = settle_heap()
    log.info("scorer warmed up in %.2f s; %d long-lived objects frozen out of collection", seconds, frozen)
    return scorer
