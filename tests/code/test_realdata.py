"""The real-data checks (`ticketbuddy check routes|sentiment`) on tiny hand-written files in the real layouts.

The figures on the public data sets are in docs/EVALUATION.md; these tests only show that the checks
compute what they say, so they never read /work/shared or any other data outside tests/fixtures.
"""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticketbuddy.features.sentiment import message_sentiment, support_lexicon, vader_sentiment
from ticketbuddy.train.check_cli import app
from ticketbuddy.train.params import TextParams, TrainParams
from ticketbuddy.train.realdata import RealDataError, read_routing, routing_text_settings
from ticketbuddy.train.realdata_report import sentiment_figures
from ticketbuddy.train.realdata_sentiment import read_tweets, sentiment_class

FIXTURES = Path(__file__).parents[1] / "fixtures" / "realdata"
PARAMS = Path(__file__).parents[2] / "params.yaml"
PRODUCTS = ["Debt collection", "Mortgage", "Student loan"]


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def routes_result(tmp_path_factory):
    """Both route models trained on 40 narratives over 3 products, scored on 15 others (one run)."""
    out = tmp_path_factory.mktemp("routes") / "routes.json"
    result = invoke(
        "routes", "--train", FIXTURES / "routes_train.csv", "--test", FIXTURES / "routes_test.csv",
        "--params", PARAMS, "--out-json", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output, json.loads(out.read_text())


def test_both_route_models_learn_products_whose_words_separate_them(routes_result):
    _, figures = routes_result
    assert figures["train"]["n"] == 40 and figures["test"]["n"] == 15
    for name in ("ticketbuddy", "tfidf_logreg"):
        model = figures["models"][name]
        assert model["macro_f1"] > 0.8, (name, model)
        assert sorted(model["per_class_f1"]) == PRODUCTS
        assert model["class_counts"] == dict.fromkeys(PRODUCTS, 5)
        assert sum(s["n"] for s in model["by_length"].values()) == 15  # short texts: nothing truncated


def test_routes_command_prints_both_models_side_by_side(routes_result):
    output, _ = routes_result
    assert "| TicketBuddy pipeline + route head |" in output
    assert "| TF-IDF + logistic regression, tuned |" in output
    assert "| (diagnostic) same head without the route word scores |" in output
    assert "TF-IDF settings chosen on a validation split of the training file (20 tried): C = " in output
    assert "TicketBuddy's route head reads " in output


def test_the_baseline_is_tuned_on_training_rows_and_the_route_head_reads_words(routes_result):
    _, figures = routes_result
    tuning = figures["tfidf_tuning"]
    assert len(tuning["validation"]) == 20 and tuning["chosen"] in [
        {k: v for k, v in s.items() if k != "validation_macro_f1"} for s in tuning["validation"]
    ]
    best = max(s["validation_macro_f1"] for s in tuning["validation"])
    assert [s["validation_macro_f1"] for s in tuning["validation"] if s["C"] == tuning["chosen"]["C"]
            and s["ngram_max"] == tuning["chosen"]["ngram_max"]
            and s["sublinear_tf"] == tuning["chosen"]["sublinear_tf"]] == [best]  # fmt: skip
    assert figures["route_words"]["enabled"] is True and figures["route_words"]["model"] == "svc"
    choice = figures["route_features"]  # the head's choice of shared features, with its evidence
    assert choice["features"] in {"all", "text"}
    if choice["cv_macro_f1"]:
        assert set(choice["cv_macro_f1"]) == {"all", "text"}
        assert choice["features"] == max(sorted(choice["cv_macro_f1"]), key=choice["cv_macro_f1"].get)
    assert {"ticketbuddy", "ticketbuddy_no_words", "ticketbuddy_text_only", "tfidf_logreg"} == set(
        figures["models"]
    )


def test_routes_use_the_training_text_settings_without_the_escalation_word_score():
    settings = routing_text_settings(TrainParams(text=TextParams(scope="all", last_k=2)))
    assert (settings.scope, settings.last_k, getattr(settings, "word_score", False)) == ("all", 2, False)


def test_routing_rows_the_ticket_contract_refuses_are_counted_not_kept(tmp_path):
    path = tmp_path / "r.csv"
    long = "x" * 20_001
    path.write_text(
        f'Consumer complaint narrative,Product\n"My mortgage",Mortgage\n"{long}",Mortgage\n"No product",\n'
    )
    rows = read_routing(path)
    assert rows.labels == ["Mortgage"] and rows.texts == ["My mortgage"]
    assert rows.tickets[0].channel == "web" and rows.tickets[0].messages[0].role == "customer"
    assert rows.dropped["Product: empty"] == 1
    assert [k for k in rows.dropped if k.startswith("messages.0.text")] != []


def test_a_file_without_the_columns_is_refused_naming_them(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("narrative,product\nhello,Mortgage\n")
    with pytest.raises(RealDataError, match="'Consumer complaint narrative', 'Product'"):
        read_routing(path)
    result = invoke("routes", "--train", path, "--test", path)
    assert result.exit_code == 1 and "missing column" in result.output


def test_sentiment_classes_use_explicit_cutoffs():
    assert [sentiment_class(s) for s in (-0.06, -0.05, 0.0, 0.05, 0.06)] == [
        "negative", "neutral", "neutral", "neutral", "positive",
    ]  # fmt: skip
    assert sentiment_class(-0.1, negative_below=-0.2) == "neutral"
    assert sentiment_class(0.1, positive_above=0.2) == "neutral"


def test_sentiment_figures_count_the_confusion_and_negative_recall():
    figures = sentiment_figures(
        ["negative", "negative", "neutral", "positive"], ["negative", "positive", "negative", "positive"]
    )
    assert figures["confusion"]["matrix"] == [[1, 0, 1], [1, 0, 0], [0, 0, 1]]
    assert figures["negative_vs_rest"] == {"accuracy": 0.5, "recall": 0.5, "precision": 0.5}
    assert figures["accuracy"] == 0.5


def test_obvious_tweets_land_in_their_class_and_low_confidence_ones_are_left_out(tmp_path):
    tweets = read_tweets(FIXTURES / "tweets.csv", min_confidence=0.9)
    assert len(tweets) == 13 and "ok I guess" not in " ".join(tweets["text"])
    for text, label in zip(tweets["text"], tweets["label"], strict=True):
        assert sentiment_class(message_sentiment(text)) == label, text


def test_support_lexicon_reads_support_phrases_that_plain_vader_misses():
    waiting = "Still waiting on hold, nobody answers"
    assert vader_sentiment(waiting, support=False) == 0.0 and message_sentiment(waiting) < -0.5
    assert vader_sentiment("I would like a refund please", support=False) > 0.5
    assert message_sentiment("I would like a refund please") == 0.0  # a request, not pleasure
    assert vader_sentiment("@united is there wifi?", support=False) > 0.05  # the handle reads as a word
    assert message_sentiment("@united is there wifi?") == 0.0
    assert message_sentiment("It DOESN’T WORK") < message_sentiment("It doesn't work") < -0.3  # caps, quotes
    assert message_sentiment("doesn't work well") < 0  # negation still reaches past the phrase
    assert message_sentiment("mail me at help@united.com") == vader_sentiment("mail me at help@united.com")


def test_support_lexicon_file_is_well_formed():
    lexicon = support_lexicon()
    assert len(lexicon) >= 40
    assert all(-4 <= v <= 4 for v in lexicon.values())
    assert {"still waiting", "nobody", "please"} <= set(lexicon)


def test_sentiment_command_writes_json_with_both_scorers(tmp_path):
    out = tmp_path / "s.json"
    result = invoke(
        "sentiment", "--tweets", FIXTURES / "tweets.csv", "--negative-below", "-0.05", "--out-json", out
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert figures["n"] == {"all": 13, "tune": 6, "report": 7}
    ours, plain = figures["scorers"]["message_sentiment"]["all"], figures["scorers"]["vader"]["all"]
    assert ours["accuracy"] == 1.0 and ours["negative_vs_rest"]["recall"] == 1.0
    assert plain["negative_vs_rest"]["recall"] < 1.0
    assert sum(map(sum, ours["confusion"]["matrix"])) == 13
    assert set(figures["texts_per_second"]) == {"message_sentiment", "vader"}
    assert "report half" in result.output


def test_sentiment_command_refuses_crossed_cutoffs():
    result = invoke("sentiment", "--tweets", FIXTURES / "tweets.csv", "--negative-below", "0.3")
    assert result.exit_code == 2 and "--negative-below" in result.output
