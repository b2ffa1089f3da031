"""The route head's word evidence: per-route TF-IDF scores, cross-fitted at fit, read by ``EscalationModel``."""

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from ticketbuddy.features.words import RouteWordScores
from ticketbuddy.model import PREDICTION_COLUMNS, EscalationModel
from ticketbuddy.train.heads import RouteWithWords, route_head
from ticketbuddy.train.params import RouteWordsParams, TrainParams

ROUTE_WORDS = {
    "billing_disputes": ["charged twice on my card", "refund the duplicate charge", "invoice is wrong"],
    "trust_safety": ["someone hacked my account", "fraudulent login from abroad", "stolen password"],
    "logistics": ["parcel never arrived", "courier left it outside", "delivery is late again"],
}


def routed_tickets(n_per_route: int, seed: int = 0) -> tuple[pd.DataFrame, list[str]]:
    """Tickets whose route shows only in their words (a greeting and an order number around them)."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for route, phrases in ROUTE_WORDS.items():
        for _ in range(n_per_route):
            text = f"hello, order {rng.integers(10_000, 99_999)}: {rng.choice(phrases)}, please help"
            rows.append({"messages": [{"role": "customer", "text": text}]})
            labels.append(route)
    return pd.DataFrame(rows), labels


class Recording(LogisticRegression):
    """A logistic regression that keeps the inputs it was fitted on."""

    def fit(self, X, y, sample_weight=None):
        self.seen_ = np.array(X, copy=True)
        return super().fit(X, y, sample_weight)


def test_route_word_scores_are_cross_fitted_and_name_each_route():
    frame, labels = routed_tickets(12)
    words = RouteWordScores(cv=4)
    oof = words.fit_transform(frame["messages"], labels)
    full = words.transform(frame["messages"])
    assert oof.shape == full.shape == (36, 3)
    assert not np.allclose(oof, full)  # each training ticket scored by a model that did not see it
    assert list(words.get_feature_names_out()) == [f"route_words_{r}" for r in sorted(ROUTE_WORDS)]
    assert (np.asarray(words.classes_)[oof.argmax(axis=1)] == np.asarray(labels)).mean() > 0.9
    with pytest.raises(ValueError, match="route labels"):
        RouteWordScores().fit_transform(frame["messages"])


def test_the_head_is_fitted_on_out_of_fold_word_scores_not_in_sample_ones():
    frame, labels = routed_tickets(12)
    Z = np.random.default_rng(1).normal(size=(len(labels), 4))
    head = RouteWithWords(Recording(), RouteWordScores(cv=4)).fit(Z, labels, frame)
    expected = RouteWordScores(cv=4).fit_transform(frame["messages"], labels)
    in_sample = head.words_.transform(frame["messages"])
    seen = head.estimator_.seen_
    assert seen.shape == (36, 4 + 3)
    assert np.allclose(seen[:, :4], Z)
    assert np.allclose(seen[:, 4:], head.scale_.transform(expected))
    assert not np.allclose(seen[:, 4:], head.scale_.transform(in_sample))


def nothing(X):
    return np.zeros((len(X), 3))


def constant_features() -> Pipeline:
    """Features that carry nothing about the route: what an embedding that misses the words gives."""
    return Pipeline([("nothing", FunctionTransformer(nothing))])


def model_with(route) -> EscalationModel:
    classifier = DummyClassifier(strategy="prior").fit(np.zeros((4, 3)), [0, 1, 0, 0])
    return EscalationModel(
        features=constant_features(), classifier=classifier, threshold=0.5, route_head=route
    )


def test_a_route_the_shared_features_miss_is_predicted_from_the_words(tmp_path):
    frame, labels = routed_tickets(15)
    Z = constant_features().fit_transform(frame)
    params = TrainParams(route_words=RouteWordsParams(cv=3))
    with_words = route_head(params, labels).fit(Z, labels, frame)
    plain = route_head(TrainParams(route_words=RouteWordsParams(enabled=False)), labels).fit(Z, labels)
    new, truth = routed_tickets(4, seed=9)
    new["messages"] = [json.dumps(m) for m in new["messages"]]  # JSON, as the input frame has it
    new["ticket_id"] = [f"t{i}" for i in range(len(new))]
    for head, better in ((with_words, True), (plain, False)):
        out = model_with(head).predict(new)
        assert list(out.columns) == PREDICTION_COLUMNS and len(out) == len(new)
        accuracy = (out["route"] == np.asarray(truth)).mean()
        assert (accuracy == 1.0) if better else (accuracy < 0.5), accuracy
    empty = model_with(with_words).predict(new.iloc[:0])
    assert list(empty.columns) == PREDICTION_COLUMNS and len(empty) == 0
    joblib.dump(model_with(with_words), tmp_path / "m.joblib")
    again = joblib.load(tmp_path / "m.joblib").predict(new)
    assert again["route"].tolist() == model_with(with_words).predict(new)["route"].tolist()
    assert again["route_confidence"].between(0, 1).all()


def test_route_words_can_be_switched_off():
    labels = ["a", "b"] * 5
    assert isinstance(route_head(TrainParams(), labels), RouteWithWords)
    off = TrainParams(route_words=RouteWordsParams(enabled=False))
    assert isinstance(route_head(off, labels), LogisticRegression)
    assert route_head(TrainParams(), ["a"] * 4) is None


def test_a_term_only_one_customer_wrote_stays_out_of_the_vocabularies():
    """However many tickets one customer opens, their name never enters a vocabulary stored with the model."""
    from ticketbuddy.features.conversation import parse_turns
    from ticketbuddy.features.words import WordScore

    frame, labels = routed_tickets(12)
    frame["customer_id"] = [f"c{i}" for i in range(len(frame))]
    for row in range(0, 12):  # one customer, twelve tickets of several routes, signing with their name
        frame.at[row, "customer_id"] = "c-quillfeather"
        text = frame.at[row, "messages"][0]["text"]
        frame.at[row, "messages"] = [{"role": "customer", "text": f"{text} Ottoline Quillfeather"}]
    words = RouteWordScores(cv=4).fit(frame[["messages", "customer_id"]], labels)
    vocabulary = words.model_.named_steps["counts"].vocabulary_
    assert "help" in vocabulary and not any("quillfeather" in term for term in vocabulary)
    parsed = frame.assign(messages=[parse_turns(m) for m in frame["messages"]])
    score = WordScore(cv=4).fit(parsed[["messages", "customer_id"]], [int(r == labels[0]) for r in labels])
    assert not any("quillfeather" in term for term in score.model_.named_steps["counts"].vocabulary_)
    shared = RouteWordScores(cv=4).fit(frame["messages"], labels)  # no customer ids: each ticket apart
    assert "quillfeather" in shared.model_.named_steps["counts"].vocabulary_


@pytest.mark.parametrize("model", ["svc", "logreg"])
def test_each_word_model_scores_every_route_cross_fitted(model):
    frame, labels = routed_tickets(12)
    words = RouteWordScores(cv=4, model=model)
    oof, full = words.fit_transform(frame["messages"], labels), words.transform(frame["messages"])
    assert oof.shape == full.shape == (36, 3) and np.isfinite(oof).all()
    assert not np.allclose(oof, full)
    assert (np.asarray(words.classes_)[full.argmax(axis=1)] == np.asarray(labels)).all()
    two = [label if label == "logistics" else "other" for label in labels]  # a binary SVM has one margin
    scores = RouteWordScores(cv=4, model=model).fit(frame["messages"], two).transform(frame["messages"])
    assert scores.shape == (36, 2)
    assert (np.asarray(sorted(set(two)))[scores.argmax(axis=1)] == np.asarray(two)).all()
    with pytest.raises(ValueError, match="model must be one of"):
        RouteWordScores(model="forest").fit(frame["messages"], labels)


def test_a_word_model_pickled_before_the_choice_still_scores_as_logreg():
    frame, labels = routed_tickets(12)
    words = RouteWordScores(cv=4, model="logreg").fit(frame["messages"], labels)
    del words.model  # as unpickled from a model logged before RouteWordScores had ``model``
    texts = [turns[0]["text"] for turns in frame["messages"]]
    assert np.allclose(words.transform(frame["messages"]), np.log(words.model_.predict_proba(texts)))


def shared_features(labels: list[str], text_signal: float, other_signal: float, seed: int = 0):
    """Feature matrix and names: 8 text-embedding columns and 120 others, each carrying the route or not."""
    rng = np.random.default_rng(seed)
    onehot = (np.asarray(labels)[:, None] == np.asarray(sorted(set(labels)))[None, :]).astype(float)
    text = np.hstack([onehot, onehot]) * text_signal + rng.normal(size=(len(labels), 6)) * 1.0
    text = np.hstack([text, rng.normal(size=(len(labels), 2))])
    other = rng.normal(size=(len(labels), 120)) * 2.0
    other[:, :3] += onehot * other_signal
    names = [f"text_emb_{i}" for i in range(8)] + [f"trigger_{i}" for i in range(120)]
    return np.hstack([text, other]), names


def wordless_tickets(labels: list[str]) -> pd.DataFrame:
    """Tickets whose words say nothing about their route."""
    return pd.DataFrame(
        {"messages": [[{"role": "customer", "text": "hello there, please help me"}]] * len(labels)}
    )


@pytest.mark.parametrize(("text_signal", "other_signal", "chosen"), [(1.5, 0.0, "text"), (0.0, 4.0, "all")])
def test_auto_reads_the_feature_set_that_cross_validates_better(text_signal, other_signal, chosen):
    labels = [r for r in sorted(ROUTE_WORDS) for _ in range(40)]
    Z, names = shared_features(labels, text_signal, other_signal)
    frame = wordless_tickets(labels)
    head = RouteWithWords(Recording(), RouteWordScores(cv=3), features="auto").fit(Z, labels, frame, names)
    assert head.features_ == chosen
    assert set(head.selection_) == {"all", "text"}
    assert (head.selection_["text"] > head.selection_["all"]) == (chosen == "text")
    width = 8 if chosen == "text" else 128
    assert head.estimator_.seen_.shape[1] == width + 3
    if chosen == "text":  # what it does not read cannot move its answer
        scrambled = Z.copy()
        scrambled[:, 8:] = np.random.default_rng(5).normal(size=(len(labels), 120)) * 100
        assert np.allclose(head.predict_proba(Z, frame), head.predict_proba(scrambled, frame))


def test_fixed_feature_sets_and_what_they_need():
    labels = [r for r in sorted(ROUTE_WORDS) for _ in range(10)]
    Z, names = shared_features(labels, 1.0, 1.0)
    frame = wordless_tickets(labels)
    text = RouteWithWords(Recording(), RouteWordScores(cv=3), features="text").fit(Z, labels, frame, names)
    assert text.features_ == "text" and text.selection_ == {} and text.estimator_.seen_.shape[1] == 8 + 3
    everything = RouteWithWords(Recording(), RouteWordScores(cv=3), features="all").fit(
        Z, labels, frame, names
    )
    assert everything.features_ == "all" and everything.estimator_.seen_.shape[1] == 128 + 3
    unnamed = RouteWithWords(Recording(), RouteWordScores(cv=3), features="auto").fit(Z, labels, frame)
    assert unnamed.features_ == "all" and unnamed.selection_ == {}  # nothing to tell the text columns by
    with pytest.raises(ValueError, match="feature names"):
        RouteWithWords(Recording(), RouteWordScores(cv=3), features="text").fit(Z, labels, frame)
    with pytest.raises(ValueError, match="features must be one of"):
        RouteWithWords(Recording(), RouteWordScores(cv=3), features="some").fit(Z, labels, frame, names)
    del text.columns_  # a head pickled before the choice reads every column
    with pytest.raises(ValueError):
        text.predict_proba(Z, frame)


def test_the_svm_word_scores_are_the_same_on_every_fit():
    """The SVM visits tickets in a random order; the model's seed fixes it, so a retrain is repeatable."""
    frame, labels = routed_tickets(12)

    def scores(seed):
        words = RouteWordScores(cv=4, model="svc", random_state=seed)
        return words.fit_transform(frame["messages"], labels), words.transform(frame["messages"])

    (first, full), (again, full_again), (_, other) = scores(3), scores(3), scores(4)
    assert np.array_equal(first, again) and np.array_equal(full, full_again)
    assert not np.array_equal(full, other)  # the order matters, so the seed is what makes it repeatable
