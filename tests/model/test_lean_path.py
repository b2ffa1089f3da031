"""The lean predict path gives the pyfunc's numbers exactly, on tickets we did not generate too."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, OneHotEncoder, StandardScaler

from tests.conftest import FIXTURES
from ticketbuddy.data.jsonl import read_tickets
from ticketbuddy.features.compiled import compile_features, compile_step
from ticketbuddy.features.conversation import tickets_to_frame
from ticketbuddy.model import PREDICTION_COLUMNS
from ticketbuddy.scoring.lean import LeanModel, lean_model
from ticketbuddy.scoring.scorer import Scorer, load_model

pytestmark = pytest.mark.usefixtures("trained")


@pytest.fixture(scope="module")
def loaded():
    return load_model("models:/ticket-escalation@champion")


def _same(reference: pd.DataFrame, lean: dict) -> None:
    assert list(lean) == PREDICTION_COLUMNS
    for name in PREDICTION_COLUMNS:
        expected, got = reference[name].to_numpy(), np.asarray(lean[name])
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12, err_msg=name)
        else:
            assert got.tolist() == expected.tolist(), name


def test_lean_equals_pyfunc_on_generated_and_hand_written_tickets(loaded, histories):
    assert loaded.lean is not None
    generated = read_tickets(histories[1]).tickets[:120]
    hand_written = read_tickets(FIXTURES / "paraphrases" / "test.jsonl").tickets[:60]
    for batch in (generated, hand_written, read_tickets(FIXTURES / "seed_conversations.jsonl").tickets):
        _same(loaded.pyfunc.predict(tickets_to_frame(batch)), loaded.lean.predict(batch))


def test_lean_equals_pyfunc_one_ticket_at_a_time(loaded, histories):
    for ticket in read_tickets(histories[1]).tickets[200:240]:
        _same(loaded.pyfunc.predict(tickets_to_frame([ticket])), loaded.lean.predict([ticket]))


def test_lean_features_equal_the_pipeline_bit_for_bit(loaded, histories):
    model = loaded.pyfunc.unwrap_python_model().model
    tickets = read_tickets(histories[1]).tickets[300:360]
    reference = model.features.transform(tickets_to_frame(tickets))
    from ticketbuddy.features.conversation import parse_tickets

    assert np.array_equal(compile_features(model.features)(parse_tickets(tickets)), reference)


def test_customer_fields_missing_or_unknown_match(loaded, histories):
    """Guest checkouts, a tier never seen in training, numbers of every kind: the same answers."""
    tickets = read_tickets(histories[1]).tickets[400:406]
    odd = [
        tickets[0].model_copy(
            update={"customer": tickets[0].customer.model_copy(update={"tier": "Platinum+"})}
        ),
        tickets[1].model_copy(
            update={"customer": tickets[1].customer.model_copy(update={"lifetime_value": None})}
        ),
        tickets[2].model_copy(update={"customer": type(tickets[2].customer)()}),
        tickets[3].model_copy(update={"customer": tickets[3].customer.model_copy(update={"tier": "  VIP "})}),
    ]
    _same(loaded.pyfunc.predict(tickets_to_frame(odd)), loaded.lean.predict(odd))


def test_scorer_decides_the_same_through_either_path(loaded, histories):
    from dataclasses import replace

    from ticketbuddy.policy.model import load_policy

    tickets = read_tickets(histories[1]).tickets[500:540]
    lean = Scorer(load_policy(), loaded).assess(tickets)
    slow = Scorer(load_policy(), replace(loaded, lean=None)).assess(tickets)
    assert [a.decision for a in lean] == [a.decision for a in slow]
    assert [a.facts.probability for a in lean] == [a.facts.probability for a in slow]


def test_a_pipeline_of_another_shape_keeps_the_pyfunc(loaded):
    model = loaded.pyfunc.unwrap_python_model().model
    other = type(model)(**{**model.__dict__, "features": Pipeline([("scale", StandardScaler())])})
    with pytest.raises(ValueError, match="not a TicketBuddy feature pipeline"):
        LeanModel(other)
    assert lean_model(other) is None


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    values = rng.normal(size=(40, 3)) * [1, 10, 100]
    values[rng.random(values.shape) < 0.2] = np.nan
    frame = pd.DataFrame(values, columns=["a", "b", "c"])
    frame["tier"] = rng.choice(["gold", "silver", "missing"], size=40)
    return frame


@pytest.mark.parametrize(
    "step",
    [
        StandardScaler(),
        StandardScaler(with_mean=False),
        MinMaxScaler(),  # not compiled: called through its own transform
        Pipeline(
            [
                ("log", FunctionTransformer(np.log1p, feature_names_out="one-to-one")),
                ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
                ("scale", StandardScaler()),
            ]
        ),
    ],
    ids=["scaler", "scaler-no-mean", "fallback", "log-impute-scale"],
)
def test_compiled_numeric_steps_equal_sklearn(step):
    frame = _frame()[["a", "b", "c"]].abs()
    fitted = step.fit(frame.fillna(0) if isinstance(step, MinMaxScaler | StandardScaler) else frame)
    data = frame.fillna(0) if isinstance(step, MinMaxScaler | StandardScaler) else frame
    assert np.array_equal(compile_step(fitted)(data), fitted.transform(data))


def test_compiled_one_hot_ignores_unknown_categories():
    encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(_frame()[["tier"]])
    seen = np.asarray([["gold"], ["never-seen"], ["missing"]], dtype=object)
    compiled = compile_step(encoder)(seen)
    assert np.array_equal(compiled, encoder.transform(pd.DataFrame(seen, columns=["tier"])))
    assert compiled[1].sum() == 0


def test_a_sparse_column_transformer_is_not_compiled():
    columns = ColumnTransformer([("tier", OneHotEncoder(), ["tier"])], sparse_threshold=1.0).fit(_frame())
    with pytest.raises(ValueError, match="sparse"):
        compile_step(columns)


def test_slots_bound_how_many_assessments_run_at_once(faq_ticket):
    from ticketbuddy.policy.model import load_policy

    scorer = Scorer(load_policy(), None, slots=threading.BoundedSemaphore(2))
    running, most = [0], [0]
    lock = threading.Lock()
    facts_many = scorer.engine.facts_many

    def slow_facts(*args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return facts_many(*args, **kwargs)

    scorer.engine.facts_many = slow_facts
    threads = [threading.Thread(target=scorer.assess, args=([faq_ticket],)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 2


def test_the_policy_reads_what_the_model_found_without_working_it_out_again(
    scorer, seed_tickets, monkeypatch
):
    """Scoring a ticket runs the family matcher and the complexity figures once, for model and policy."""
    from ticketbuddy.features import complexity as complexity_module
    from ticketbuddy.features.semantic import SemanticMatcher, SentenceEncoder

    calls = {"matches": 0, "complexity": 0}
    matches, figures = SemanticMatcher.matches, complexity_module._figures

    def counting_matches(self, vectors, *args):
        calls["matches"] += 1
        return matches(self, vectors, *args)

    def counting_figures(turns, encoder):
        calls["complexity"] += 1
        return figures(turns, encoder)

    monkeypatch.setattr(SemanticMatcher, "matches", counting_matches)
    monkeypatch.setattr(complexity_module, "_figures", counting_figures)
    ticket = seed_tickets[0]
    SentenceEncoder.forget()
    assessment = scorer.assess([ticket])[0]
    assert calls == {"matches": 1, "complexity": 1}
    assert assessment.facts.probability is not None and assessment.facts.complexity
