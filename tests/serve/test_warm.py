"""A scorer is warmed up before it takes a request, and the heap it holds is frozen out of collection."""

import gc
import logging
import weakref

import pytest

from ticketbuddy.features import triggers
from ticketbuddy.features.semantic import SemanticMatcher
from ticketbuddy.policy.model import load_policy
from ticketbuddy.scoring.scorer import Scorer
from ticketbuddy.scoring.warm import WARM_UP_TICKET, ready, settle_heap
from ticketbuddy.serve import app as app_module
from ticketbuddy.settings import ServiceSettings

from .wiring import CHAMPION_URI

NAME = "ticket-escalation"


class Cycle:
    """An object that refers to itself: only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def frozen_restored():
    yield
    gc.unfreeze()


def test_settle_heap_collects_the_dead_and_freezes_the_living(frozen_restored):
    dead, alive = Cycle(), Cycle()
    dead_ref, alive_ref = weakref.ref(dead), weakref.ref(alive)
    del dead
    assert settle_heap() > 0
    assert dead_ref() is None and alive_ref() is alive
    del alive  # now garbage, but frozen: a collection does not see it
    gc.collect()
    assert alive_ref() is not None
    settle_heap()  # the next settle (a reload) unfreezes, then collects it
    assert alive_ref() is None


def test_ready_builds_what_the_first_ticket_would_have_built(monkeypatch, seed_tickets, frozen_restored):
    built = []
    original = SemanticMatcher.__init__

    def counted(self, *args, **kwargs):
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(SemanticMatcher, "__init__", counted)
    triggers._semantic_matcher.cache_clear()  # as in a fresh process
    scorer = ready(Scorer(load_policy(), None))
    assert len(built) == 1 and gc.get_freeze_count() > 0
    decided = scorer.assess(seed_tickets)
    assert len(built) == 1 and len(decided) == len(seed_tickets)  # real tickets build nothing more


def test_a_failing_warm_up_is_logged_and_the_scorer_still_returned(caplog, frozen_restored):
    class Broken:
        def assess(self, tickets):
            assert tickets == [WARM_UP_TICKET]
            raise RuntimeError("encoder missing")

    broken = Broken()
    with caplog.at_level(logging.ERROR, logger="ticketbuddy.scoring.warm"):
        assert ready(broken) is broken
    assert "warm-up failed" in caplog.text


def test_the_service_warms_each_scorer_before_it_serves(
    monkeypatch, trained, worse_trained, champion_restored, frozen_restored
):
    readied, serving = [], {}

    def spy(scorer):
        holder = serving.get("holder")
        readied.append((scorer, holder.current() if holder else None))
        return ready(scorer)

    monkeypatch.setattr(app_module, "ready", spy)
    holder = serving["holder"] = app_module.serving_holder(ServiceSettings(model_uri=CHAMPION_URI))
    assert [s for s, _ in readied] == [holder.current()]
    first = holder.current()
    champion_restored.set_registered_model_alias(NAME, "champion", worse_trained.model_version)
    assert holder.reload().outcome == "reloaded"
    (warmed, current_then) = readied[1]
    assert warmed is holder.current() and warmed.model.version == worse_trained.model_version
    assert current_then is first  # warmed while the old scorer still served
