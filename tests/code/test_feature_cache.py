"""Trigger and complexity rows kept with the embeddings: read back on a retrain, never stale."""

import numpy as np
import pandas as pd
import pytest

from ticketbuddy.features import embedding_cache, feature_cache
from ticketbuddy.features.complexity import Complexity
from ticketbuddy.features.conversation import Turn
from ticketbuddy.features.triggers import TriggerSignals
from ticketbuddy.policy.model import load_policy

CONVERSATIONS = [
    [Turn("customer", "I want a refund. My order #1234 never came."), Turn("bot", "Sorry about that.")],
    [Turn("customer", "get me an actual person"), Turn("bot", "Let me help."), Turn("customer", "no. a person.")],
    [Turn("customer", "my lawyer will be in touch about the burn on my arm")],
    [Turn("customer", "thanks, all sorted")],
]  # fmt: skip


def _tickets(conversations=CONVERSATIONS) -> pd.Series:
    return pd.Series([list(c) for c in conversations])


def _triggers(families=None) -> TriggerSignals:
    policy = load_policy()
    return TriggerSignals(families or policy.trigger_specs(), others=policy.other_examples).fit(None)


def _refuse(*args, **kwargs):
    raise AssertionError("computed again: the kept row was not read back")


@pytest.mark.parametrize("make", [_triggers, Complexity], ids=["triggers", "complexity"])
def test_kept_rows_are_the_very_rows_computed_and_are_read_back(tmp_path, monkeypatch, make):
    X = _tickets([*CONVERSATIONS, CONVERSATIONS[0]])  # a repeat is computed once, answered twice
    plain = make().transform(X)  # the cache off: the service's path
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite") as cache:
        first = make().transform(X)
        assert cache.misses == len(CONVERSATIONS) and cache.hits == 0
    monkeypatch.setattr(type(make()), "_rows", _refuse)
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite") as cache:
        again = make().transform(X)
        assert cache.hits == len(CONVERSATIONS) and cache.misses == 0
    assert np.array_equal(first, plain) and np.array_equal(again, plain)  # bit for bit (64-bit floats)
    assert np.array_equal(again[0], again[-1])


def test_other_families_compute_their_own_rows(tmp_path):
    X = _tickets()
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite"):
        shipped = _triggers().transform(X)
        with_keywords = _triggers({"refund": ["refund"], "legal": ["lawyer"]}).transform(X)
    assert with_keywords.shape == (len(CONVERSATIONS), 3)  # two families' counts, families fired
    assert with_keywords[:, 0].tolist() == [0, 0, 1, 0]  # legal: "lawyer" in the third ticket
    assert with_keywords[:, 1].tolist() == [1, 0, 0, 0]
    assert shipped.shape[1] > 3


def test_a_change_to_the_code_computes_the_rows_afresh(tmp_path, monkeypatch):
    X = _tickets()
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite"):
        Complexity().transform(X)
    calls = []
    original = Complexity._rows

    def counted(self, conversations):
        calls.append(len(conversations))
        return original(self, conversations)

    monkeypatch.setattr(Complexity, "_rows", counted)
    monkeypatch.setattr(feature_cache, "code_digest", lambda: "edited")
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite") as cache:
        Complexity().transform(X)
        assert cache.misses == len(CONVERSATIONS)
    assert calls == [len(CONVERSATIONS)]


def test_the_code_digest_reads_the_package_source():
    digest = feature_cache.code_digest()
    assert len(digest) == 16 and digest == feature_cache.code_digest()
    feature_cache.code_digest.cache_clear()
    assert feature_cache.code_digest() == digest  # the same source, the same digest
