"""A sentence two threads need at once is encoded once: the second waits for the first's call."""

import threading

import numpy as np
import pytest

from ticketbuddy.features import semantic
from ticketbuddy.features.memo import InFlight
from ticketbuddy.features.semantic import SentenceEncoder


class Recorded(InFlight):
    """``InFlight`` that says when its second claim was made (the second thread is about to wait)."""

    def __init__(self) -> None:
        super().__init__()
        self.claims = 0
        self.second = threading.Event()

    def claim(self, keys):
        found = super().claim(keys)
        self.claims += 1
        if self.claims == 2:
            self.second.set()
        return found


@pytest.fixture
def blocked_first_call(monkeypatch):
    """The first encoder call waits for ``go`` (or fails, with ``fail``); every call's texts recorded."""
    kept = SentenceEncoder.kept()
    flight = Recorded()
    monkeypatch.setattr(semantic, "_IN_FLIGHT", flight)
    state = {"calls": [], "started": threading.Event(), "go": threading.Event(), "fail": False}
    encode = SentenceEncoder._encode

    def recording(self, texts):
        state["calls"].append(list(texts))
        if len(state["calls"]) == 1:
            state["started"].set()
            assert state["go"].wait(30)
            if state["fail"]:
                raise RuntimeError("the first call failed")
        return encode(self, texts)

    monkeypatch.setattr(SentenceEncoder, "_encode", recording)
    SentenceEncoder.forget()
    yield flight, state
    SentenceEncoder.restore(kept)


def _two_threads(flight, state, first, second):
    out: dict[str, object] = {}

    def run(name, texts):
        try:
            out[name] = SentenceEncoder()(texts)
        except RuntimeError as exc:
            out[name] = exc

    a = threading.Thread(target=run, args=("a", first))
    a.start()
    assert state["started"].wait(30)  # the first thread is inside its encoder call
    b = threading.Thread(target=run, args=("b", second))
    b.start()
    assert flight.second.wait(30)  # the second has claimed what it must encode, and waits for the rest
    state["go"].set()
    a.join(30)
    b.join(30)
    return out


def test_a_sentence_being_encoded_is_waited_for_not_encoded_again(blocked_first_call):
    flight, state = blocked_first_call
    shared = "thank you so much for sorting my refund out"
    out = _two_threads(flight, state, ["where is my parcel", shared], [shared, "my lawyer will call"])
    assert state["calls"] == [["where is my parcel", shared], ["my lawyer will call"]]
    assert np.array_equal(out["a"][1], out["b"][0])  # the second thread got the first one's vector
    assert out["b"].shape == (2, 384)


def test_when_the_first_call_fails_the_waiting_thread_encodes_it_itself(blocked_first_call):
    flight, state = blocked_first_call
    state["fail"] = True
    shared = "the heater in the spare room keeps tripping the fuse"
    out = _two_threads(flight, state, [shared], ["hello there", shared])
    assert isinstance(out["a"], RuntimeError)  # the failure reaches its own caller
    assert state["calls"] == [[shared], ["hello there"], [shared]]
    alone = SentenceEncoder()([shared])[0]
    assert np.allclose(out["b"][1], alone, atol=1e-6)
