"""The ticket's text embedding as the mean of its sentences: each sentence through the encoder once per ticket."""

import numpy as np
import pandas as pd
import pytest

from ticketbuddy.features.conversation import Turn
from ticketbuddy.features.encoder import OnnxEncoder
from ticketbuddy.features.semantic import SentenceEncoder, split_sentences
from ticketbuddy.features.text import TextEmbedder, sentence_pooled

LONG = (
    "I ordered the espresso machine three weeks ago and it still has not arrived, even though your "
    "tracking page has said out for delivery since Monday. I have called twice. Nobody calls back. "
    "If this is not sorted by Friday I will dispute the payment with my bank."
)


@pytest.fixture(autouse=True)
def kept_sentences():
    """The process's sentence vectors as they were before each test here, put back after it.

    The int8 encoder's vectors depend a little on the batch they were computed in, so a later test
    that compares a model's figures with those of its training needs the vectors its training kept.
    """
    kept = SentenceEncoder.kept()
    yield
    SentenceEncoder.restore(kept)


@pytest.fixture()
def recorded(monkeypatch):
    """Every text the ONNX encoder is asked to embed, call by call (nothing kept from earlier tests)."""
    SentenceEncoder.forget()
    calls: list[list[str]] = []
    original = OnnxEncoder.encode

    def encode(self, texts, batch_size=32):
        calls.append(list(texts))
        return original(self, texts, batch_size)

    monkeypatch.setattr(OnnxEncoder, "encode", encode)
    return calls


def tickets(*texts: str) -> pd.Series:
    return pd.Series([[Turn("customer", t), Turn("bot", "Let me check that for you.")] for t in texts])


def test_the_text_vector_is_the_unit_mean_of_its_sentence_vectors():
    sentences = split_sentences([LONG])
    assert len(sentences) == 4
    expected = SentenceEncoder()(sentences).mean(axis=0)
    expected /= np.linalg.norm(expected)
    vector = TextEmbedder(pooling="sentences").fit_transform(tickets(LONG))[0]
    assert np.allclose(vector, expected, atol=1e-6)
    assert abs(np.linalg.norm(vector) - 1) < 1e-5
    whole = TextEmbedder(pooling="text").fit_transform(tickets(LONG))[0]
    assert 0.5 < float(vector @ whole) < 0.99  # near the whole-text embedding, but another reading of it


def test_every_sentence_counts_and_an_empty_text_still_gets_a_vector():
    end_changed = LONG.replace("dispute the payment with my bank", "write a glowing review")
    vectors = TextEmbedder(pooling="sentences").fit_transform(tickets(LONG, end_changed, ""))
    assert float(vectors[0] @ vectors[1]) < 0.99  # the last sentence of a long complaint moves it
    assert np.isfinite(vectors).all() and abs(np.linalg.norm(vectors[2]) - 1) < 1e-5


def test_one_encoder_pass_reads_each_sentence_once_and_never_the_whole_text(recorded):
    from ticketbuddy.features.conversation import tickets_to_frame
    from ticketbuddy.features.pipeline import TextSettings, build_features
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.schemas import Ticket

    ticket = Ticket.model_validate(
        {
            "ticket_id": "pool-1", "channel": "chat", "created_at": "2026-03-01T10:00:00Z",
            "messages": [{"role": "customer", "text": LONG}, {"role": "bot", "text": "Sorry to hear it."},
                         {"role": "customer", "text": "Can I talk to a real person please?"}],
        }
    )  # fmt: skip
    policy = load_policy()
    whole_text = "\n".join([LONG, "Can I talk to a real person please?"])
    for pooling, calls in (("sentences", 1), ("text", 2)):
        features = build_features(
            policy.trigger_specs(), TextSettings(pooling=pooling), policy.other_examples
        )
        features.fit(tickets_to_frame([ticket] * 12), [0, 1] * 6)
        recorded.clear()
        SentenceEncoder.forget()
        features.transform(tickets_to_frame([ticket]))
        embedded = [text for call in recorded for text in call]
        assert len(recorded) == calls, (pooling, recorded)  # sentences: text, families, complexity share one
        assert len(embedded) == len(set(embedded))
        assert (whole_text in embedded) == (pooling == "text")
        assert set(split_sentences([LONG, "Can I talk to a real person please?"])) <= set(embedded)


def test_pooling_is_checked_and_older_models_keep_reading_the_whole_text():
    with pytest.raises(ValueError, match="pooling must be"):
        TextEmbedder(pooling="words").fit(tickets(LONG))
    with pytest.raises(ValueError, match="backend='onnx'"):
        TextEmbedder(pooling="sentences", backend="torch").fit(tickets(LONG))
    older = TextEmbedder(pooling="text").fit(tickets(LONG))
    del older.pooling  # as unpickled from a model logged before ``pooling`` existed
    assert np.allclose(
        older.transform(tickets(LONG)), TextEmbedder(pooling="text").fit_transform(tickets(LONG))
    )
    assert np.allclose(sentence_pooled([LONG], SentenceEncoder()), TextEmbedder(pooling="sentences").fit_transform(
        tickets(LONG)))  # fmt: skip
